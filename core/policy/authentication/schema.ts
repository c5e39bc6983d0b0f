// Authentication: who the end user (or partner) is. JWTs from named issuers (remote JWKS or
// inline keys) and API keys stored only as SHA-256 hashes. Required or optional per target.
import { z } from 'zod';
import { JWT_ALGORITHMS } from '../../authn/jwt-algorithms.ts';
import { dnsLabel, documentSchema } from '../shared/envelope.ts';
import { duration } from '../shared/duration.ts';
import { headerName } from '../shared/header-ops.ts';
import { targetRefs } from '../shared/target-ref.ts';

const jwk = z.looseObject({ kty: z.string().describe('Key type (RSA, EC, OKP).'), kid: z.string().optional().describe('Key id, matched against the token header.') }).describe('A public JWK.');

const tokenSource = z.union(
  [
    z.strictObject({ header: headerName.describe('Header name.'), prefix: z.string().optional().describe('Stripped before the token, e.g. `Bearer `.') }),
    z.strictObject({ query: z.string().min(1).describe('Query parameter name.') }),
    z.strictObject({ cookie: z.string().min(1).describe('Cookie name.') }),
  ],
  { error: 'expected {header: NAME, prefix?}, {query: NAME} or {cookie: NAME}' },
);

const jwtProvider = z
  .strictObject({
    name: dnsLabel.describe('Provider name, used in logs and metrics.'),
    issuer: z.string().min(1).describe('Expected `iss` claim.'),
    jwksUri: z.url({ protocol: /^https?$/ }).optional().describe('Where to fetch the issuer’s JWKS (cached; stale keys are used for a grace period during an outage).'),
    jwks: z.strictObject({ keys: z.array(jwk).min(1).describe('Public keys.') }).optional().describe('Inline JWKS (public keys only).'),
    audiences: z.array(z.string().min(1)).default([]).describe('Accepted `aud` values; any audience when empty.'),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256', 'ES256']).describe('Accepted signature algorithms (asymmetric only; `none` and HMAC are never accepted).'),
    clockSkew: duration.default('60s').describe('Tolerance on `exp` and `nbf`.'),
    from: z.array(tokenSource).min(1).default([{ header: 'authorization', prefix: 'Bearer ' }]).describe('Where the token is read from, in order.'),
    forwardClaims: z
      .array(z.strictObject({ claim: z.string().min(1).describe('Claim name; dots for nesting.'), header: headerName.describe('Header it is sent upstream in.') }))
      .default([])
      .describe('Claims copied into upstream request headers (client-sent copies are removed first).'),
    forwardOriginalToken: z.boolean().default(false).describe('Keep the token in the request sent upstream.'),
  })
  .superRefine((p, ctx) => {
    if (!p.jwksUri === !p.jwks) ctx.addIssue({ code: 'custom', message: 'a JWT provider needs exactly one of jwksUri or jwks' });
    p.jwks?.keys.forEach((k, i) => {
      if ('d' in k || 'k' in k)
        ctx.addIssue({ code: 'custom', path: ['jwks', 'keys', i], message: 'inline JWKS holds a private or symmetric key (field d or k); publish public keys only' });
    });
  });

const apiKey = z.strictObject({
  name: dnsLabel.describe('Key owner, e.g. a partner; becomes the principal `apikey/<name>`.'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the lower-case hex SHA-256 of the key (weft hash-key prints it)').describe('SHA-256 of the key, hex. The key itself is never stored.'),
  claims: z.record(z.string(), z.string()).default({}).describe('Attributes usable by access policy and rate limits like JWT claims.'),
});

export const authenticationSpec = z
  .strictObject({
    targetRefs,
    mode: z.enum(['required', 'optional']).default('required').describe('`required`: 401 without valid credentials. `optional`: anonymous requests pass, invalid credentials still 401.'),
    jwt: z.array(jwtProvider).optional().describe('JWT providers; a token from any of them is accepted.'),
    apiKeys: z
      .strictObject({
        from: tokenSource.default({ header: 'x-api-key' }).describe('Where the key is read from.'),
        keys: z.array(apiKey).min(1).describe('Accepted keys, by hash.'),
      })
      .optional()
      .describe('API keys, checked by hash.'),
  })
  .superRefine((s, ctx) => {
    if (!s.jwt && !s.apiKeys) ctx.addIssue({ code: 'custom', message: 'an Authentication needs jwt providers, apiKeys, or both' });
  });

export type AuthenticationSpec = z.infer<typeof authenticationSpec>;

export const authenticationDocument = documentSchema('Authentication', authenticationSpec, 'End-user and partner authentication: JWTs and API keys.');
