/** Stage 8a: VirtualService `fault` — delay (flag DI), then abort (flag FI), each drawn independently. */
import { faultFor, isGrpcRequest } from "../../../policy/fault.js";
import { addFlag } from "../../chain/request-context.js";
import type { RequestFilter } from "../../chain/filter.js";

export const faultFilter: RequestFilter = {
  name: "fault",
  async onRequest(rc) {
    const fault = rc.decision && faultFor(rc.decision.route);
    if (!fault) return undefined;
    const decision = fault.decide(Math.random, { grpc: isGrpcRequest(rc.headers) });
    if (decision.delayMs) {
      addFlag(rc, "DI");
      await new Promise((ok) => setTimeout(ok, decision.delayMs));
    }
    return decision.abort;
  },
};
