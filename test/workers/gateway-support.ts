// Gateway test support (runs in workerd): policies are pushed through the real control Worker
// (its HTTP API over a service binding), which signs them and mirrors them to the KV the
// gateway reads; requests go through the real gateway (SELF) to real upstreams on 127.0.0.1.
import { env, SELF } from 'cloudflare:test';
import type { GlobalRateLimiter } from '../../gateway/rate-limit/global-rate-limiter.ts';

export const testEnv = env as unknown as {
  CONTROL_HTTP: Fetcher;
  SNAPSHOTS: KVNamespace;
  RATE_LIMITS: DurableObjectNamespace<GlobalRateLimiter>;
  TEST_ADMIN_TOKEN: string;
  TEST_READ_TOKEN: string;
  UPSTREAM_STABLE_PORT: string;
  UPSTREAM_CANARY_PORT: string;
  UPSTREAM_MIRROR_PORT: string;
  UPSTREAM_SHADOW_PORT: string;
  /** A grpc-js server behind a sidecar inbound that bridges gRPC-Web. */
  UPSTREAM_GREETER_PORT: string;
  /** A `ws` echo app (test/support/websocket-echo.ts). */
  UPSTREAM_WEBSOCKET_PORT: string;
};

export const PORTS = { stable: testEnv.UPSTREAM_STABLE_PORT, canary: testEnv.UPSTREAM_CANARY_PORT, mirror: testEnv.UPSTREAM_MIRROR_PORT, shadow: testEnv.UPSTREAM_SHADOW_PORT };

/** A Service with subsets `stable`, `canary` and `mirror`, one real upstream each. */
export function apiService(extra = ''): string {
  return [
    'apiVersion: weft/v1',
    'kind: Service',
    'metadata: { name: api }',
    'spec:',
    '  subsets:',
    '    - { name: stable, labels: { track: stable } }',
    '    - { name: canary, labels: { track: canary } }',
    '    - { name: mirror, labels: { track: mirror } }',
    '  endpoints:',
    `    - { address: 127.0.0.1, port: ${PORTS.stable}, labels: { track: stable } }`,
    `    - { address: 127.0.0.1, port: ${PORTS.canary}, labels: { track: canary } }`,
    `    - { address: 127.0.0.1, port: ${PORTS.mirror}, labels: { track: mirror } }`,
    extra,
  ].join('\n');
}

export function route(name: string, host: string, rules: string): string {
  return `apiVersion: weft/v1\nkind: Route\nmetadata: { name: ${name} }\nspec:\n  edge: { hosts: [${host}] }\n  rules:\n${rules}`;
}

let base: string | null = null;

/** Pushes policy YAML documents through control; returns the new version. */
export async function pushPolicy(...docs: string[]): Promise<string> {
  const current = await testEnv.CONTROL_HTTP.fetch('https://control/v1/snapshot', { headers: { authorization: `Bearer ${testEnv.TEST_READ_TOKEN}` } });
  base = current.status === 200 ? current.headers.get('weft-snapshot-version') : null;
  const headers: Record<string, string> = { authorization: `Bearer ${testEnv.TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
  if (base) headers['if-match'] = `"${base}"`;
  const res = await testEnv.CONTROL_HTTP.fetch('https://control/v1/snapshot', { method: 'PUT', headers, body: JSON.stringify({ files: { 'test.yaml': docs.join('\n---\n') } }) });
  const body = (await res.json()) as { version?: string; error?: unknown };
  if (res.status !== 201 && res.status !== 200) throw new Error(`push failed: ${res.status} ${JSON.stringify(body)}`);
  return body.version as string;
}

/** Asks the gateway until it reports `version` in force (bounded); returns what it last reported. */
export async function gatewayVersion(expected: string, host = 'api.example.com'): Promise<string | null> {
  let seen: string | null = null;
  for (let i = 0; i < 50; i++) {
    seen = ((await (await SELF.fetch(`https://${host}/__weft/health`)).json()) as { snapshot: string | null }).snapshot;
    if (seen === expected) return seen;
    await new Promise((r) => setTimeout(r, 20));
  }
  return seen;
}

export function gw(url: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(url, init);
}

export interface Echo {
  upstream: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  bodyLength: number;
}

export async function echo(res: Response): Promise<Echo> {
  if (res.status !== 200) throw new Error(`expected 200 from upstream, got ${res.status}: ${await res.text()}`);
  return (await res.json()) as Echo;
}

/** Talks to an upstream directly (its bookkeeping endpoints). */
export async function upstream(name: keyof typeof PORTS, path: string): Promise<unknown> {
  return (await fetch(`http://127.0.0.1:${PORTS[name]}${path}`)).json();
}
