// Types for mesh-config.mjs, so bench/micro-worker.ts (type-checked with the project) can import it.
export const BENCH_HOST: string;
export const BENCH_NAMESPACE: string;
export const ORIGIN_HOST: string;
export const ROUTES_PER_VIRTUAL_SERVICE: number;

export interface BenchResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; creationTimestamp?: string };
  spec: Record<string, unknown>;
}

export function routeMatch(i: number): Record<string, unknown>;
export function requestFor(i: number): { path: string; headers: Record<string, string> };
export function middleRoute(routes: number): number;
export function meshResources(routes: number): { base: BenchResource[]; virtualServices: BenchResource[] };
export function applyBatches(resources: unknown[], maxBytes?: number): string[];
