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

/**
 * A real leaf certificate (openssl, P-256), base64 DER, with SANs URI:spiffe://cluster.local/ns/foo/sa/bar and
 * DNS:bar.foo.svc — as Cloudflare hands it in `cf.tlsClientAuth.certRFC9440` (between colons).
 */
export const SPIFFE_CERT_DER =
  "MIIB4TCCAYegAwIBAgIUVl6u77zUssSxZ5CNgIB5IBDY4K0wCgYIKoZIzj0EAwIwJjEWMBQGA1UECgwNY2x1c3Rlci5sb2NhbDEMMAoGA1UEAwwDYmFyMB4XDTI2MTEyNjIwMDM0MloXDTM2MTEyMzIwMDM0MlowJjEWMBQGA1UECgwNY2x1c3Rlci5sb2NhbDEMMAoGA1UEAwwDYmFyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1fFexmITp++Qei4svuWP0rsYmJP4trFA6oqMOH0I2g8/L4RHZGaZhkgtnAXpVCbpw73iNAMhgadj6ZklHhkB1qOBkjCBjzAdBgNVHQ4EFgQU00EQXRRMaj2QIf0ibazRj2yzBIowHwYDVR0jBBgwFoAU00EQXRRMaj2QIf0ibazRj2yzBIowDwYDVR0TAQH/BAUwAwEB/zA8BgNVHREENTAzhiRzcGlmZmU6Ly9jbHVzdGVyLmxvY2FsL25zL2Zvby9zYS9iYXKCC2Jhci5mb28uc3ZjMAoGCCqGSM49BAMCA0gAMEUCIQCDLqaBWbBE9Ir62XwvqdaLT0/t+wbbsU57uUlKqNiUEgIgSnJDF1XYcnesHeOyWarAkNVpZsNYG0S5DR7Skh28vRs=";
