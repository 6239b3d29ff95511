/**
 * Stage 9a: VirtualService `fault` — delay (flag DI), then abort (flag FI), each drawn independently.
 * A dry run draws the same way but does not wait out the delay.
 */
import { isGrpcRequest } from "../../../policy/fault.js";
import type { RequestFilter } from "../../chain/filter.js";
import { addFlag, record } from "../../chain/request-context.js";

export const faultFilter: RequestFilter = {
  name: "fault",
  async onRequest(rc) {
    const fault = rc.decision?.runtime.fault;
    if (!fault) return undefined;
    const decision = fault.decide(rc.random, { grpc: isGrpcRequest(rc.headers) });
    record(rc, "fault", { policy: { delay: fault.delay, abort: fault.abort }, delayMs: decision.delayMs ?? 0, aborted: decision.abort !== undefined });
    if (decision.delayMs) {
      addFlag(rc, "DI");
      if (!rc.dryRun) await new Promise((ok) => setTimeout(ok, decision.delayMs));
    }
    return decision.abort;
  },
};
