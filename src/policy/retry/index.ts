/** Retries and timeouts of a forwarded request (VirtualService `retries`, `timeout`). */
export * from "./backoff.js";
export * from "../../config/compile/retry-policy.js";
export * from "./run-with-retries.js";
export * from "./should-retry.js";
export * from "./upstream-replies.js";
