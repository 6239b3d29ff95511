/** Test helpers that drive the admin API of the real gateway Worker, as an operator's script would. */
import { exports } from "cloudflare:workers";
import bookinfoGateway from "../../examples/bookinfo/bookinfo-gateway.yaml?raw";
import bookinfoServices from "../../examples/bookinfo/bookinfo-services.yaml?raw";
import destinationRules from "../../examples/bookinfo/destination-rule-all.yaml?raw";
import allV1 from "../../examples/bookinfo/tasks/virtual-service-all-v1.yaml?raw";
import jasonV2 from "../../examples/bookinfo/tasks/virtual-service-reviews-jason-v2.yaml?raw";
import fiftyV3 from "../../examples/bookinfo/tasks/virtual-service-reviews-50-v3.yaml?raw";
import brokenWeights from "../../examples/bookinfo/tasks/broken-weights.yaml?raw";

export const ADMIN_TOKEN = "test-admin-token";
export const BOOKINFO_YAML = [bookinfoGateway, bookinfoServices, destinationRules].join("\n---\n");
export const TASKS = { allV1, jasonV2, fiftyV3, brokenWeights };

export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${ADMIN_TOKEN}`);
  return exports.default.fetch(`http://gateway.test/_mesh${path}`, { ...init, headers });
}

export function applyYaml(yaml: string, query = ""): Promise<Response> {
  return admin(`/apply${query}`, { method: "POST", body: yaml, headers: { "content-type": "application/yaml" } });
}

export function deleteYaml(yaml: string): Promise<Response> {
  return admin("/delete", { method: "POST", body: yaml, headers: { "content-type": "application/yaml" } });
}

export async function version(): Promise<number> {
  return ((await (await admin("/version")).json()) as { version: number }).version;
}
