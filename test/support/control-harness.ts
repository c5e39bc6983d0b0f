// The REAL control Worker (control/index.ts, bundled as `wrangler deploy --dry-run` would) for
// Node tests of the sidecar, in Miniflare in this process, on its own 127.0.0.1 socket.
//
//   const control = await startControl();                 // fresh secrets, fresh state
//   await control.push(files);                             // PUT /v1/snapshot (If-Match handled) → version
//   const join = await control.joinToken('reviews');       // wjt_… for default/reviews
//   const status = await control.status();                 // GET /v1/status (read token)
//   await control.stop(); await control.start();           // an outage, then control back on the SAME port, same state
//   await control.close();                                 // stops workerd, removes the state folder
//
// State (Durable Object + KV) is persisted in a temp folder so a stop/start keeps snapshots,
// join tokens, status and endpoints. The test vars are short (ENDPOINT_TTL_SECONDS=3,
// STATUS_STALE_AFTER_SECONDS=5) unless `vars` overrides them. The bundle is the one vitest's
// config makes for each run (.weft/build/control), or is made here when it is missing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { V4MiniflareOptions } from 'miniflare';
import { generateControlSecrets } from '../../cli/control/dev-secrets.ts';
import type { DevCredentials } from '../../cli/control/dev-secrets.ts';
import type { ControlClientOptions } from '../../sidecar/control/control-client.ts';
import { freePort } from './basics.ts';
import { bundleWorker } from './bundle-worker.ts';
import { CONTROL_BUNDLE_DIR } from './gateway-global-setup.ts';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = await import('miniflare');

/**
 * Options for a sidecar control client in tests: an instance of default/reviews, no endpoint
 * registration, quiet, short long-polls and fast reconnects. `extra` overrides any of them.
 */
export function controlClientOptions(controlUrl: string, stateDir: string, instanceId: string, extra: Partial<ControlClientOptions> = {}): ControlClientOptions {
  return {
    controlUrl,
    stateDir,
    self: { service: 'reviews', namespace: 'default', instanceId, labels: {} },
    register: null,
    log: () => undefined,
    longPollSeconds: 2,
    backoff: { baseMs: 50, maxMs: 500 },
    ...extra,
  };
}

export interface StatusNode {
  nodeId: string;
  kind: string;
  service: string;
  spiffeId: string;
  appliedVersion: string | null;
  rejected: { version: string; reason: string } | null;
  lastKnownGood: boolean;
  lastSeen: string;
  stale: boolean;
  converged: boolean;
}

export interface ControlHarness {
  /** `http://127.0.0.1:<port>`; the same across stop()/start(). */
  readonly url: string;
  readonly port: number;
  readonly adminToken: string;
  readonly readToken: string;
  readonly trustDomain: string;
  /** Pushes policy files (`{ name: yaml }`) based on the current version; returns the new current version. */
  push(files: Record<string, string>, metadata?: Record<string, string>): Promise<string>;
  /** The current snapshot version, or null before the first push. */
  currentVersion(): Promise<string | null>;
  /** A join token for `namespace/service`. */
  joinToken(service: string, options?: { namespace?: string; uses?: number; ttl?: string }): Promise<string>;
  /** `GET /v1/status`. */
  status(): Promise<{ current: string | null; nodes: StatusNode[] }>;
  /** The payload of `GET /v1/endpoints` (decoded, not verified). */
  endpoints(): Promise<{ version: string; endpoints: Record<string, { instanceId: string; address: string; port: number; labels: Record<string, string> }[]> }>;
  /** An authenticated request to control (admin token unless `token` is given). */
  request(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** Stops workerd: control is unreachable (connection refused) until start(). */
  stop(): Promise<void>;
  /** Starts control again on the same port with the same state and secrets. */
  start(): Promise<void>;
  /** Stops control and deletes its state. */
  close(): Promise<void>;
}

const KV_ID = '00000000000000000000000000000000';

function controlScript(): string {
  const script = join(CONTROL_BUNDLE_DIR, 'index.js');
  return existsSync(script) ? script : bundleWorker('control/wrangler.toml', CONTROL_BUNDLE_DIR);
}

/** A small valid policy set: the Mesh for `trustDomain` and one Service whose port marks the version. */
export function basicPolicy(port = 9080, trustDomain = 'weft.local'): Record<string, string> {
  return {
    'mesh.yaml': `apiVersion: weft/v1\nkind: Mesh\nmetadata: { name: weft }\nspec:\n  trustDomain: ${trustDomain}\n`,
    'reviews.yaml': `apiVersion: weft/v1\nkind: Service\nmetadata: { name: reviews }\nspec:\n  port: ${port}\n`,
  };
}

export async function startControl(options: { vars?: Record<string, string>; credentials?: DevCredentials } = {}): Promise<ControlHarness> {
  const creds = options.credentials ?? (await generateControlSecrets('weft.local'));
  const script = controlScript();
  const stateDir = mkdtempSync(join(tmpdir(), 'weft-control-harness-'));
  const vars = { STATUS_STALE_AFTER_SECONDS: '5', ENDPOINT_TTL_SECONDS: '3', MAX_BODY_BYTES: '5242880', ...options.vars };
  let mf: InstanceType<typeof Miniflare> | undefined;
  // Drawn below the ephemeral range and kept for every boot, so that after stop() no other
  // server's listen(0) can take it before start() binds it again.
  const port = await freePort();

  async function boot(): Promise<void> {
    const config: V4MiniflareOptions = {
      host: '127.0.0.1',
      port: 0,
      cf: false,
      log: new Log(LogLevel.WARN),
      resourcePersistencePath: stateDir,
      handleStructuredLogs: () => undefined,
      name: 'weft-control',
      modules: true,
      scriptPath: script,
      modulesRoot: dirname(script),
      compatibilityDate: '2026-11-01',
      compatibilityFlags: ['nodejs_compat'],
      kvNamespaces: { SNAPSHOTS: KV_ID },
      durableObjects: { CONTROL_STATE: { className: 'ControlState', useSQLite: true }, RATE_LIMIT_LEASES: { className: 'RateLimitLeases' } },
      bindings: { ...creds.secrets, ...vars },
      unsafeDirectSockets: [{ host: '127.0.0.1', port }],
    };
    const instance = new Miniflare(convertV4MiniflareOptions(config));
    try {
      await instance.ready;
    } catch (e) {
      await instance.dispose().catch(() => undefined);
      throw e;
    }
    mf = instance;
  }

  await boot();
  const url = `http://127.0.0.1:${port}`;

  async function request(method: string, path: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    return fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${o.token ?? creds.adminToken}`, 'content-type': 'application/json', ...o.headers },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
  }

  async function json<T>(res: Response, expected: number[], what: string): Promise<T> {
    const text = await res.text();
    if (!expected.includes(res.status)) throw new Error(`${what}: control answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  async function currentVersion(): Promise<string | null> {
    const res = await request('GET', '/v1/snapshots?limit=1', { token: creds.readToken });
    return (await json<{ current: string | null }>(res, [200], 'GET /v1/snapshots')).current;
  }

  const harness: ControlHarness = {
    url,
    get port() {
      return port;
    },
    adminToken: creds.adminToken,
    readToken: creds.readToken,
    trustDomain: creds.trustDomain,
    request,
    currentVersion,
    async push(files, metadata = { author: 'test' }) {
      const current = await currentVersion();
      const res = await request('PUT', '/v1/snapshot', { body: { files, metadata }, headers: current ? { 'if-match': `"${current}"` } : {} });
      return (await json<{ version: string }>(res, [200, 201], 'PUT /v1/snapshot')).version;
    },
    async joinToken(service, o = {}) {
      const res = await request('POST', '/v1/identity/join-tokens', { body: { service, namespace: o.namespace ?? 'default', uses: o.uses ?? 1, ttl: o.ttl ?? '15m' } });
      return (await json<{ token: string }>(res, [201], 'POST /v1/identity/join-tokens')).token;
    },
    async status() {
      return json(await request('GET', '/v1/status', { token: creds.readToken }), [200], 'GET /v1/status');
    },
    async endpoints() {
      const res = await request('GET', '/v1/endpoints', { token: creds.readToken });
      const jws = await res.text();
      if (res.status !== 200) throw new Error(`GET /v1/endpoints: control answered ${res.status}: ${jws.slice(0, 500)}`);
      return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'));
    },
    async stop() {
      const running = mf;
      mf = undefined;
      await running?.dispose();
    },
    async start() {
      if (mf) return;
      await boot();
    },
    async close() {
      try {
        await harness.stop();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
  return harness;
}

// waitFor, and deadPort (a port on 127.0.0.1 where nothing listens: connection refused), live in
// basics.ts, which does not load Miniflare.
export { freePort as deadPort, waitFor } from './basics.ts';
