// Snapshot signing and verification, end to end: a real compiled policy set, signed with real
// ES256 and EdDSA keys, and every way a data plane must refuse a snapshot it is handed.
import { CompactSign, generateSecret } from 'jose';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileDocuments } from '../compile/compile.ts';
import { loadPolicyYaml } from '../policy/load-yaml.ts';
import { buildSnapshot, snapshotVersion } from './build.ts';
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import { SNAPSHOT_JWS_TYPE, signSnapshot } from './sign.ts';
import { generateSigningKeyPair, importSigningKey } from '../keys/signing-key.ts';
import type { SigningAlgorithm, SigningKey } from '../keys/signing-key.ts';
import type { Snapshot, SnapshotBody } from './types.ts';
import { verifySignedSnapshot } from './verify.ts';

const POLICY = `
apiVersion: weft/v1
kind: Service
metadata:
  name: reviews
spec:
  port: 9080
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
---
apiVersion: weft/v1
kind: Route
metadata:
  name: reviews
spec:
  mesh:
    services: [reviews]
  rules:
    - name: default
      backends:
        - { service: reviews, subset: v1, weight: 90 }
        - { service: reviews, subset: v2, weight: 10 }
---
apiVersion: weft/v1
kind: AccessPolicy
metadata:
  name: reviews-callers
spec:
  targetRefs:
    - { kind: Service, name: reviews }
  action: allow
  rules:
    - from:
        principals: [spiffe://weft.local/ns/default/sa/productpage]
`;

function compileBody(text: string): SnapshotBody {
  const loaded = loadPolicyYaml('policy.yaml', text);
  expect(loaded.errors).toEqual([]);
  const compiled = compileDocuments(loaded.documents);
  if (!compiled.ok) throw new Error(`policy does not compile: ${JSON.stringify(compiled.errors)}`);
  return compiled.body;
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

interface KeyMaterial {
  key: SigningKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

async function makeKey(alg: SigningAlgorithm): Promise<KeyMaterial> {
  const pair = await generateSigningKeyPair(alg);
  return { key: await importSigningKey(pair.privateJwk), publicJwk: pair.publicJwk, privateJwk: pair.privateJwk };
}

/** Signs arbitrary bytes with a snapshot key and an arbitrary protected header. */
function signRaw(payload: string, key: SigningKey, header: Record<string, unknown>): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

let body: SnapshotBody;
let snapshot: Snapshot;

beforeAll(async () => {
  body = compileBody(POLICY);
  snapshot = await buildSnapshot(body, { source: { commit: 'abc123', author: 'ana' } });
});

describe.each(['ES256', 'EdDSA'] as const)('signed snapshots (%s)', (alg) => {
  let k: KeyMaterial;
  let other: KeyMaterial;
  let jws: string;

  beforeAll(async () => {
    k = await makeKey(alg);
    other = await makeKey(alg);
    jws = await signSnapshot(snapshot, k.key);
  });

  it('round-trips: verifies with the public key and returns the same snapshot and the kid', async () => {
    expect(jws.split('.')).toHaveLength(3);
    const header = JSON.parse(Buffer.from(jws.split('.')[0] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).toEqual({ alg, kid: k.key.kid, typ: SNAPSHOT_JWS_TYPE });
    const result = await verifySignedSnapshot(jws, { keys: [k.publicJwk] });
    expect(result).toEqual({ ok: true, snapshot, kid: k.key.kid });
    expect(k.key.kid).toBe(k.publicJwk.kid);
  });

  it('finds the signing key among several in the trust bundle, and tolerates a trailing newline', async () => {
    const result = await verifySignedSnapshot(`${jws}\n`, { keys: [other.publicJwk, k.publicJwk] });
    expect(result.ok && result.kid).toBe(k.key.kid);
  });

  it('the public JWK in the trust bundle holds no private part', () => {
    expect(k.publicJwk).not.toHaveProperty('d');
    expect(k.privateJwk).toHaveProperty('d');
  });

  it('refuses a key that is not in the trust bundle (unknown_key)', async () => {
    const result = await verifySignedSnapshot(jws, { keys: [other.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'unknown_key' });
  });

  it('refuses a forgery: signed by another key under the trusted kid (bad_signature)', async () => {
    const forged = await signSnapshot(snapshot, { ...other.key, kid: k.key.kid });
    const result = await verifySignedSnapshot(forged, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('refuses a tampered payload between the original header and signature (bad_signature)', async () => {
    const [header, , signature] = jws.split('.') as [string, string, string];
    const tampered: Snapshot = structuredClone(snapshot);
    const rule = tampered.body.routes[0]?.rules[0];
    if (!rule) throw new Error('fixture has no route rule');
    rule.backends = rule.backends.map((b) => ({ ...b, weight: b.subset === 'v2' ? 100 : 0 }));
    // A consistent version, so only the signature can catch it.
    tampered.version = await snapshotVersion(tampered.body);
    const result = await verifySignedSnapshot(`${header}.${b64(canonicalJson(tampered))}.${signature}`, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('refuses a correctly signed snapshot whose version does not match its body (version_mismatch)', async () => {
    const lying = await signSnapshot({ ...snapshot, version: 'f'.repeat(64) }, k.key);
    const result = await verifySignedSnapshot(lying, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'version_mismatch' });
  });

  it('refuses a correctly signed snapshot whose body was changed after the version was computed (version_mismatch)', async () => {
    const changed = structuredClone(snapshot);
    changed.body.accessPolicies = [];
    const result = await verifySignedSnapshot(await signSnapshot(changed, k.key), { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'version_mismatch' });
  });

  it('refuses a good signature with the wrong typ, e.g. a JWT (wrong_type)', async () => {
    const jwt = await signRaw(canonicalJson(snapshot), k.key, { typ: 'JWT' });
    const result = await verifySignedSnapshot(jwt, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'wrong_type' });
  });

  it('refuses a good signature with no typ at all (wrong_type)', async () => {
    const untyped = await new CompactSign(new TextEncoder().encode(canonicalJson(snapshot)))
      .setProtectedHeader({ alg: k.key.alg, kid: k.key.kid })
      .sign(k.key.privateKey);
    const result = await verifySignedSnapshot(untyped, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'wrong_type' });
  });

  it('refuses a correctly signed snapshot whose header names no kid, even with one trusted key (unknown_key)', async () => {
    const noKid = await new CompactSign(new TextEncoder().encode(canonicalJson(snapshot)))
      .setProtectedHeader({ alg: k.key.alg, typ: SNAPSHOT_JWS_TYPE })
      .sign(k.key.privateKey);
    const result = await verifySignedSnapshot(noKid, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'unknown_key' });
    expect(result.ok ? '' : result.message).toContain('no kid');
  });

  it('refuses a correctly signed payload that is not a snapshot (malformed)', async () => {
    const hello = await signRaw(JSON.stringify({ hello: 1 }), k.key, { typ: SNAPSHOT_JWS_TYPE });
    expect(await verifySignedSnapshot(hello, { keys: [k.publicJwk] })).toMatchObject({ ok: false, code: 'malformed' });
    const notJson = await signRaw('not json at all', k.key, { typ: SNAPSHOT_JWS_TYPE });
    expect(await verifySignedSnapshot(notJson, { keys: [k.publicJwk] })).toMatchObject({ ok: false, code: 'malformed' });
  });
});

describe('refused before any key is used', () => {
  let k: KeyMaterial;

  beforeAll(async () => {
    k = await makeKey('ES256');
  });

  it('refuses a raw, unsigned snapshot JSON (not_signed)', async () => {
    const result = await verifySignedSnapshot(canonicalJson(snapshot), { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'not_signed' });
  });

  it('refuses an empty input (not_signed)', async () => {
    expect(await verifySignedSnapshot('', { keys: [k.publicJwk] })).toMatchObject({ ok: false, code: 'not_signed' });
  });

  it.each([
    ['an empty signature', ''],
    ['a junk signature', b64('junk')],
  ])('refuses an alg "none" token with %s (algorithm_not_allowed)', async (_label, signature) => {
    const header = b64({ alg: 'none', typ: SNAPSHOT_JWS_TYPE });
    const result = await verifySignedSnapshot(`${header}.${b64(canonicalJson(snapshot))}.${signature}`, { keys: [k.publicJwk] });
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ code: 'algorithm_not_allowed' });
  });

  it('refuses an alg "none" token even when its kid names a trusted key (algorithm_not_allowed)', async () => {
    const header = b64({ alg: 'none', kid: k.publicJwk.kid, typ: SNAPSHOT_JWS_TYPE });
    const result = await verifySignedSnapshot(`${header}.${b64(canonicalJson(snapshot))}.`, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
  });

  it('refuses an HS256 token signed with a shared secret (algorithm_not_allowed)', async () => {
    const secret = await generateSecret('HS256', { extractable: true });
    const hs = await new CompactSign(new TextEncoder().encode(canonicalJson(snapshot)))
      .setProtectedHeader({ alg: 'HS256', typ: SNAPSHOT_JWS_TYPE })
      .sign(secret);
    const result = await verifySignedSnapshot(hs, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
  });

  it('refuses an HS256 token keyed with the trusted public key bytes (algorithm confusion)', async () => {
    const publicBytes = new TextEncoder().encode(JSON.stringify(k.publicJwk));
    const hs = await new CompactSign(new TextEncoder().encode(canonicalJson(snapshot)))
      .setProtectedHeader({ alg: 'HS256', kid: k.publicJwk.kid, typ: SNAPSHOT_JWS_TYPE })
      .sign(publicBytes);
    const result = await verifySignedSnapshot(hs, { keys: [k.publicJwk] });
    expect(result).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
  });
});

describe('keys', () => {
  it('kid is the RFC 7638 thumbprint, stable across export and import', async () => {
    const pair = await generateSigningKeyPair('EdDSA');
    expect(pair.publicJwk).toMatchObject({ alg: 'EdDSA', crv: 'Ed25519', use: 'sig' });
    expect(pair.publicJwk.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { kid: _kid, ...withoutKid } = pair.privateJwk;
    expect((await importSigningKey(withoutKid)).kid).toBe(pair.publicJwk.kid);
  });

  it('refuses to import a public key or a key of another algorithm as a signing key', async () => {
    const pair = await generateSigningKeyPair('ES256');
    await expect(importSigningKey(pair.publicJwk)).rejects.toThrow(/no private part/);
    await expect(importSigningKey({ ...pair.privateJwk, alg: 'HS256' })).rejects.toThrow(/ES256 or EdDSA/);
  });
});

describe('snapshot version and canonical JSON', () => {
  it('version is the SHA-256 hex of the canonical body, independent of metadata', async () => {
    const expected = await sha256Hex(canonicalJson(body));
    expect(snapshot.version).toBe(expected);
    expect(snapshot.version).toMatch(/^[0-9a-f]{64}$/);
    const later = await buildSnapshot(body, { createdAt: '2030-01-01T00:00:00.000Z' });
    expect(later.version).toBe(snapshot.version);
    expect(later.metadata.createdAt).toBe('2030-01-01T00:00:00.000Z');
  });

  it('the same policy written in another key order and document order has the same version', async () => {
    const docs = POLICY.split('\n---\n');
    const reordered = [docs[2], docs[0], docs[1]].join('\n---\n').replace('  port: 9080\n  subsets:', '  subsets:').replace(
      '    - { name: v2, labels: { version: v2 } }\n',
      '    - { name: v2, labels: { version: v2 } }\n  port: 9080\n',
    );
    expect(reordered).not.toBe(POLICY);
    expect(await snapshotVersion(compileBody(reordered))).toBe(snapshot.version);
  });

  it('a policy change changes the version', async () => {
    expect(await snapshotVersion(compileBody(POLICY.replace('weight: 90', 'weight: 80').replace('weight: 10', 'weight: 20')))).not.toBe(snapshot.version);
  });

  it('sha256Hex hashes UTF-8 text', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('sorts object keys recursively, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
    expect(canonicalJson([{ y: 1, x: [3, 1] }, null, 'é'])).toBe('[{"x":[3,1],"y":1},null,"é"]');
    expect(canonicalJson({ a: undefined, b: true })).toBe('{"b":true}');
  });

  it('sorts keys by UTF-16 code unit, not by locale', () => {
    expect(canonicalJson({ a: 1, _: 2, B: 3, é: 4 })).toBe('{"B":3,"_":2,"a":1,"é":4}');
  });

  it('throws on values JSON cannot represent', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });
});
