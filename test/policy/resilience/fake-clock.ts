/**
 * Virtual time for the retry loop: `sleep` registers a timer, `run(promise)` lets every pending
 * microtask and macrotask settle, then jumps to the earliest timer, until the promise settles.
 */
export class FakeClock {
  t = 0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fire: () => void }> = [];

  now = (): number => this.t;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fire: resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          this.timers = this.timers.filter((x) => x !== timer);
          resolve();
        },
        { once: true },
      );
    });

  /** Pending timers (for leak checks). */
  get pending(): number {
    return this.timers.length;
  }

  async run<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let guard = 0; guard < 100_000; guard++) {
      await new Promise((r) => setTimeout(r, 0));
      if (settled) return p;
      if (this.timers.length === 0) throw new Error("FakeClock: promise pending with no timer to fire");
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.fire();
    }
    throw new Error("FakeClock: too many steps");
  }
}
