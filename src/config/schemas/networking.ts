// PLACEHOLDER — replaced by the schemas helper.
import { z } from "zod";
import type { KindValidator } from "./registry.js";
const loose = { spec: z.record(z.string(), z.unknown()) };
export const networkingValidators: Record<"Gateway" | "VirtualService" | "DestinationRule" | "ServiceEntry" | "WorkloadEntry", KindValidator<any>> = {
  Gateway: loose, VirtualService: loose, DestinationRule: loose, ServiceEntry: loose, WorkloadEntry: loose,
};
