/**
 * Runs in Node before the workerd tests: starts loopback HTTP origins (echo servers) the gateway can
 * reach as ServiceEntry endpoints, and hands their ports to the tests via `inject("origins")`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    origins: { echo: number };
  }
}

export default async function setup(project: TestProject) {
  const echo = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "x-origin": "echo" });
      res.end(JSON.stringify({ origin: "echo", method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  await new Promise<void>((ok) => echo.listen(0, "127.0.0.1", ok));
  project.provide("origins", { echo: (echo.address() as AddressInfo).port });
  return async () => {
    await new Promise<void>((ok) => echo.close(() => ok()));
  };
}
