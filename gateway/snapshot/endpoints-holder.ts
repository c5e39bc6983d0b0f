// Registered endpoints (instances their sidecars registered with control), per isolate: the
// signed endpoints document is fetched over the service binding at most every
// SNAPSHOT_CHECK_SECONDS, verified against the trust bundle, and merged with each Service's
// static endpoints for load balancing. A failed fetch keeps the last good document.
import { verifyEndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import { verifyWithBundleRefresh } from '../../core/snapshot/bundle-refresh.ts';
import type { GatewayEnv } from '../env.ts';
import { checkIntervalMs, PeriodicRefresh } from './periodic-refresh.ts';
import { refreshTrustBundle, trustBundle } from './trust-bundle.ts';

const state: { doc: EndpointsDocument | undefined } = { doc: undefined };

async function refresh(env: GatewayEnv): Promise<void> {
  // Unchanged membership costs one small RPC: nothing is signed, fetched or verified again.
  const jws = await env.CONTROL.endpointsDocument(state.doc?.version);
  if (jws === null) return;
  const verified = await verifyWithBundleRefresh((keys) => verifyEndpointsDocument(jws, keys), (await trustBundle(env)).keys, () => refreshTrustBundle(env));
  if (!verified.ok) {
    console.error(JSON.stringify({ component: 'gateway.endpoints', level: 'error', msg: 'endpoints document refused; keeping the last good one', code: verified.code, reason: verified.message }));
    return;
  }
  state.doc = verified.document;
}

const refresher = new PeriodicRefresh((e) => console.error(JSON.stringify({ component: 'gateway.endpoints', level: 'warn', msg: 'endpoints refresh failed', error: String(e) })));

/** The registered endpoints in force; a promise only while an isolate's first load is under way (periodic-refresh.ts). */
export function registeredEndpoints(env: GatewayEnv, ctx: ExecutionContext): EndpointsDocument | undefined | Promise<EndpointsDocument | undefined> {
  const first = refresher.tick(checkIntervalMs(env.SNAPSHOT_CHECK_SECONDS), state.doc !== undefined, ctx, () => refresh(env));
  return first ? first.then(() => state.doc) : state.doc;
}
