// The sidecar's snapshot watcher acting on snapshot acceptance (core/snapshot/accept.ts):
// applied → swapped, persisted, announced; unchanged → nothing; refused → NACK state with the
// same codes as the gateway; not decidable (unknown key, bundle unreachable) → the watch asks
// again. In-process, with real keys and a real last-known-good folder; no control plane.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, importSigningKey } from '../../core/keys/signing-key.ts';
import type { SigningKey } from '../../core/keys/signing-key.ts';
import { buildSnapshot } from '../../core/snapshot/build.ts';
import { signSnapshot } from '../../core/snapshot/sign.ts';
import type { Snapshot } from '../../core/snapshot/types.ts';
import type { BundleHolder } from '../../sidecar/control/bundle-holder.ts';
import type { IdentityManager } from '../../sidecar/control/identity-manager.ts';
import { SnapshotWatcher } from '../../sidecar/control/snapshot-watcher.ts';
import { LKG_FILES, LkgStore } from '../../sidecar/state/lkg-store.ts';
import type { TrustBundle } from '../../sidecar/types.ts';
import { compileValid } from '../support/compile-yaml.ts';

const work = mkdtempSync(join(tmpdir(), 'weft-snapshot-watcher-'));

const policy = (port: number) => `apiVersion: weft/v1
kind: Service
metadata: { name: reviews }
spec:
  port: ${port}
`;

let key: SigningKey;
let rotated: SigningKey;
let rotatedPublic: JWK;
let bundle: TrustBundle;
let v1: Snapshot;
let v2: Snapshot;

beforeAll(async () => {
  const [a, b] = await Promise.all([generateSigningKeyPair('ES256'), generateSigningKeyPair('ES256')]);
  [key, rotated] = await Promise.all([importSigningKey(a.privateJwk), importSigningKey(b.privateJwk)]);
  rotatedPublic = b.publicJwk;
  bundle = { trustDomain: 'weft.local', controlId: 'spiffe://weft.local/ns/weft-system/sa/control', jwks: { keys: [a.publicJwk] }, x509Authorities: [], edge: { issuer: '', jwks: { keys: [] } } };
  v1 = await buildSnapshot(compileValid(policy(9080)), { createdAt: '2026-11-01T10:00:00.000Z' });
  v2 = await buildSnapshot(compileValid(policy(9081)), { createdAt: '2026-11-01T11:00:00.000Z' });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function foreignSnapshot(): Promise<Snapshot> {
  const body = structuredClone(v2.body);
  body.mesh.trustDomain = 'other.example';
  return buildSnapshot(body, { createdAt: '2026-11-01T12:00:00.000Z' });
}

/** A watcher over a fresh folder, a bundle holder whose refresh does what `refresh` says, this workload in weft.local. */
async function watcher(name: string, refresh: () => Promise<TrustBundle> = () => Promise.resolve(bundle)) {
  const store = await LkgStore.open(join(work, name));
  const logs: Record<string, unknown>[] = [];
  const events = { changed: 0 };
  const holder = { current: bundle, refresh } as unknown as BundleHolder;
  const identity = { trustDomain: 'weft.local' } as unknown as IdentityManager;
  const w = new SnapshotWatcher({ store, log: (e) => logs.push(e), bundle: holder, identity, changed: () => events.changed++ });
  return { w, store, logs, events };
}

describe('SnapshotWatcher acting on snapshot acceptance', () => {
  it('applies and persists a good snapshot; the same version again is unchanged (no second ACK)', async () => {
    const { w, store, events } = await watcher('apply');
    const announced: string[] = [];
    w.onSnapshot((r) => announced.push(r.version));
    const jws = await signSnapshot(v1, key);
    expect(await w.consider(jws, v1.version)).toBe(true);
    expect(w.applied).toMatchObject({ version: v1.version, fromDisk: false });
    expect(await store.read(LKG_FILES.snapshot)).toBe(jws);
    expect(announced).toEqual([v1.version]);
    expect(events.changed).toBe(1);

    expect(await w.consider(jws, v1.version)).toBe(true);
    expect(w.seen).toBe(v1.version);
    expect(events.changed).toBe(1);
    expect(announced).toEqual([v1.version]);
  });

  it('refuses a correctly signed snapshot for another trust domain: wrong_trust_domain, seen, the old one kept', async () => {
    const { w, logs } = await watcher('trust-domain');
    await w.consider(await signSnapshot(v1, key), v1.version);
    const foreign = await foreignSnapshot();
    expect(await w.consider(await signSnapshot(foreign, key), foreign.version)).toBe(true);
    expect(w.rejected).toEqual({ version: foreign.version, reason: expect.stringMatching(/^wrong_trust_domain: /) });
    expect(w.seen).toBe(foreign.version);
    expect(w.runtime?.version).toBe(v1.version);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', code: 'wrong_trust_domain', version: foreign.version, inForce: v1.version }));
  });

  it('refuses a replay of an older snapshot (older_than_current), naming the verified version', async () => {
    const { w } = await watcher('replay');
    await w.consider(await signSnapshot(v2, key), v2.version);
    expect(await w.consider(await signSnapshot(v1, key), null)).toBe(true);
    expect(w.rejected).toEqual({ version: v1.version, reason: expect.stringMatching(/^older_than_current: /) });
    expect(w.runtime?.version).toBe(v2.version);
  });

  it('an unknown key with the bundle unreachable is no verdict: it throws (the watch retries), nothing is marked seen or rejected', async () => {
    let reachable = false;
    const { w } = await watcher('unknown-key', () => (reachable ? Promise.resolve({ ...bundle, jwks: { keys: [...bundle.jwks.keys, rotatedPublic] } }) : Promise.reject(new Error('control unreachable'))));
    await w.consider(await signSnapshot(v1, key), v1.version);
    const fromRotated = await signSnapshot(v2, rotated);
    await expect(w.consider(fromRotated, v2.version)).rejects.toThrow(/not checked yet \(unknown_key\).*control unreachable/);
    expect(w.rejected).toBeUndefined();
    expect(w.seen).toBe(v1.version);
    expect(w.runtime?.version).toBe(v1.version);

    reachable = true;
    expect(await w.consider(fromRotated, v2.version)).toBe(true);
    expect(w.runtime?.version).toBe(v2.version);
  });

  it('refuses a stored snapshot for another trust domain at start (the same code from disk)', async () => {
    const { w, store, logs } = await watcher('disk');
    await store.write(LKG_FILES.snapshot, await signSnapshot(await foreignSnapshot(), key));
    await w.loadFromDisk();
    expect(w.runtime).toBeUndefined();
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', msg: 'stored snapshot refused; ignoring it', code: 'wrong_trust_domain' }));
  });
});

