// Who the end user or partner is (core/authn), for the Authentication attached to the
// request's targets: JWTs from its providers, verified against inline or cached remote JWKS,
// or API keys by hash. The same code at the edge and in a sidecar's inbound. Inbound, a user
// the caller-identity stage already took from a verified edge token is authenticated: the
// gateway checked the user's credential against the route's Authentication and vouches for
// it; a request without one presents its own credential here.
import { authenticate } from '../../authn/authenticate.ts';
import { deleteFolded } from '../../http/header-ops.ts';
import type { CompiledAuthentication } from '../../policy/authentication/compile.ts';
import { refuse } from '../answer.ts';
import type { Answer } from '../answer.ts';
import type { PipelineContext, Stage } from '../context.ts';

export const authenticateStage: Stage = (c) => {
  const auth = c.runtime.authentication(c.targets);
  if (!auth || c.user) return undefined;
  return authenticated(c, auth);
};

async function authenticated(c: PipelineContext, auth: CompiledAuthentication): Promise<Answer | undefined> {
  const { jwks, waitUntil } = c.pieces.authn;
  const result = await authenticate(auth, c.request, { jwks, now: c.pieces.now, ...(waitUntil ? { waitUntil } : {}) });
  if (result.status === 'rejected') return refuse(result.code, result.message, { 'www-authenticate': result.wwwAuthenticate }, result.httpStatus);
  deleteFolded(c.upstreamHeaders, result.removeHeaders);
  if (result.status === 'anonymous') return undefined;
  for (const name in result.setHeaders) c.upstreamHeaders.set(name, result.setHeaders[name] as string);
  c.user = { requestPrincipal: result.principal.requestPrincipal, claims: result.principal.claims, apiKey: result.apiKeyName };
  return undefined;
}
