// core/ runs unchanged in workerd: the compiler, the matcher and snapshot signing, executed
// inside the Workers runtime (not Node), on the same inputs the Node tests use.
import { describe, expect, it } from 'vitest';
import { compileDocuments } from '../../core/compile/compile.ts';
import { edgeRouteEntries } from '../../core/compile/route-table.ts';
import { loadPolicyYaml } from '../../core/policy/load-yaml.ts';
import { createRouteMatcher, normalizePath } from '../../core/route/index.ts';
import { buildSnapshot } from '../../core/snapshot/build.ts';
import { signSnapshot } from '../../core/snapshot/sign.ts';
import { generateSigningKeyPair, importSigningKey } from '../../core/keys/signing-key.ts';
import { verifySignedSnapshot } from '../../core/snapshot/verify.ts';

const POLICY = `
apiVersion: weft/v1
kind: Service
metadata: { name: users }
spec: { port: 8080 }
---
apiVersion: weft/v1
kind: Route
metadata: { name: users }
spec:
  edge: { hosts: ["*.example.com"] }
  rules:
    - matches: [{ path: { template: "/users/{id}" } }]
      backends: [{ service: users }]
`;

describe('core in workerd', () => {
  it('compiles, signs, verifies and matches inside the Workers runtime', async () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers');
    const loaded = loadPolicyYaml('users.yaml', POLICY);
    const compiled = compileDocuments(loaded.documents);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const snapshot = await buildSnapshot(compiled.body, { createdAt: '2026-11-25T00:00:00Z' });
    const pair = await generateSigningKeyPair('EdDSA');
    const jws = await signSnapshot(snapshot, await importSigningKey(pair.privateJwk));
    const verified = await verifySignedSnapshot(jws, { keys: [pair.publicJwk] });
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    const matcher = createRouteMatcher(edgeRouteEntries(verified.snapshot.body));
    const path = normalizePath('/users/%34%32');
    expect(path).toEqual({ ok: true, path: '/users/42' });
    const hit = matcher.match({ host: 'api.example.com', path: path.ok ? path.path : '', method: 'GET', headers: new Headers(), query: new URLSearchParams() });
    expect(hit?.params).toEqual({ id: '42' });
    expect(hit?.target.route).toBe('default/users');
  });
});
