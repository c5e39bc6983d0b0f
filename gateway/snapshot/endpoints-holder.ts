// Registered endpoints (instances their sidecars registered with control), per isolate: the
// signed endpoints document is fetched over the service binding at most every
// SNAPSHOT_CHECK_SECONDS, verified against the trust bundle, and merged with each Service's
// static endpoints for load balancing. A failed fetch keeps the last good document.
import { verifyEndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import type { GatewayEnv } from '../env.ts';

const state: { doc: EndpointsDocument | undefined; lastCheck: number; inFlight: Promise<void> | undefined } = { doc: undefined, lastCheck: 0, inFlight: undefined };

async function refresh(env: GatewayEnv): Promise<void> {
  const [jws, bundle] = await Promise.all([env.CONTROL.endpointsDocument(), env.CONTROL.trustBundle()]);
  const verified = await verifyEndpointsDocument(jws, bundle);
  if (!verified.ok) {
    console.error(JSON.stringify({ component: 'gateway.endpoints', level: 'error', msg: 'endpoints document refused; keeping the last good one', code: verified.code }));
    return;
  }
  state.doc = verified.document;
}

/** The current registered endpoints; the first call of an isolate waits, later refreshes run in the background. */
export async function registeredEndpoints(env: GatewayEnv, ctx: ExecutionContext): Promise<EndpointsDocument | undefined> {
  const interval = Number(env.SNAPSHOT_CHECK_SECONDS ?? '5') * 1000;
  if (!state.inFlight && Date.now() - state.lastCheck >= interval) {
    state.lastCheck = Date.now();
    state.inFlight = refresh(env)
      .catch((e) => console.error(JSON.stringify({ component: 'gateway.endpoints', level: 'warn', msg: 'endpoints refresh failed', error: String(e) })))
      .finally(() => {
        state.inFlight = undefined;
      });
  }
  if (state.doc) {
    if (state.inFlight) ctx.waitUntil(state.inFlight);
    return state.doc;
  }
  await state.inFlight;
  return state.doc;
}
