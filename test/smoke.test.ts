import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("workerd", () => {
  it("runs tests inside workerd", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
  });
  it("reaches a member and back through MeshEntrypoint", async () => {
    const res = await exports.default.fetch("http://gw/pp");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("Comedy");
  });
});
