// PLACEHOLDER — replaced by the schemas helper.
import { z } from "zod";
import type { KindValidator } from "./registry.js";
export const telemetryValidators: Record<"Telemetry", KindValidator<any>> = { Telemetry: { spec: z.record(z.string(), z.unknown()) } };
