/** YAML builders for the resources most gateway tests need, so each test states only what it is about. */

/** A Gateway selecting the test gateway, one plain-HTTP server on port 80 for `hosts`. */
export function gatewayYaml(name: string, hosts: string[]): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [${hosts.map((h) => JSON.stringify(h)).join(", ")}]}]
`;
}

/** A ServiceEntry `host` whose one endpoint is a loopback origin on `port`. */
export function loopbackOriginYaml(name: string, host: string, port: number): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${host}]
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${port}}}]
`;
}
