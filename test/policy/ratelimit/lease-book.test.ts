/**
 * The isolate's lease book (src/policy/ratelimit/lease-book.ts), without a Durable Object: a renewal
 * is a second slice — the old one is never given the new one's end (its units would outlive their
 * lease) and the new one is never cut to the old end; the slice ending first is used first; ended
 * slices are given back once, only the newest window's units; the renewal threshold.
 */
import { describe, expect, it } from "vitest";
import { LeaseBook, RENEW_FRACTION } from "../../../src/policy/ratelimit/lease-book.js";

const take = (book: LeaseBook, now: number, id = "c") => book.takeLocal([id], [1], now);

describe("LeaseBook slices", () => {
  it("keeps a renewal apart: old units end at the old end, new ones at their own", () => {
    const book = new LeaseBook(0);
    book.add("c", { units: 10, sentAt: 0, usableUntil: 1000, window: 0, resetAt: 1000 }, 0);
    book.add("c", { units: 5, sentAt: 900, usableUntil: 1900, window: 0, resetAt: 1900 }, 950);
    expect(book.slices("c")).toBe(2);
    // Before the old end the old slice (ending first) is used: 9 + 5 left.
    expect(take(book, 950)).toEqual([{ remaining: 14, resetAt: 1000 }]);
    // From the old end on, only the renewal's 5 units, until its own end (not cut to 1000).
    for (let i = 0; i < 5; i++) expect(take(book, 1000 + i * 100)?.[0]!.resetAt).toBe(1900);
    expect(take(book, 1500)).toBeUndefined();
    // The old slice's 9 unused units go back once.
    expect(book.release("c", 1500)).toEqual({ units: 9, window: 0 });
    expect(book.release("c", 1500)).toBeUndefined();
  });

  it("a renewal answered after the old slice ended does not revive it", () => {
    const book = new LeaseBook(0);
    book.add("c", { units: 10, sentAt: 0, usableUntil: 1000, window: 0, resetAt: 1000 }, 0);
    book.add("c", { units: 2, sentAt: 990, usableUntil: 1990, window: 1000, resetAt: 1990 }, 1200);
    expect(take(book, 1200)?.[0]!.remaining).toBe(1);
    expect(take(book, 1200)?.[0]!.remaining).toBe(0);
    expect(take(book, 1200)).toBeUndefined();
  });

  it("gives back ended slices of the newest window only; live slices stay", () => {
    const book = new LeaseBook(0);
    book.add("c", { units: 7, sentAt: 0, usableUntil: 900, window: 0, resetAt: 1000 }, 0);
    book.add("c", { units: 4, sentAt: 950, usableUntil: 1500, window: 1000, resetAt: 2000 }, 960);
    book.add("c", { units: 3, sentAt: 960, usableUntil: 1600, window: 1000, resetAt: 2000 }, 970);
    book.add("c", { units: 6, sentAt: 1400, usableUntil: 2400, window: 1000, resetAt: 2000 }, 1410);
    expect(book.held()).toBe(20);
    expect(book.release("c", 1700)).toEqual({ units: 7, window: 1000 });
    expect(book.held()).toBe(6);
    expect(book.slices("c")).toBe(1);
  });

  it("is low under a quarter of the newest slice's units or time, once per slice", () => {
    const book = new LeaseBook(0);
    book.add("c", { units: 100, sentAt: 0, usableUntil: 1000, window: 0, resetAt: 1000 }, 0);
    expect(book.low(["c"], 100)).toBe(false);
    for (let i = 0; i < 76; i++) take(book, 100);
    expect(book.low(["c"], 100)).toBe(true); // 24 left < 25
    book.renewing(["c"]);
    expect(book.low(["c"], 100)).toBe(false); // one renewal per slice
    book.add("c", { units: 100, sentAt: 100, usableUntil: 1100, window: 0, resetAt: 1100 }, 110);
    expect(book.low(["c"], 110)).toBe(false);
    // Time: the newest slice has less than a quarter of its second left.
    expect(book.low(["c"], 1100 - 1000 * RENEW_FRACTION + 1)).toBe(true);
    // A slice that ends with its fixed window is not renewed for time (a renewal would get the same window).
    const w = new LeaseBook(0);
    w.add("c", { units: 100, sentAt: 0, usableUntil: 1000, window: 0, resetAt: 1000, endsWithWindow: true }, 0);
    expect(w.low(["c"], 990)).toBe(false);
  });
});
