// Snapshot acceptance (accept.ts), the one pipeline both data planes run: real compiled policy,
// real ES256 keys, and each outcome an adapter acts on (apply, unchanged, refuse, retry later).
import type { JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileDocuments } from '../compile/compile.ts';
import { generateSigningKeyPair, importSigningKey } from '../keys/signing-key.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import { loadPolicyYaml } from '../policy/load-yaml.ts';
import { buildSnapshotRuntime } from '../runtime/snapshot-runtime.ts';
import type { SnapshotRuntime } from '../runtime/snapshot-runtime.ts';
import { acceptSnapshot } from './accept.ts';
import type { AcceptancePieces } from './accept.ts';
import { buildSnapshot } from './build.ts';
import { signSnapshot } from './sign.ts';
import type { Snapshot, SnapshotBody } from './types.ts';

const policy = (port: number) => `
apiVersion: weft/v1
kind: Service
metadata: { name: reviews }
spec:
  port: ${port}
  subsets: [{ name: v1, labels: { version: v1 } }]
---
apiVersion: weft/v1
kind: Route
metadata: { name: reviews }
spec:
  mesh: { services: [reviews] }
  rules:
    - name: default
      backends: [{ service: reviews, subset: v1 }]
`;

function compileBody(text: string): SnapshotBody {
  const loaded = loadPolicyYaml('policy.yaml', text);
  expect(loaded.errors).toEqual([]);
  const compiled = compileDocuments(loaded.documents);
  if (!compiled.ok) throw new Error(`policy does not compile: ${JSON.stringify(compiled.errors)}`);
  return compiled.body;
}

interface Key {
  signing: SigningKey;
  bundle: JSONWebKeySet;
}

async function makeKey(): Promise<Key> {
  const pair = await generateSigningKeyPair('ES256');
  return { signing: await importSigningKey(pair.privateJwk), bundle: { keys: [pair.publicJwk] } };
}

const T1 = '2026-11-01T10:00:00.000Z';
const T2 = '2026-11-01T11:00:00.000Z';
const T3 = '2026-11-01T12:00:00.000Z';

let control: Key;
let rotated: Key;
let stranger: Key;
let v1: Snapshot;
let v2: Snapshot;

beforeAll(async () => {
  [control, rotated, stranger] = await Promise.all([makeKey(), makeKey(), makeKey()]);
  v1 = await buildSnapshot(compileBody(policy(9080)), { createdAt: T1 });
  v2 = await buildSnapshot(compileBody(policy(9081)), { createdAt: T2 });
});

/** The adapter's pieces: control's bundle, this mesh's trust domain, nothing in force, no refresh. */
function pieces(extra: Partial<AcceptancePieces> = {}): AcceptancePieces {
  return { bundle: control.bundle, trustDomain: 'weft.local', current: undefined, ...extra };
}

/** A refreshBundle that counts its calls. */
function refresher(answer: () => Promise<JSONWebKeySet>): { refreshBundle: () => Promise<JSONWebKeySet>; calls: number } {
  const r = {
    calls: 0,
    refreshBundle: () => {
      r.calls++;
      return answer();
    },
  };
  return r;
}

function runtimeOf(snapshot: Snapshot): SnapshotRuntime {
  return buildSnapshotRuntime(snapshot);
}

describe('acceptSnapshot', () => {
  it('applies a good snapshot: the runtime built from it, and the verified snapshot', async () => {
    const r = refresher(() => Promise.resolve(control.bundle));
    const result = await acceptSnapshot(await signSnapshot(v1, control.signing), pieces({ refreshBundle: r.refreshBundle }));
    if (!('applied' in result)) throw new Error(`expected applied, got ${JSON.stringify(result)}`);
    expect(result.snapshot).toEqual(v1);
    expect(result.applied.version).toBe(v1.version);
    expect(result.applied.services.get('default/reviews')?.port).toBe(9080);
    expect(r.calls).toBe(0);
  });

  it('applies a newer snapshot over the one in force', async () => {
    const result = await acceptSnapshot(await signSnapshot(v2, control.signing), pieces({ current: runtimeOf(v1) }));
    expect('applied' in result && result.applied.version).toBe(v2.version);
  });

  it('answers unchanged for the version in force, even signed again earlier (nothing to apply, nothing to refuse)', async () => {
    const current = runtimeOf(v2);
    expect(await acceptSnapshot(await signSnapshot(v2, control.signing), pieces({ current }))).toEqual({ unchanged: v2.version });
    const earlierCopy = await signSnapshot({ ...v2, metadata: { createdAt: T1 } }, control.signing);
    expect(await acceptSnapshot(earlierCopy, pieces({ current }))).toEqual({ unchanged: v2.version });
  });

  it('after an unknown key refreshes the bundle once and applies what the fresh bundle verifies (rotation)', async () => {
    const r = refresher(() => Promise.resolve({ keys: [...control.bundle.keys, ...rotated.bundle.keys] }));
    const result = await acceptSnapshot(await signSnapshot(v1, rotated.signing), pieces({ refreshBundle: r.refreshBundle }));
    expect('applied' in result && result.applied.version).toBe(v1.version);
    expect(r.calls).toBe(1);
  });

  it('refuses an unknown key the fresh bundle does not know either (unknown_key, a verdict), after one refresh', async () => {
    const r = refresher(() => Promise.resolve(control.bundle));
    const result = await acceptSnapshot(await signSnapshot(v1, stranger.signing), pieces({ refreshBundle: r.refreshBundle }));
    expect(result).toEqual({ refused: { code: 'unknown_key', message: expect.stringContaining('not in the trust bundle') } });
    expect(r.calls).toBe(1);
  });

  it('an unknown key whose bundle refresh fails is unknown_key, marked retryable: no verdict on the snapshot', async () => {
    const r = refresher(() => Promise.reject(new Error('control unreachable')));
    const result = await acceptSnapshot(await signSnapshot(v1, rotated.signing), pieces({ refreshBundle: r.refreshBundle }));
    expect(result).toEqual({ refused: { code: 'unknown_key', message: expect.stringContaining('control unreachable'), retryable: true } });
    expect(r.calls).toBe(1);
  });

  it('with nothing to refresh from (starting from disk) an unknown key is refused outright', async () => {
    const result = await acceptSnapshot(await signSnapshot(v1, rotated.signing), pieces());
    expect(result).toEqual({ refused: { code: 'unknown_key', message: expect.any(String) } });
  });

  it('refuses a bad signature without asking for a fresh bundle (bad_signature, version unknown)', async () => {
    const r = refresher(() => Promise.resolve(control.bundle));
    const forged = await signSnapshot(v1, { ...stranger.signing, kid: control.signing.kid });
    const result = await acceptSnapshot(forged, pieces({ refreshBundle: r.refreshBundle, current: runtimeOf(v1) }));
    expect(result).toEqual({ refused: { code: 'bad_signature', message: expect.any(String) } });
    expect(r.calls).toBe(0);
  });

  it('refuses a correctly signed snapshot for another trust domain (wrong_trust_domain), naming its version', async () => {
    const body = structuredClone(v2.body);
    body.mesh.trustDomain = 'other.example';
    const foreign = await buildSnapshot(body, { createdAt: T3 });
    const result = await acceptSnapshot(await signSnapshot(foreign, control.signing), pieces({ current: runtimeOf(v1) }));
    expect(result).toEqual({ refused: { version: foreign.version, code: 'wrong_trust_domain', message: 'the snapshot is for trust domain "other.example", this data plane is in "weft.local"' } });
    // A data plane that cannot know its trust domain skips the check (documented in accept.ts).
    expect(await acceptSnapshot(await signSnapshot(foreign, control.signing), pieces({ trustDomain: undefined }))).toMatchObject({ applied: { version: foreign.version } });
  });

  it('refuses a replay of a snapshot signed before the one in force (older_than_current); a re-stamped rollback applies', async () => {
    const current = runtimeOf(v2);
    const replay = await acceptSnapshot(await signSnapshot(v1, control.signing), pieces({ current }));
    expect(replay).toEqual({ refused: { version: v1.version, code: 'older_than_current', message: `signed at ${T1}, before the snapshot in force (${T2})` } });
    const rollback = await acceptSnapshot(await signSnapshot({ ...v1, metadata: { createdAt: T3 } }, control.signing), pieces({ current }));
    expect('applied' in rollback && rollback.applied.version).toBe(v1.version);
  });

  it('refuses a snapshot that verifies but cannot be built (unusable), naming its version', async () => {
    // The envelope allows a missing list; building the runtime does not.
    const { authentications: _dropped, ...rest } = v2.body;
    const broken = await buildSnapshot(rest as SnapshotBody, { createdAt: T3 });
    const result = await acceptSnapshot(await signSnapshot(broken, control.signing), pieces({ current: runtimeOf(v1) }));
    expect(result).toEqual({ refused: { version: broken.version, code: 'unusable', message: expect.stringMatching(/^the snapshot verified but cannot be applied: /) } });
  });
});
