// PLACEHOLDER — replaced by the schemas helper.
import { z } from "zod";
import type { KindValidator } from "./registry.js";
const loose = { spec: z.record(z.string(), z.unknown()) };
export const securityValidators: Record<"PeerAuthentication" | "RequestAuthentication" | "AuthorizationPolicy", KindValidator<any>> = {
  PeerAuthentication: loose, RequestAuthentication: loose, AuthorizationPolicy: loose,
};
