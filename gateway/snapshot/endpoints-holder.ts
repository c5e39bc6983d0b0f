// Registered endpoints (instances their sidecars registered with control), per isolate: the
// signed endpoints document is fetched over the service binding at most every
// SNAPSHOT_CHECK_SECONDS, verified against the trust bundle, and merged with each Service's
// static endpoints for load balancing. A failed fetch keeps the last good document.
import { verifyEndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import type { GatewayEnv } from '../env.ts';
import { verifyWithTrustBundle } from './snapshot-holder.ts';
import { checkIntervalMs, PeriodicRefresh } from './periodic-refresh.ts';

const state: { doc: EndpointsDocument | undefined } = { doc: undefined };

async function refresh(env: GatewayEnv): Promise<void> {
  // Unchanged membership costs one small RPC: nothing is signed, fetched or verified again.
  const jws = await env.CONTROL.endpointsDocument(state.doc?.version);
  if (jws === null) return;
  const verified = await verifyWithTrustBundle(env, (bundle) => verifyEndpointsDocument(jws, bundle));
  if (!verified.ok) {
    console.error(JSON.stringify({ component: 'gateway.endpoints', level: 'error', msg: 'endpoints document refused; keeping the last good one', code: verified.code }));
    return;
  }
  state.doc = verified.document;
}

const refresher = new PeriodicRefresh((e) => console.error(JSON.stringify({ component: 'gateway.endpoints', level: 'warn', msg: 'endpoints refresh failed', error: String(e) })));

/** The current registered endpoints (see periodic-refresh.ts for when control is asked). */
/** The registered endpoints in force; a promise only while an isolate's first load is under way. */
export function registeredEndpoints(env: GatewayEnv, ctx: ExecutionContext): EndpointsDocument | undefined | Promise<EndpointsDocument | undefined> {
  const first = refresher.tick(checkIntervalMs(env.SNAPSHOT_CHECK_SECONDS), state.doc !== undefined, ctx, () => refresh(env));
  return first ? first.then(() => state.doc) : state.doc;
}
