// What the gateway may ask of control over its service binding (Workers RPC): its own SVIDs
// and status reports. A service binding is reachable only by Workers bound to it, so the
// gateway needs no join token, and it never holds a CA or control signing key.
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { JWK } from 'jose';
import { formatSpiffeId } from '../core/identity/spiffe-id.ts';
import type { ControlEnv } from './env.ts';
import { issueSvids, readSvidRequest } from './identity/issue-svids.ts';
import type { SvidResponse } from './identity/issue-svids.ts';
import { authority } from './keys/authority.ts';
import { currentMesh } from './keys/mesh-settings.ts';
import { signEndpointsView } from './routes/endpoints.ts';
import { readStatusReport } from './routes/status.ts';
import { controlState } from './state/control-state.ts';

export const GATEWAY_NAMESPACE = 'edge';
export const GATEWAY_SERVICE = 'gateway';

export class ControlRpc extends WorkerEntrypoint<ControlEnv> {
  /** JWT-SVIDs for the gateway's SPIFFE ID (`spiffe://<td>/ns/edge/sa/gateway`). */
  async gatewaySvid(audiences: string[]): Promise<SvidResponse> {
    const request = readSvidRequest({ audiences });
    const auth = await authority(this.env);
    const mesh = await currentMesh(this.env);
    const spiffeId = formatSpiffeId(auth.trustDomain, GATEWAY_NAMESPACE, GATEWAY_SERVICE);
    return issueSvids(auth, spiffeId, request, { jwtMs: mesh.identity.jwtSvidTtlMs, x509Ms: mesh.identity.x509SvidTtlMs });
  }

  /**
   * The trust bundle the gateway verifies snapshots with: control's public signing keys (a
   * JWKS, `keys`) and the mesh's trust domain, which every snapshot it accepts must name.
   * The answer is still a JWKS: a caller that reads only `keys` needs nothing else.
   */
  async trustBundle(): Promise<{ keys: JWK[]; trustDomain: string }> {
    const auth = await authority(this.env);
    return { keys: auth.keys.publicJwks, trustDomain: auth.trustDomain };
  }

  /**
   * Certifies the gateway's edge-token public key: control publishes it in the trust bundle
   * (`edge.jwks`) under the gateway's SPIFFE ID, so sidecars can verify edge tokens offline.
   */
  async certifyGatewayKey(publicJwk: JWK): Promise<{ issuer: string }> {
    const { kty, crv, alg, kid } = publicJwk;
    if ('d' in publicJwk || 'k' in publicJwk) throw new Error('certifyGatewayKey takes the public key only');
    if (typeof kid !== 'string' || !kid || (alg !== 'ES256' && alg !== 'EdDSA') || (kty !== 'EC' && kty !== 'OKP'))
      throw new Error('certifyGatewayKey needs an ES256 or EdDSA public JWK with a kid');
    await controlState(this.env).certifyEdgeKey({ kty, crv, alg, kid, use: 'sig', ...(publicJwk.x ? { x: publicJwk.x } : {}), ...(publicJwk.y ? { y: publicJwk.y } : {}) });
    const auth = await authority(this.env);
    return { issuer: formatSpiffeId(auth.trustDomain, GATEWAY_NAMESPACE, GATEWAY_SERVICE) };
  }

  /**
   * The signed endpoints document (instances registered by sidecars), for edge load
   * balancing; null when the caller already has `knownVersion` (nothing is signed then).
   */
  async endpointsDocument(knownVersion?: string): Promise<string | null> {
    const view = await controlState(this.env).endpoints();
    return view.version === knownVersion ? null : signEndpointsView(this.env, view);
  }

  /** The gateway's ACK/NACK, the same report sidecars POST to /v1/status. */
  async reportGatewayStatus(report: Record<string, unknown>): Promise<void> {
    const auth = await authority(this.env);
    const spiffeId = formatSpiffeId(auth.trustDomain, GATEWAY_NAMESPACE, GATEWAY_SERVICE);
    await controlState(this.env).reportStatus(readStatusReport({ ...report, kind: 'gateway' }, { spiffeId, namespace: GATEWAY_NAMESPACE, service: GATEWAY_SERVICE }));
  }
}
