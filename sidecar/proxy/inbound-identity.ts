// The inbound's verifiers of caller credentials, with what they verified remembered: a
// caller's JWT-SVID (`x-weft-svid`, audience = this workload's SPIFFE ID, signed by a
// trust-bundle key, in this trust domain) and the edge token (`x-weft-edge-token`, addressed
// to this workload or, one-hop delegation, to the verified caller). What a verified or
// refused credential means (strict mode, the gateway peer) is core's caller-identity stage.
//
// Verification results are cached per token until the token expires (the same string always
// verifies the same way; expiry is checked again on every hit), so a busy keep-alive caller
// costs one signature check per token, not per request.
import { setBounded } from '../../core/collections/bounded-map.ts';
import type { EdgeUser } from '../../core/identity/edge-token.ts';
import { verifyEdgeToken } from '../../core/identity/edge-token.ts';
import { verifyJwtSvid } from '../../core/identity/jwt-svid.ts';
import type { TrustBundle, WorkloadSelf } from '../types.ts';

const MAX_CACHED = 10_000;

/** A refusal is `cacheable` unless it is about time (expired, or not valid yet): a forged token stays forged. */
type Verified<T> = { ok: true; value: T; expiresAt: number } | { ok: false; code: string; message: string; cacheable: boolean };

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

/**
 * The inbound's verifiers of caller credentials (core's caller-identity stage decides what
 * they mean): a JWT-SVID addressed to this workload, an edge token addressed to it or,
 * delegated, to the verified caller. Results are remembered per token until it expires.
 */
export class InboundVerifiers {
  readonly #self: WorkloadSelf;
  readonly #svids = new VerifiedTokens<string>();
  readonly #edge = new VerifiedTokens<EdgeUser>();

  constructor(self: WorkloadSelf) {
    this.#self = self;
  }

  async svid(bundle: TrustBundle, token: string): Promise<{ ok: true; value: string } | { ok: false; code: string; message: string }> {
    const v = await this.#svids.get(bundle, token, async () => {
      const r = await verifyJwtSvid(token, { trustBundle: bundle.jwks, audience: this.#self.spiffeId, trustDomain: this.#self.trustDomain });
      return r.ok ? { ok: true, value: r.spiffeId, expiresAt: r.expiresAt } : { ok: false, code: r.code, message: r.message, cacheable: r.code !== 'expired' };
    });
    return v.ok ? { ok: true, value: v.value } : { ok: false, code: v.code, message: v.message };
  }

  async edgeToken(bundle: TrustBundle, token: string, caller: string | null): Promise<{ ok: true; value: EdgeUser } | { ok: false; code: string; message: string }> {
    const v = await this.#edge.get(bundle, `${caller ?? ''}\u0000${token}`, () => this.#verifyEdge(bundle, token, caller));
    return v.ok ? { ok: true, value: v.value } : { ok: false, code: v.code, message: v.message };
  }

  async #verifyEdge(bundle: TrustBundle, token: string, caller: string | null): Promise<Verified<EdgeUser>> {
    const options = { edgeKeys: bundle.edge.jwks, gatewayId: bundle.edge.issuer };
    let r = await verifyEdgeToken(token, { ...options, audience: this.#self.spiffeId });
    if (!r.ok && r.code === 'wrong_audience' && caller !== null) r = await verifyEdgeToken(token, { ...options, audience: caller });
    if (!r.ok) return { ok: false, code: r.code, message: r.message, cacheable: r.code !== 'expired' };
    return { ok: true, value: r.user, expiresAt: r.expiresAt };
  }
}
