// Secrets and optional vars that `wrangler types` cannot see in wrangler.toml.
interface Env {
  /** Admin API bearer token (`wrangler secret put ADMIN_TOKEN`; `npm start` passes a generated one). */
  ADMIN_TOKEN?: string;
  /** Cloudflare Access team domain, e.g. `https://acme.cloudflareaccess.com`; with ACCESS_AUD enables Access JWTs. */
  ACCESS_TEAM_DOMAIN?: string;
  ACCESS_AUD?: string;
  /**
   * Istio MeshConfig subset as YAML or JSON: `extensionProviders` (CUSTOM authorization),
   * `defaultConfig.gatewayTopology.numTrustedProxies`, `pathNormalization.normalization`.
   */
  MESH_CONFIG?: string;
  /** `true` only in local dev (`npm start`, tests): allows the documented dev admin token. */
  ISTHMUS_DEV?: string;
  /** Optional Analytics Engine dataset: one data point per request (docs/observability.md has the SQL). */
  METRICS_DATASET?: AnalyticsEngineDataset;
}
