// Test support for the sidecar: a fixed SidecarView (policy compiled from YAML, an endpoints
// document given by the test, a trust bundle with locally generated keys, JWT-SVIDs minted
// locally as control would), and a ProxyObserver that records what it is told. One MeshKeys
// is shared by every workload of a test, as one control plane would be.
import type { JSONWebKeySet } from 'jose';
import { getGlobalDispatcher } from 'undici';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import type { EdgeUser } from '../../core/identity/edge-token.ts';
import { mintEdgeToken } from '../../core/identity/edge-token.ts';
import { mintJwtSvid } from '../../core/identity/jwt-svid.ts';
import { formatSpiffeId } from '../../core/identity/spiffe-id.ts';
import { TokenCache } from '../../core/identity/token-cache.ts';
import { generateSigningKeyPair, importSigningKey } from '../../core/keys/signing-key.ts';
import type { SigningKey } from '../../core/keys/signing-key.ts';
import { buildSnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { buildSnapshot } from '../../core/snapshot/build.ts';
import type { AccessLogEntry, Direction, ProxyObserver, SidecarView, TrustBundle, WorkloadSelf, WorkloadTls } from '../../sidecar/types.ts';
import { compileValid, doc } from './compile-yaml.ts';

export const TRUST_DOMAIN = 'weft.local';
export const GATEWAY_ID = `spiffe://${TRUST_DOMAIN}/ns/edge/sa/gateway`;

export interface MeshKeys {
  /** Signs JWT-SVIDs (and would sign snapshots): its public half is the bundle's JWKS. */
  signing: SigningKey;
  /** The gateway's edge-token key, certified in the bundle. */
  edge: SigningKey;
  bundle: TrustBundle;
}

export async function createMeshKeys(): Promise<MeshKeys> {
  const [signing, edge] = await Promise.all([generateSigningKeyPair('ES256'), generateSigningKeyPair('ES256')]);
  const jwks: JSONWebKeySet = { keys: [signing.publicJwk] };
  return {
    signing: await importSigningKey(signing.privateJwk),
    edge: await importSigningKey(edge.privateJwk),
    bundle: {
      trustDomain: TRUST_DOMAIN,
      controlId: `spiffe://${TRUST_DOMAIN}/ns/weft-system/sa/control`,
      jwks,
      x509Authorities: [],
      edge: { issuer: GATEWAY_ID, jwks: { keys: [edge.publicJwk] } },
    },
  };
}

export function spiffeIdOf(namespace: string, service: string): string {
  return formatSpiffeId(TRUST_DOMAIN, namespace, service);
}

/** The SPIFFE IDs of the Bookinfo services the sidecar tests use (namespace default). */
export const PRODUCTPAGE = spiffeIdOf('default', 'productpage');
export const REVIEWS = spiffeIdOf('default', 'reviews');
export const RATINGS = spiffeIdOf('default', 'ratings');
export const DETAILS = spiffeIdOf('default', 'details');

/** A JWT-SVID for `subject`, addressed to `audience`, signed by `key` (the mesh key unless forging). */
export async function mintSvid(keys: MeshKeys, subject: string, audience: string, options: { ttlMs?: number; now?: number; key?: SigningKey } = {}): Promise<string> {
  const minted = await mintJwtSvid({ spiffeId: subject, audience: [audience], ttlMs: options.ttlMs ?? 300_000, key: options.key ?? keys.signing, ...(options.now !== undefined ? { now: options.now } : {}) });
  return minted.token;
}

/** An edge token for `user`, addressed to `audience`, as the gateway would mint it. */
export function mintEdge(keys: MeshKeys, audience: string, user: EdgeUser, options: { ttlMs?: number; now?: number } = {}): Promise<string> {
  return mintEdgeToken({ gatewayId: GATEWAY_ID, audience, user, key: keys.edge, ...options });
}

/** A Mesh document with the test trust domain and the given mTLS mode (retries off unless given). */
export function meshYaml(mode: 'strict' | 'permissive' = 'strict', extra = ''): string {
  return doc('Mesh', 'weft', `trustDomain: ${TRUST_DOMAIN}\nmtls:\n  mode: ${mode}\n${extra}`);
}

export async function runtimeFromYaml(policy: string | Record<string, string>): Promise<SnapshotRuntime> {
  return buildSnapshotRuntime(await buildSnapshot(compileValid(policy)));
}

export interface FixedView extends SidecarView {
  /** Replaces the endpoints document (a new version). */
  setEndpoints(endpoints: EndpointsDocument['endpoints']): void;
  /** Replaces the snapshot. */
  setPolicy(policy: string | Record<string, string>): Promise<void>;
  /** Makes jwtSvid() reject (no identity), or work again. */
  setIdentityAvailable(available: boolean): void;
  /** Replaces the mTLS material (a renewal, a CA rotation), or removes it (undefined). */
  setTls(tls: WorkloadTls | undefined): void;
}

let endpointsVersion = 0;

function endpointsDocument(endpoints: EndpointsDocument['endpoints']): EndpointsDocument {
  return { version: `test-${++endpointsVersion}`, generatedAt: new Date().toISOString(), endpoints };
}

export async function fixedSidecarView(o: {
  keys: MeshKeys;
  policy: string | Record<string, string>;
  service: string;
  namespace?: string;
  labels?: Record<string, string>;
  endpoints?: EndpointsDocument['endpoints'];
  /** mTLS material (X.509-SVID, key, CAs); none by default. */
  tls?: WorkloadTls;
}): Promise<FixedView> {
  const namespace = o.namespace ?? 'default';
  const self: WorkloadSelf = {
    trustDomain: TRUST_DOMAIN,
    namespace,
    service: o.service,
    spiffeId: spiffeIdOf(namespace, o.service),
    instanceId: `${o.service}-test-${Math.random().toString(36).slice(2, 8)}`,
    labels: o.labels ?? {},
  };
  let runtime = await runtimeFromYaml(o.policy);
  let endpoints = endpointsDocument(o.endpoints ?? {});
  let identity = true;
  let tls = o.tls;
  const svids = new TokenCache();
  return {
    self,
    runtime: () => runtime,
    endpoints: () => endpoints,
    bundle: () => o.keys.bundle,
    tls: () => tls,
    jwtSvid: async (audience) => {
      if (!identity) throw new Error('no identity (test: control unreachable)');
      return svids.get(audience, async () => {
        const now = Date.now();
        const minted = await mintJwtSvid({ spiffeId: self.spiffeId, audience: [audience], ttlMs: 300_000, key: o.keys.signing, now });
        return { token: minted.token, issuedAt: now, expiresAt: minted.expiresAt };
      });
    },
    setEndpoints: (e) => {
      endpoints = endpointsDocument(e);
    },
    setPolicy: async (policy) => {
      runtime = await runtimeFromYaml(policy);
    },
    setIdentityAvailable: (available) => {
      identity = available;
    },
    setTls: (t) => {
      tls = t;
    },
  };
}

/** Remembers every observer call, for assertions. */
export class RecordingObserver implements ProxyObserver {
  readonly requests: AccessLogEntry[] = [];
  readonly retries: { direction: Direction; service: string }[] = [];
  readonly retryRefusals: { direction: Direction; service: string; reason: string }[] = [];
  readonly upstreamErrors: { direction: Direction; service: string; kind: string }[] = [];
  readonly ejections: { service: string; endpoint: string }[] = [];
  readonly rateLimits: { direction: Direction; policy: string }[] = [];
  readonly circuitOpens: { service: string; limit: string }[] = [];
  readonly transports: { direction: Direction; transport: 'mtls' | 'plaintext' }[] = [];
  readonly tlsRefusals: { direction: Direction; reason: string }[] = [];

  request(entry: AccessLogEntry): void {
    this.requests.push(entry);
  }
  retry(direction: Direction, service: string): void {
    this.retries.push({ direction, service });
  }
  retryRefused(direction: Direction, service: string, reason: string): void {
    this.retryRefusals.push({ direction, service, reason });
  }
  upstreamError(direction: Direction, service: string, kind: 'timeout' | 'connect-failure' | 'reset'): void {
    this.upstreamErrors.push({ direction, service, kind });
  }
  ejection(service: string, endpoint: string): void {
    this.ejections.push({ service, endpoint });
  }
  rateLimited(direction: Direction, policy: string): void {
    this.rateLimits.push({ direction, policy });
  }
  circuitOpen(service: string, limit: 'maxConnections' | 'maxPendingRequests'): void {
    this.circuitOpens.push({ service, limit });
  }
  transport(direction: Direction, transport: 'mtls' | 'plaintext'): void {
    this.transports.push({ direction, transport });
  }
  tlsRefused(direction: Direction, reason: string): void {
    this.tlsRefusals.push({ direction, reason });
  }
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

/** One request to a listener on 127.0.0.1:port, as an app would send it (Host names the destination). */
export async function send(
  port: number,
  o: { path?: string; host?: string; method?: string; headers?: Record<string, string>; body?: string | Buffer; absoluteForm?: boolean; signal?: AbortSignal } = {},
): Promise<Reply> {
  const path = o.path ?? '/';
  const r = await getGlobalDispatcher().request({
    origin: `http://127.0.0.1:${port}`,
    path: o.absoluteForm ? `http://${o.host ?? 'localhost'}${path}` : path,
    method: (o.method ?? 'GET') as 'GET',
    headers: { ...(o.host ? { host: o.host } : {}), ...o.headers },
    body: o.body ?? null,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const text = await r.body.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: r.statusCode, headers: r.headers, text, json };
}

/** The headers the upstream echo server saw (test/support/upstream-server.ts). */
export function seenHeaders(reply: Reply): Record<string, string> {
  return (reply.json?.headers ?? {}) as Record<string, string>;
}
