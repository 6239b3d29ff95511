/**
 * Envoy's featureEnabled for a FractionalPercent compiled by src/config/compile/fractional-percent.ts.
 * Fault injection and request mirroring share this one place.
 */
import { MILLION } from "../config/compile/fractional-percent.js";

export { MILLION, percentToPerMillion } from "../config/compile/fractional-percent.js";

/**
 * Does this request fall in the fraction? `random` is uniform in [0, 1) (Math.random in production,
 * a seeded source in tests); 0 per million never fires and a full million always does.
 */
export function fractionFires(perMillion: number, draw: number): boolean {
  if (perMillion <= 0) return false;
  if (perMillion >= MILLION) return true;
  return Math.floor(draw * MILLION) < perMillion;
}
