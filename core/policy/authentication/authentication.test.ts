import { describe, expect, it } from 'vitest';
import { compileValid, doc, errorLines } from '../../../test/support/compile-yaml.ts';

const base = {
  'svc.yaml': doc('Service', 'api', 'port: 80'),
  'route.yaml': doc('Route', 'api', 'edge: { hosts: [api.example.com] }\nrules:\n  - backends: [{ service: api }]'),
};
const KEY_HASH = 'a2fb8545fcd457204e9fee11be92013aa3240b1b146fe262ba608fdfc159041c';
const jwk = '{ kty: EC, crv: P-256, x: MROE0KhprqbRu4T4PU0Y_b-8zbdbMVBZa0-erENE6Kc, y: P_DbuLRsNy8FMv6hRsT5_7vmH4haZs29SQCc4jt6Qqk, kid: k1 }';

const auth = (spec: string, name = 'api') => ({ ...base, 'auth.yaml': doc('Authentication', name, `targetRefs: [{ kind: Route, name: api }]\n${spec}`) });

describe('Authentication', () => {
  it('compiles JWT providers and API keys with defaults', () => {
    const body = compileValid(
      auth(`jwt:\n  - name: idp\n    issuer: https://idp.example.com\n    jwks: { keys: [${jwk}] }\n    forwardClaims: [{ claim: sub, header: X-User }]\napiKeys:\n  keys: [{ name: acme, sha256: ${KEY_HASH} }]`),
    );
    expect(body.authentications).toEqual([
      {
        id: 'default/api',
        targets: [{ kind: 'Route', id: 'default/api' }],
        mode: 'required',
        jwt: [
          expect.objectContaining({
            issuer: 'https://idp.example.com',
            jwksUri: null,
            algorithms: ['RS256', 'ES256'],
            clockSkewMs: 60_000,
            from: [{ header: 'authorization', prefix: 'Bearer ' }],
            forwardClaims: [{ claim: 'sub', header: 'x-user' }],
            forwardOriginalToken: false,
          }),
        ],
        apiKeys: { from: { header: 'x-api-key', prefix: '' }, keys: [{ name: 'acme', sha256: KEY_HASH, claims: {} }] },
      },
    ]);
  });

  it('never accepts HMAC or none algorithms', () => {
    expect(errorLines(auth(`jwt:\n  - name: idp\n    issuer: i\n    jwksUri: https://idp.example.com/jwks\n    algorithms: [HS256, none]`))).toEqual([
      expect.stringMatching(/^auth\.yaml:11:20: spec\.jwt\[0\]\.algorithms\[0\]: Invalid option: expected one of "RS256"/),
      expect.stringMatching(/^auth\.yaml:11:27: spec\.jwt\[0\]\.algorithms\[1\]: Invalid option/),
    ]);
  });

  it('refuses private keys in an inline JWKS and needs exactly one key source', () => {
    const lines = errorLines(
      auth(`jwt:\n  - name: a\n    issuer: i1\n    jwks: { keys: [{ kty: EC, crv: P-256, x: a, y: b, d: secret }] }\n  - name: b\n    issuer: i2\n    jwksUri: https://x.example/jwks\n    jwks: { keys: [${jwk}] }`),
    );
    expect(lines).toEqual([
      'auth.yaml:10:22: spec.jwt[0].jwks.keys[0]: inline JWKS holds a private or symmetric key (field d or k); publish public keys only',
      'auth.yaml:11:7: spec.jwt[1]: a JWT provider needs exactly one of jwksUri or jwks',
    ]);
  });

  it('stores API keys only as SHA-256 hex and needs some credential', () => {
    expect(errorLines(auth('apiKeys:\n  keys: [{ name: acme, sha256: demo-acme-key }]'))).toEqual([
      expect.stringMatching(/^auth\.yaml:8:34: spec\.apiKeys\.keys\[0\]\.sha256: expected the lower-case hex SHA-256 of the key/),
    ]);
    expect(errorLines(auth('mode: optional'))).toEqual(['auth.yaml:6:3: spec: an Authentication needs jwt providers, apiKeys, or both']);
  });

  it('allows one Authentication per target and checks the target exists', () => {
    const two = { ...auth(`apiKeys:\n  keys: [{ name: a, sha256: ${KEY_HASH} }]`), 'auth2.yaml': doc('Authentication', 'other', `targetRefs: [{ kind: Route, name: api }, { kind: Service, name: nope }]\napiKeys:\n  keys: [{ name: b, sha256: ${'b'.repeat(64)} }]`) };
    expect(errorLines(two)).toEqual([
      'auth2.yaml:6:16: spec.targetRefs[0]: Route "default/api" already has Authentication "default/api"; merge them into one',
      'auth2.yaml:6:67: spec.targetRefs[1].name: Service "default/nope" does not exist',
    ]);
  });

  it('refuses a token or key in the query string that neither data plane can remove before forwarding', () => {
    const jwt = (extra: string) => `jwt:\n  - name: idp\n    issuer: i\n    jwksUri: https://idp.example.com/jwks\n    from: [{ query: access_token }]${extra}`;
    expect(errorLines(auth(jwt('')))).toEqual([
      'auth.yaml:11:23: spec.jwt[0].from[0].query: neither the edge gateway nor the mesh sidecar can remove a token from the query string, so forwardOriginalToken: false cannot be enforced; read the token from a header or cookie, or set forwardOriginalToken: true',
    ]);
    // Kept on purpose, the token in the URL is what the policy says.
    expect(errorLines(auth(jwt('\n    forwardOriginalToken: true')))).toEqual([]);
    expect(errorLines(auth(`apiKeys:\n  from: { query: key }\n  keys: [{ name: acme, sha256: ${KEY_HASH} }]`))).toEqual([
      'auth.yaml:8:20: spec.apiKeys.from.query: neither the edge gateway nor the mesh sidecar can remove an API key from the query string, and a key is never forwarded upstream; read it from a header or cookie',
    ]);
  });
});
