// PLACEHOLDER — replaced by the rate-limit helper.
import { z } from "zod";
import type { KindValidator } from "./registry.js";
export const rateLimitValidators: Record<"RateLimitPolicy", KindValidator<any>> = { RateLimitPolicy: { spec: z.record(z.string(), z.unknown()) } };
