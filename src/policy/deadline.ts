/**
 * One deadline helper for every bounded wait of the gateway (external authorization, JWKS fetches,
 * global rate-limit calls): the work gets an AbortSignal that aborts at the deadline, and the caller
 * gets a `DeadlineExceeded` rejection at that moment even if the work ignores its signal. The timer is
 * cleared as soon as the work settles.
 *
 * A Durable Object RPC cannot be aborted: a RateLimiter call that outlives its deadline still runs to
 * its end in the object (its effect is what a slow call would have had anyway); the request has stopped
 * waiting for it.
 *
 * @example
 *   const res = await withDeadline(5000, (signal) => fetch(url, { signal }));   // or DeadlineExceeded
 */
export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
  constructor(readonly ms: number) {
    super(`deadline of ${ms} ms exceeded`);
  }
}

export function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new DeadlineExceeded(ms);
      controller.abort(error);
      reject(error);
    }, ms);
    let pending: Promise<T>;
    try {
      pending = work(controller.signal);
    } catch (e) {
      clearTimeout(timer);
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    pending.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
