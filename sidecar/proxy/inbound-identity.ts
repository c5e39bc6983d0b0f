// Inbound stage 1: who is calling. The caller's JWT-SVID (`x-weft-svid`, audience = this
// workload's SPIFFE ID, signed by a trust-bundle key, in this trust domain) names the peer.
// The edge token (`x-weft-edge-token`) names the end user; it is accepted when addressed to
// this workload, or — one-hop delegation — to the verified caller: that caller proved with its
// SVID that it is the service the gateway addressed the user's token to, and it passes the
// token on as apps propagate traceparent. Without an SVID, a valid edge token also proves a
// gateway peer (the peer is its issuer). A credential that is present and invalid is always
// refused; a missing one is refused in strict mTLS mode only.
//
// Over mutual TLS the peer is the SPIFFE ID of the verified client certificate (tlsPeer) and
// an x-weft-svid header is ignored. When this sidecar can do mTLS (it has an X.509-SVID),
// strict mode takes plaintext only from the edge gateway (its JWT-SVID or edge token: a
// Worker cannot present a client certificate); everyone else must use mutual TLS.
//
// Verification results are cached per token until the token expires (the same string always
// verifies the same way; expiry is checked again on every hit), so a busy keep-alive caller
// costs one signature check per token, not per request.
import { setBounded } from '../../core/collections/bounded-map.ts';
import type { EdgeUser } from '../../core/identity/edge-token.ts';
import { verifyEdgeToken } from '../../core/identity/edge-token.ts';
import { verifyJwtSvid } from '../../core/identity/jwt-svid.ts';
import type { TrustBundle, WorkloadSelf } from '../types.ts';

export interface CallerIdentity {
  /** Verified caller SPIFFE ID (or the gateway's issuer id for an edge token alone); null = anonymous. */
  peer: string | null;
  user: EdgeUser | null;
}

export type IdentityResult = { ok: true; caller: CallerIdentity } | { ok: false; message: string; code?: 'mtls_required' };

const MAX_CACHED = 10_000;

/** A refusal is `cacheable` unless it is about time (expired, or not valid yet): a forged token stays forged. */
type Verified<T> = { ok: true; value: T; expiresAt: number } | { ok: false; message: string; cacheable: boolean };

class VerifiedTokens<T> {
  #bundle: TrustBundle | undefined;
  #entries = new Map<string, Verified<T>>();

  async get(bundle: TrustBundle, key: string, verify: () => Promise<Verified<T>>): Promise<Verified<T>> {
    if (bundle !== this.#bundle) {
      this.#bundle = bundle;
      this.#entries = new Map();
    }
    const hit = this.#entries.get(key);
    if (hit && (!hit.ok || Date.now() < hit.expiresAt)) return hit;
    const fresh = await verify();
    // Refusals are cached too, but not those about time: expiries are not re-checked on them.
    if (fresh.ok || fresh.cacheable) setBounded(this.#entries, key, fresh, MAX_CACHED);
    return fresh;
  }
}

export class InboundIdentity {
  readonly #self: WorkloadSelf;
  readonly #svids = new VerifiedTokens<string>();
  readonly #edge = new VerifiedTokens<EdgeUser>();

  constructor(self: WorkloadSelf) {
    this.#self = self;
  }

  /**
   * `tlsPeer`: the verified client certificate's SPIFFE ID on an mTLS request, else null.
   * `mtlsCapable`: this sidecar serves mTLS now, so strict mode means mTLS (or the gateway).
   */
  async identify(bundle: TrustBundle, svid: string | null, edgeToken: string | null, strict: boolean, tlsPeer: string | null = null, mtlsCapable = false): Promise<IdentityResult> {
    let peer: string | null = tlsPeer;
    if (peer === null && svid !== null) {
      const v = await this.#svids.get(bundle, svid, async () => {
        const r = await verifyJwtSvid(svid, { trustBundle: bundle.jwks, audience: this.#self.spiffeId, trustDomain: this.#self.trustDomain });
        return r.ok ? { ok: true, value: r.spiffeId, expiresAt: r.expiresAt } : { ok: false, message: `JWT-SVID refused (${r.code}): ${r.message}`, cacheable: r.code !== 'expired' };
      });
      if (!v.ok) return { ok: false, message: v.message };
      peer = v.value;
    }
    let user: EdgeUser | null = null;
    if (edgeToken !== null) {
      const v = await this.#edge.get(bundle, `${peer ?? ''}\u0000${edgeToken}`, () => this.#verifyEdge(bundle, edgeToken, peer));
      if (!v.ok) return { ok: false, message: v.message };
      user = v.value;
      peer ??= bundle.edge.issuer;
    }
    if (strict && mtlsCapable && tlsPeer === null && (peer === null || peer !== bundle.edge.issuer || bundle.edge.issuer === ''))
      return { ok: false, code: 'mtls_required', message: 'mTLS mode is strict: callers must use mutual TLS (plaintext is accepted from the edge gateway only)' };
    if (peer === null && strict) return { ok: false, message: 'mTLS mode is strict: the request carries no caller identity (x-weft-svid)' };
    return { ok: true, caller: { peer, user } };
  }

  async #verifyEdge(bundle: TrustBundle, token: string, caller: string | null): Promise<Verified<EdgeUser>> {
    const options = { edgeKeys: bundle.edge.jwks, gatewayId: bundle.edge.issuer };
    let r = await verifyEdgeToken(token, { ...options, audience: this.#self.spiffeId });
    if (!r.ok && r.code === 'wrong_audience' && caller !== null) r = await verifyEdgeToken(token, { ...options, audience: caller });
    if (!r.ok) return { ok: false, message: `edge token refused (${r.code}): ${r.message}`, cacheable: r.code !== 'expired' };
    return { ok: true, value: r.user, expiresAt: r.expiresAt };
  }
}
