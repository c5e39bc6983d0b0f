// Control-plane Worker entry: the HTTP API (Hono), the state Durable Object, the rate-limit
// lease shards, and the RPC entrypoint the gateway reaches through a service binding.
import { Hono } from 'hono';
import type { ControlEnv } from './env.ts';
import { errorResponse, HttpError } from './http/http-error.ts';
import { registerBundleRoutes } from './routes/bundle.ts';
import { registerEndpointRoutes } from './routes/endpoints.ts';
import { registerIdentityRoutes } from './routes/identity.ts';
import { registerRateLimitLeaseRoutes } from './routes/rate-limit-leases.ts';
import { registerSnapshotRoutes } from './routes/snapshot.ts';
import { registerStatusRoutes } from './routes/status.ts';

export { ControlState } from './state/control-state.ts';
export { RateLimitLeases } from './state/rate-limit-leases.ts';
export { ControlRpc } from './gateway-rpc.ts';

const app = new Hono<{ Bindings: ControlEnv }>();

app.get('/healthz', (c) => c.json({ status: 'ok' }));
registerBundleRoutes(app);
registerSnapshotRoutes(app);
registerIdentityRoutes(app);
registerStatusRoutes(app);
registerEndpointRoutes(app);
registerRateLimitLeaseRoutes(app);

app.notFound(() => errorResponse(new HttpError('not_found', 'no such endpoint; see docs/control-api.md')));
app.onError((e) => {
  if (e instanceof HttpError) return errorResponse(e);
  console.error(JSON.stringify({ level: 'error', msg: 'unhandled', error: String(e), stack: (e as Error).stack }));
  return errorResponse(new HttpError('internal', 'internal error; the change was not applied'));
});

export default app;
