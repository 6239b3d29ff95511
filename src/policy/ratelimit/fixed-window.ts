/**
 * The fixed window of Envoy's ratelimit service: at most `requests` per window, windows aligned to the
 * unit (UTC second, minute, hour, day), the count starting again at each window start.
 *
 * Plain JSON state, shared by the per-isolate counters and the RateLimiter Durable Object.
 */

export interface FixedWindow {
  requests: number;
  windowMs: number;
}

export interface FixedWindowState {
  /** Start (ms since the epoch) of the window `count` belongs to. */
  windowStart: number;
  count: number;
}

/** The window at `now`: a new, empty one once `now` is past the stored window. */
export function rollWindow(w: FixedWindow, state: FixedWindowState | undefined, now: number): FixedWindowState {
  const start = Math.floor(now / w.windowMs) * w.windowMs;
  // A clock that went backwards stays in the stored window: it must never reopen a window's budget.
  if (!state || start > state.windowStart) return { windowStart: start, count: 0 };
  return state;
}

/** Milliseconds from `now` to the end of the window. */
export function windowResetMs(w: FixedWindow, state: FixedWindowState, now: number): number {
  return Math.max(0, state.windowStart + w.windowMs - now);
}

/** When the window ends; the state is meaningless after that. */
export function windowExpiresAt(w: FixedWindow, state: FixedWindowState): number {
  return state.windowStart + w.windowMs;
}
