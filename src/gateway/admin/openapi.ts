/** The admin API's OpenAPI 3.1 document, served at `{prefix}/openapi.json`. */

const errorList = {
  type: "object",
  properties: {
    errors: {
      type: "array",
      items: {
        type: "object",
        properties: {
          kind: { type: "string" }, namespace: { type: "string" }, name: { type: "string" },
          path: { type: "string", description: "field path, e.g. spec.http[0].route[0].weight" },
          message: { type: "string" }, code: { type: "string" }, file: { type: "string" }, line: { type: "integer" },
        },
        required: ["path", "message", "code"],
      },
    },
  },
};

const analyzerMessage = {
  type: "object",
  properties: {
    code: { type: "string", example: "IST0101" }, type: { type: "string" }, level: { enum: ["Error", "Warning", "Info"] },
    kind: { type: "string" }, namespace: { type: "string" }, name: { type: "string" }, path: { type: "string" },
    message: { type: "string" }, line: { type: "integer" },
  },
};

const applyResult = {
  type: "object",
  properties: {
    version: { type: "integer" },
    results: {
      type: "array",
      items: {
        type: "object",
        properties: {
          apiVersion: { type: "string" }, kind: { type: "string" }, namespace: { type: "string" }, name: { type: "string" },
          action: { enum: ["created", "configured", "unchanged", "deleted", "notfound"] },
        },
      },
    },
    warnings: { type: "array", items: analyzerMessage },
  },
};

const resourceBody = {
  required: true,
  description: "Multi-document YAML, a JSON object, a JSON array of objects, or a Kubernetes `kind: List` with `items` (≤ 1 MiB).",
  content: { "application/yaml": { schema: { type: "string" } }, "application/json": { schema: {} } },
};

const errors = (codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: ({ 401: "missing or wrong credentials", 404: "not found", 409: "stale resourceVersion", 413: "body larger than 1 MiB", 422: "invalid resources; nothing stored" } as Record<number, string>)[c] ?? "error", content: { "application/json": { schema: errorList } } }]));

const ok = (schema: unknown, description = "ok") => ({ "200": { description, content: { "application/json": { schema } } } });
const dryRun = { name: "dryRun", in: "query", schema: { type: "boolean" }, description: "validate and answer as if applied; store nothing" };
const resourcePath = ["group", "version", "ns", "plural", "name"].map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));

export function openApiDocument(prefix: string) {
  return {
    openapi: "3.1.0",
    info: { title: "Isthmus admin API", version: "1", description: "Kubernetes-style management of the Istio config an Isthmus gateway serves (DESIGN §4)." },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "the ADMIN_TOKEN secret" },
        access: { type: "apiKey", in: "header", name: "Cf-Access-Jwt-Assertion", description: "a Cloudflare Access JWT" },
      },
    },
    security: [{ bearer: [] }, { access: [] }],
    paths: {
      [`${prefix}/apply`]: { post: { summary: "Validate, then store all resources or none", parameters: [dryRun], requestBody: resourceBody, responses: { ...ok(applyResult), ...errors([401, 409, 413, 422]) } } },
      [`${prefix}/delete`]: { post: { summary: "Delete the resources named in the body", parameters: [dryRun], requestBody: resourceBody, responses: { ...ok(applyResult), ...errors([401, 413, 422]) } } },
      [`${prefix}/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}`]: {
        get: { summary: "One resource", parameters: resourcePath, responses: { ...ok({ type: "object" }), ...errors([401, 404]) } },
        put: { summary: "Replace one resource (409 on a stale metadata.resourceVersion)", parameters: [...resourcePath, dryRun], requestBody: resourceBody, responses: { ...ok(applyResult), ...errors([401, 404, 409, 413, 422]) } },
        delete: { summary: "Delete one resource", parameters: resourcePath, responses: { ...ok(applyResult), ...errors([401, 404]) } },
      },
      [`${prefix}/apis/{group}/{version}/namespaces/{ns}/{plural}`]: { get: { summary: "List in a namespace", parameters: resourcePath.slice(0, 4), responses: { ...ok({ type: "object" }), ...errors([401, 404]) } } },
      [`${prefix}/apis/{group}/{version}/{plural}`]: { get: { summary: "List in all namespaces", parameters: [resourcePath[0], resourcePath[1], resourcePath[3]], responses: { ...ok({ type: "object" }), ...errors([401, 404]) } } },
      [`${prefix}/version`]: { get: { summary: "Current snapshot version", responses: { ...ok({ type: "object", properties: { version: { type: "integer" } } }), ...errors([401]) } } },
      [`${prefix}/history`]: { get: { summary: "The last 50 versions", responses: { ...ok({ type: "object" }), ...errors([401]) } } },
      [`${prefix}/rollback`]: { post: { summary: "Make a new version with the resources of an earlier one", requestBody: { required: true, content: { "application/json": { schema: { type: "object", properties: { version: { type: "integer" } }, required: ["version"] } } } }, responses: { ...ok(applyResult), ...errors([401, 404, 422]) } } },
      [`${prefix}/config_dump`]: { get: { summary: "The compiled snapshot this gateway serves", responses: { ...ok({ type: "object" }), ...errors([401]) } } },
      [`${prefix}/analyze`]: { post: { summary: "Analyzer messages for the stored config plus an optional body", requestBody: { ...resourceBody, required: false }, responses: { ...ok({ type: "object", properties: { messages: { type: "array", items: analyzerMessage } } }), ...errors([401, 413]) } } },
      [`${prefix}/explain`]: { post: { summary: "Which virtual host, route, policies and destination would decide a request", requestBody: { required: true, content: { "application/json": { schema: { type: "object", properties: { method: { type: "string" }, url: { type: "string" }, headers: { type: "object" } }, required: ["url"] } } } }, responses: { ...ok({ type: "object" }), ...errors([401, 422]) } } },
      [`${prefix}/metrics`]: { get: { summary: "Prometheus text format", responses: { "200": { description: "metrics", content: { "text/plain": { schema: { type: "string" } } } }, ...errors([401]) } } },
      [`${prefix}/healthz`]: { get: { summary: "Liveness; needs no credentials", security: [], responses: ok({ type: "object", properties: { status: { const: "ok" } } }) } },
      [`${prefix}/openapi.json`]: { get: { summary: "This document", responses: ok({ type: "object" }) } },
    },
  };
}
