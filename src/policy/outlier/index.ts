/** DestinationRule `outlierDetection`: ejection of failing endpoints, shared through the Circuit DO. */
export * from "./circuit-api.js";
export * from "./circuit-view.js";
export * from "../../config/compile/outlier-detection.js";
export * from "./outlier-outcome.js";
export * from "./outlier-state.js";
