import { describe, expect, it } from "vitest";
import { parseRequestUrl } from "../../src/gateway/chain/request-target.js";

describe("parseRequestUrl", () => {
  it.each([
    ["http://bookinfo.local/productpage?x=1", { scheme: "http", host: "bookinfo.local", port: 80, pathAndQuery: "/productpage?x=1" }],
    ["https://a.example:8443/p", { scheme: "https", host: "a.example:8443", port: 8443, pathAndQuery: "/p" }],
    ["http://127.0.0.1:8787//admin/../x?q", { scheme: "http", host: "127.0.0.1:8787", port: 8787, pathAndQuery: "//admin/../x?q" }],
    ["http://[::1]:9080/a#frag", { scheme: "http", host: "[::1]:9080", port: 9080, pathAndQuery: "/a" }],
    ["http://[::1]/a", { scheme: "http", host: "[::1]", port: 80, pathAndQuery: "/a" }],
    ["http://reviews:9080", { scheme: "http", host: "reviews:9080", port: 9080, pathAndQuery: "/" }],
    ["http://h?only=query", { scheme: "http", host: "h", port: 80, pathAndQuery: "/?only=query" }],
  ])("%s", (url, expected) => {
    expect(parseRequestUrl(url)).toEqual(expected);
  });
});
