import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("workerd", () => {
  it("runs tests inside workerd", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
  });
});
