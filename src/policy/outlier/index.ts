/** DestinationRule `outlierDetection`: ejection of failing endpoints, shared through the Circuit DO. */
export * from "./circuit-api.js";
export * from "./circuit-view.js";
export * from "./outlier-config.js";
export * from "./outlier-state.js";
