// The gateway's own workload identity towards the mesh: a JWT-SVID for
// `spiffe://<td>/ns/edge/sa/gateway`, audience = the destination service, from control over the
// service binding (the gateway holds no CA or control key). Cached per isolate and audience for
// half its life (TokenCache). After a failure the isolate does not ask again for a few seconds,
// so a control outage costs one RPC per audience per interval, not one per request.
import { TokenCache } from '../../core/identity/token-cache.ts';
import type { GatewayEnv } from '../env.ts';

const tokens = new TokenCache({ maxEntries: 1000 });
const failedUntil = new Map<string, number>();
const RETRY_AFTER_FAILURE_MS = 5_000;

/** The cached JWT-SVID for `audience` while it has half its life left, without asking control. */
export function cachedGatewaySvid(audience: string): string | undefined {
  return tokens.fresh(audience);
}

/** The gateway's JWT-SVID for `audience`, or undefined when control cannot issue one now. */
export async function gatewaySvidFor(env: GatewayEnv, audience: string): Promise<string | undefined> {
  const now = Date.now();
  if ((failedUntil.get(audience) ?? 0) > now) return undefined;
  try {
    return await tokens.get(audience, async () => {
      const issued = await env.CONTROL.gatewaySvid([audience]);
      const svid = issued.jwtSvids[0];
      if (!svid) throw new Error('control issued no JWT-SVID');
      return { token: svid.token, issuedAt: now, expiresAt: Date.parse(svid.expiresAt) };
    });
  } catch (e) {
    failedUntil.set(audience, now + RETRY_AFTER_FAILURE_MS);
    console.error(JSON.stringify({ level: 'error', msg: 'gateway JWT-SVID unavailable; the request goes upstream without it', audience, error: String(e) }));
    return undefined;
  }
}
