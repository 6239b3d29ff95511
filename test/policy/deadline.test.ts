/** The one deadline helper: aborts the work's signal and rejects with a typed error at the deadline. */
import { describe, expect, it } from "vitest";
import { DeadlineExceeded, withDeadline } from "../../src/policy/deadline.js";

describe("withDeadline", () => {
  it("answers what the work answers in time", async () => {
    await expect(withDeadline(1000, async () => 42)).resolves.toBe(42);
  });

  it("passes the work's own failure through", async () => {
    await expect(withDeadline(1000, async () => { throw new TypeError("boom"); })).rejects.toThrow(TypeError);
    await expect(withDeadline(1000, () => { throw new RangeError("sync"); })).rejects.toThrow(RangeError);
  });

  it("at the deadline: the work's signal aborts and the caller gets DeadlineExceeded", async () => {
    let seen: AbortSignal | undefined;
    const never = withDeadline(20, (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    });
    await expect(never).rejects.toBeInstanceOf(DeadlineExceeded);
    expect(seen!.aborted).toBe(true);
    expect(seen!.reason).toBeInstanceOf(DeadlineExceeded);
  });

  it("a work that honours its signal is stopped (a real fetch)", async () => {
    const slow = withDeadline(10, (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))));
    await expect(slow).rejects.toMatchObject({ name: "DeadlineExceeded", ms: 10 });
  });
});
