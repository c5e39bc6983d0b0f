// The signing workflow from the shell: `weft keys generate`, `weft compile --key`, `weft verify`,
// plus `weft hash-key`. Real key files, real snapshots, real exit codes.
import { existsSync } from 'node:fs';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { POLICIES, doc, useTempDir, weft } from '../fixtures/cli/weft.ts';

let dir: string;
useTempDir('weft-sign-', (d) => {
  dir = d;
});

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

describe('weft keys generate', () => {
  it('writes a private JWK readable only by its owner (0600) and a public-only trust bundle', async () => {
    const r = await weft(['keys', 'generate', '--out', 'keys'], { cwd: dir });
    expect(r.status).toBe(0);
    const privateKey = await readJson(join(dir, 'keys/signing-key.jwk'));
    const bundle = (await readJson(join(dir, 'keys/jwks.json'))) as { keys: Record<string, unknown>[] };
    expect((await stat(join(dir, 'keys/signing-key.jwk'))).mode & 0o777).toBe(0o600);
    expect(privateKey).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof privateKey.d).toBe('string');
    expect(bundle.keys).toHaveLength(1);
    const [pub] = bundle.keys;
    expect(pub).not.toHaveProperty('d');
    expect(pub).toMatchObject({ kty: 'EC', alg: 'ES256', kid: privateKey.kid, x: privateKey.x, y: privateKey.y });
    // The private key is never printed; the kid is.
    expect(r.stdout).toContain(`generated ES256 key ${String(privateKey.kid)}`);
    expect(r.stdout).not.toContain(String(privateKey.d));
  });

  it('refuses to replace an existing key without --force, and with --force writes it 0600 even over a world-readable file', async () => {
    const out = join(dir, 'rekey');
    const r0 = await weft(['keys', 'generate', '--alg', 'EdDSA', '--out', out]);
    expect(r0.status).toBe(0);
    const first = await readJson(join(out, 'signing-key.jwk'));
    const again = await weft(['keys', 'generate', '--alg', 'EdDSA', '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists; keep it, or pass --force to replace it');
    expect(await readJson(join(out, 'signing-key.jwk'))).toEqual(first);
    await chmod(join(out, 'signing-key.jwk'), 0o644);
    const r = await weft(['keys', 'generate', '--alg', 'EdDSA', '--out', out, '--force']);
    expect(r.status).toBe(0);
    expect(await readJson(join(out, 'signing-key.jwk'))).not.toEqual(first);
    expect((await stat(join(out, 'signing-key.jwk'))).mode & 0o777).toBe(0o600);
  });
});

describe('weft compile --key and weft verify', () => {
  let kid: string;
  let compiled: { status: number | null; stderr: string };
  const snap = () => join(dir, 'out/snap.jws');

  beforeAll(async () => {
    const [a, b] = await Promise.all([
      weft(['keys', 'generate', '--out', join(dir, 'trusted')]),
      weft(['keys', 'generate', '--alg', 'EdDSA', '--out', join(dir, 'other')]),
    ]);
    expect([a.status, b.status]).toEqual([0, 0]);
    kid = String((await readJson(join(dir, 'trusted/signing-key.jwk'))).kid);
    compiled = await weft(['compile', POLICIES, '--key', join(dir, 'trusted/signing-key.jwk'), '--out', snap(), '--commit', 'abc123']);
  }, 60_000);

  it('a signed snapshot of policies/ verifies against the matching trust bundle', async () => {
    expect(compiled.status).toBe(0);
    const written = /^wrote signed snapshot ([0-9a-f]{12}) \(\d+ documents\) to /.exec(compiled.stderr);
    expect(written).not.toBeNull();
    expect(await readFile(snap(), 'utf8')).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);

    const verified = await weft(['verify', snap(), '--trust', join(dir, 'trusted/jwks.json')]);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`^verified: version ${written?.[1]}[0-9a-f]{52} signed by key ${kid}, created \\d{4}-\\d\\d-\\d\\dT`));
  });

  it('a snapshot verified against another trust bundle is refused (unknown_key, exit 1)', async () => {
    expect(compiled.status).toBe(0);
    const r = await weft(['verify', snap(), '--trust', join(dir, 'other/jwks.json')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^refused \(unknown_key\): /);
  });

  it('a tampered signed snapshot is refused (bad_signature), and an unsigned one (not_signed)', async () => {
    const snap = join(dir, 'out/tamper.jws');
    const c = await weft(['compile', POLICIES, '--key', join(dir, 'trusted/signing-key.jwk'), '--out', snap]);
    expect(c.status).toBe(0);
    const [header, payload, signature] = (await readFile(snap, 'utf8')).trim().split('.') as [string, string, string];
    const snapshot = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { metadata: { createdAt: string } };
    snapshot.metadata.createdAt = '1999-01-01T00:00:00.000Z';
    await writeFile(snap, `${header}.${Buffer.from(JSON.stringify(snapshot)).toString('base64url')}.${signature}\n`);
    const unsigned = join(dir, 'out/unsigned.json');
    const u = await weft(['compile', POLICIES, '--out', unsigned]);
    expect(u.status).toBe(0);

    const trust = join(dir, 'trusted/jwks.json');
    const [tampered, plain] = await Promise.all([weft(['verify', snap, '--trust', trust]), weft(['verify', unsigned, '--trust', trust])]);
    expect(tampered.status).toBe(1);
    expect(tampered.stderr).toMatch(/^refused \(bad_signature\): /);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/^refused \(not_signed\): /);
  });

  it('compile without --key prints the snapshot JSON on stdout, with the source metadata', async () => {
    const r = await weft(['compile', POLICIES, '--commit', 'abc123', '--author', 'ana']);
    expect(r.status).toBe(0);
    const snapshot = JSON.parse(r.stdout) as { version: string; metadata: { source: unknown }; body: { apiVersion: string } };
    expect(snapshot.version).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshot.metadata.source).toEqual({ commit: 'abc123', author: 'ana' });
    expect(snapshot.body.apiVersion).toBe('weft/v1');
  });

  it('compile of invalid policies writes nothing and exits 1', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, doc('Service', 'a', ['port: eighty']));
    const out = join(dir, 'out/never.jws');
    const r = await weft(['compile', bad, '--key', join(dir, 'trusted/signing-key.jwk'), '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('spec.port: expected number, received string');
    expect(r.stderr).toContain('1 error; nothing written');
    expect(existsSync(out)).toBe(false);
  });

  it('compile --key with a missing key file exits 2 with a clear message and writes nothing', async () => {
    const out = join(dir, 'out/nokey.jws');
    const r = await weft(['compile', POLICIES, '--key', join(dir, 'missing.jwk'), '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`weft: cannot read key file ${join(dir, 'missing.jwk')}: no such file\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('compile --key with a public key (the trust bundle entry) exits 2', async () => {
    const pub = join(dir, 'public.jwk');
    const bundle = (await readJson(join(dir, 'trusted/jwks.json'))) as { keys: unknown[] };
    await writeFile(pub, JSON.stringify(bundle.keys[0]));
    const r = await weft(['compile', POLICIES, '--key', pub]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no private part');
    expect(r.stdout).toBe('');
  });
});

describe('weft hash-key', () => {
  it('prints the SHA-256 of the key read from stdin (a trailing newline is not part of the key)', async () => {
    const expected = 'a2fb8545fcd457204e9fee11be92013aa3240b1b146fe262ba608fdfc159041c\n';
    const [plain, withNewline] = await Promise.all([weft(['hash-key'], { input: 'demo-acme-key' }), weft(['hash-key'], { input: 'demo-acme-key\n' })]);
    expect(plain).toEqual({ status: 0, stdout: expected, stderr: '' });
    expect(withNewline).toEqual({ status: 0, stdout: expected, stderr: '' });
  });

  it('empty stdin exits 2 with a usage hint', async () => {
    const r = await weft(['hash-key'], { input: '' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^weft: no key on stdin/);
  });
});
