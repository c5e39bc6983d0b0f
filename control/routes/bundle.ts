// The trust bundle: public signing keys as a JWKS (JWT-SVIDs and snapshots verify against it)
// and the X.509 CA certificates. Public: no authentication.
import type { Hono } from 'hono';
import type { ControlEnv } from '../env.ts';
import { formatSpiffeId } from '../../core/identity/spiffe-id.ts';
import { GATEWAY_NAMESPACE, GATEWAY_SERVICE } from '../gateway-rpc.ts';
import { authority } from '../keys/authority.ts';
import { controlState } from '../state/control-state.ts';

export function registerBundleRoutes(app: Hono<{ Bindings: ControlEnv }>): void {
  app.get('/.well-known/jwks.json', async (c) => {
    const auth = await authority(c.env);
    return c.json({ keys: auth.keys.publicJwks }, 200, { 'cache-control': 'public, max-age=60' });
  });

  app.get('/v1/bundle', async (c) => {
    const auth = await authority(c.env);
    const edge = { issuer: formatSpiffeId(auth.trustDomain, GATEWAY_NAMESPACE, GATEWAY_SERVICE), jwks: { keys: await controlState(c.env).edgeKeys() } };
    return c.json({ trustDomain: auth.trustDomain, controlId: auth.controlId, jwks: { keys: auth.keys.publicJwks }, x509Authorities: auth.caBundle, edge }, 200, {
      'cache-control': 'public, max-age=60',
    });
  });
}
