// The gateway checks a snapshot's trust domain, as the sidecar does (one acceptance,
// core/snapshot/accept.ts): a snapshot signed with control's own key, newer than the one in
// force, but for another mesh is refused, NACKed as wrong_trust_domain, and the last good one
// stays in force. Control would never sign it (a push for another trust domain is a 422), so
// the test signs it with control's key, as a second mesh sharing that key could.
import { env } from 'cloudflare:test';
import { base64url } from 'jose';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { importSigningKey } from '../../core/keys/signing-key.ts';
import { buildSnapshot } from '../../core/snapshot/build.ts';
import { signSnapshot } from '../../core/snapshot/sign.ts';
import type { Snapshot } from '../../core/snapshot/types.ts';
import { apiService, echo, gatewayVersion, gw, pushPolicy, route, testEnv } from './gateway-support.ts';

const ROUTES = route('api', 'api.example.com', ['    - name: items', '      matches: [{ path: { prefix: /items } }]', '      backends: [{ service: api, subset: stable }]'].join('\n'));

async function controlSigningKey() {
  const keys = JSON.parse((env as unknown as { TEST_CONTROL_SIGNING_KEYS: string }).TEST_CONTROL_SIGNING_KEYS) as (JWK & { status?: string })[];
  const { status: _status, ...active } = keys.find((k) => k.status === 'active') as JWK & { status?: string };
  return importSigningKey(active);
}

interface GatewayNode {
  nodeId: string;
  appliedVersion: string | null;
  rejected: { version: string; reason: string } | null;
  lastKnownGood: boolean;
}

async function gatewayNode(): Promise<GatewayNode | undefined> {
  const res = await testEnv.CONTROL_HTTP.fetch('https://control/v1/status', { headers: { authorization: `Bearer ${testEnv.TEST_READ_TOKEN}` } });
  return ((await res.json()) as { nodes: GatewayNode[] }).nodes.find((n) => n.nodeId === 'gw-test');
}

describe('gateway snapshot acceptance: trust domain', () => {
  it('refuses a snapshot correctly signed for another trust domain, NACKs it, and keeps enforcing the last good one', async () => {
    const good = await pushPolicy(apiService(), ROUTES);
    expect(await gatewayVersion(good)).toBe(good);
    const goodJws = (await testEnv.SNAPSHOTS.get('snapshot/current')) as string;

    const held = JSON.parse(new TextDecoder().decode(base64url.decode(goodJws.split('.')[1] as string))) as Snapshot;
    const body = structuredClone(held.body);
    body.mesh.trustDomain = 'other.example';
    // Signed after the one in force, by the key the gateway trusts: only the trust domain is wrong.
    const foreign = await buildSnapshot(body, { createdAt: new Date(Date.parse(held.metadata.createdAt) + 1000).toISOString() });
    await testEnv.SNAPSHOTS.put('snapshot/current', await signSnapshot(foreign, await controlSigningKey()), { metadata: { version: foreign.version } });
    try {
      let node: GatewayNode | undefined;
      for (let i = 0; i < 50 && node?.rejected?.version !== foreign.version; i++) {
        // Each request lets the gateway check KV (SNAPSHOT_CHECK_SECONDS is 0 in tests); the NACK follows.
        expect((await echo(await gw('https://api.example.com/items/1'))).upstream).toBe('stable');
        node = await gatewayNode();
      }
      expect(node).toMatchObject({ appliedVersion: good, rejected: { version: foreign.version }, lastKnownGood: true });
      expect(node?.rejected?.reason).toBe('wrong_trust_domain: the snapshot is for trust domain "other.example", this data plane is in "weft.local"');
      expect(await gatewayVersion(good)).toBe(good);
      expect((await echo(await gw('https://api.example.com/items/2'))).upstream).toBe('stable');
    } finally {
      await testEnv.SNAPSHOTS.put('snapshot/current', goodJws, { metadata: { version: good } });
    }
  });
});
