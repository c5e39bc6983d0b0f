// The sidecar's X.509-SVID against the real control Worker: the key is made locally and kept
// in its own 0600 file (never in what is sent or in identity.json), the certificate names the
// workload's SPIFFE ID and chains to the bundle, it is renewed at half life (new key, new
// certificate) without a restart, a CA rollover reaches the sidecar without a restart, and a
// sidecar that cannot renew goes not-ready before its SVID expires, saying why.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { generateControlSecrets } from '../../cli/control/dev-secrets.ts';
import type { DevCredentials } from '../../cli/control/dev-secrets.ts';
import { createCertificateAuthority } from '../../core/identity/x509-ca.ts';
import { verifyX509Svid } from '../../core/identity/x509-svid-verify.ts';
import { readinessGaps } from '../../sidecar/admin/admin-app.ts';
import { startControlClient } from '../../sidecar/control/control-client.ts';
import type { ControlClient, ControlClientOptions } from '../../sidecar/control/control-client.ts';
import type { WorkloadTls } from '../../sidecar/types.ts';
import { basicPolicy, controlClientOptions, startControl, waitFor } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';

const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const FAST_BACKOFF = { baseMs: 50, maxMs: 300 };
const dirs: string[] = [];
const clients: ControlClient[] = [];
const controls: ControlHarness[] = [];

function stateDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'weft-sidecar-tls-')), 'state');
  dirs.push(dir);
  return dir;
}

async function start(control: ControlHarness, extra: Partial<ControlClientOptions> = {}): Promise<ControlClient> {
  const client = await startControlClient(controlClientOptions(control.url, stateDir(), `reviews-tls-${clients.length}`, { backoff: FAST_BACKOFF, ...extra }));
  clients.push(client);
  return client;
}

async function control(o: { x509SvidTtl?: string; credentials?: DevCredentials } = {}): Promise<ControlHarness> {
  const c = await startControl(o.credentials ? { credentials: o.credentials } : {});
  controls.push(c);
  const files = basicPolicy();
  if (o.x509SvidTtl) files['mesh.yaml'] = `apiVersion: weft/v1\nkind: Mesh\nmetadata: { name: weft }\nspec:\n  trustDomain: weft.local\n  identity: { x509SvidTtl: ${o.x509SvidTtl} }\n`;
  await c.push(files);
  return c;
}

const serial = (t: WorkloadTls | undefined): string => (t ? new X509Certificate(t.certificatePem).serialNumber : '');
const issuer = (t: WorkloadTls | undefined): string => (t ? new X509Certificate(t.certificatePem).issuer : '');

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await Promise.all(controls.map((c) => c.close()));
  for (const d of dirs) rmSync(join(d, '..'), { recursive: true, force: true });
});

describe('sidecar X.509-SVID from control', () => {
  it('makes its key locally (0600 file of its own), gets an X.509-SVID for its SPIFFE ID and the CA bundle, and restarts from disk with them', async () => {
    const c = await control();
    const client = await start(c, { joinToken: await c.joinToken('reviews') });
    const tls = client.tls();
    expect(tls?.spiffeId).toBe(REVIEWS);
    const verified = await verifyX509Svid(tls?.certificatePem ?? '', tls?.authorities ?? []);
    expect(verified).toMatchObject({ ok: true, spiffeId: REVIEWS });
    expect(tls?.authorities).toEqual(client.bundle()?.x509Authorities);
    expect(client.status()).toMatchObject({ x509Svid: { spiffeId: REVIEWS }, x509Problem: null });
    expect(client.ready()).toBe(true);

    const dir = dirs[dirs.length - 1] as string;
    const keyFile = join(dir, 'svid-key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(keyFile, 'utf8')).toBe(tls?.privateKeyPem);
    expect(new X509Certificate(tls?.certificatePem ?? '').checkPrivateKey((await import('node:crypto')).createPrivateKey(readFileSync(keyFile, 'utf8')))).toBe(true);
    await client.close();
    expect(readFileSync(join(dir, 'identity.json'), 'utf8')).not.toContain('PRIVATE KEY');

    // A restart with control down: the same SVID and key, from disk.
    await c.stop();
    try {
      const again = await startControlClient(controlClientOptions(c.url, dir, 'reviews-tls-again', { backoff: FAST_BACKOFF }));
      clients.push(again);
      expect(serial(again.tls())).toBe(serial(tls));
      expect(again.tls()?.privateKeyPem).toBe(tls?.privateKeyPem);
    } finally {
      await c.start();
    }
  });

  it('renews the X.509-SVID at half its life with a new key, without a restart, and tells listeners', async () => {
    // 6 s: renewal at 3 s, with 3 s before the first one expires even on a slow machine.
    const c = await control({ x509SvidTtl: '6s' });
    const client = await start(c, { joinToken: await c.joinToken('reviews') });
    const first = client.tls();
    expect((first?.expiresAt ?? 0) - Date.now()).toBeLessThanOrEqual(6_000);
    const changes: (WorkloadTls | undefined)[] = [];
    client.onTlsChange((t) => changes.push(t));
    const renewed = await waitFor('a renewed X.509-SVID', () => (serial(client.tls()) !== serial(first) ? client.tls() : undefined));
    expect(renewed?.privateKeyPem).not.toBe(first?.privateKeyPem);
    expect(changes).toContain(renewed);
    // Renewed before the old one expired: there was always a valid one.
    expect(renewed?.issuedAt ?? Infinity).toBeLessThan(first?.expiresAt ?? 0);
    expect(client.ready()).toBe(true);
  });

  it('goes not-ready before its X.509-SVID expires when it cannot renew, and says why', async () => {
    const c = await control({ x509SvidTtl: '6s' });
    const client = await start(c, { joinToken: await c.joinToken('reviews') });
    const expiresAt = client.tls()?.expiresAt ?? 0;
    expect(client.ready()).toBe(true);
    await c.stop();
    try {
      const problem = await waitFor('not ready', () => (!client.ready() ? client.status().x509Problem : undefined));
      expect(Date.now()).toBeLessThan(expiresAt);
      expect(problem).toMatch(/X\.509-SVID expires at .* and could not be renewed; renewal failing since .*unreachable/);
      // …and /ready says so.
      const gaps = readinessGaps({ status: () => client.status(), listeners: () => ({ inbound: 1, outbound: 2 }), draining: () => false } as unknown as Parameters<typeof readinessGaps>[0]);
      expect(gaps.find((g) => g.startsWith('x509-svid: '))).toMatch(/X\.509-SVID expires at .* and could not be renewed/);
    } finally {
      await c.start();
    }
    await waitFor('ready again once control is back', () => client.ready());
    expect(client.tls()?.expiresAt ?? 0).toBeGreaterThan(expiresAt);
  });

  it('follows a CA rollover without a restart: the new CA joins the bundle before it signs, then signs the renewals', async () => {
    const credentials = await generateControlSecrets('weft.local');
    const c = await control({ x509SvidTtl: '4s', credentials });
    const client = await start(c, { joinToken: await c.joinToken('reviews'), bundleRefreshMs: 300 });
    const oldCa = JSON.parse(credentials.secrets.CA) as { certificatePem: string; privateKeyPem: string; status: string }[];
    const before = client.tls();
    expect(before?.authorities).toHaveLength(1);
    const next = await createCertificateAuthority({ trustDomain: 'weft.local', ttlMs: 24 * 3600_000 });

    // Step 1: the new CA joins as `next` (published, not signing).
    credentials.secrets.CA = JSON.stringify([...oldCa, { ...next, status: 'next' }]);
    await c.stop();
    await c.start();
    const joined = await waitFor('the new CA in the material', () => ((client.tls()?.authorities.length ?? 0) === 2 ? client.tls() : undefined));
    expect(joined?.authorities).toContain(next.certificatePem.trim());
    expect(issuer(joined)).toBe(issuer(before));

    // Step 2: the new CA is active, the old retiring: the next renewal comes from the new CA.
    credentials.secrets.CA = JSON.stringify([{ ...oldCa[0], status: 'retiring' }, { ...next, status: 'active' }]);
    await c.stop();
    await c.start();
    const nextIssuer = new X509Certificate(next.certificatePem).subject;
    const fromNew = await waitFor('an SVID from the new CA', () => (issuer(client.tls()) === nextIssuer ? client.tls() : undefined));
    expect(fromNew?.authorities).toHaveLength(2);

    // Step 3: the old CA leaves the bundle.
    credentials.secrets.CA = JSON.stringify([{ ...next, status: 'active' }]);
    await c.stop();
    await c.start();
    await waitFor('the old CA gone from the material', () => client.tls()?.authorities.length === 1);
    expect(client.tls()?.authorities).toEqual([next.certificatePem.trim()]);
    expect(client.ready()).toBe(true);
  });
});
