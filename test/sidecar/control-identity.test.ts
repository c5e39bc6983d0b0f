// The control client's identity against the real control Worker: join → SVIDs for the right
// SPIFFE ID, identity kept on disk 0600, JWT-SVIDs per audience (verified, cached, shared by
// concurrent askers), and the definitive refusals that stop a sidecar from starting.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJwtSvid } from '../../core/identity/jwt-svid.ts';
import { startControlClient } from '../../sidecar/control/control-client.ts';
import type { ControlClient, ControlClientOptions } from '../../sidecar/control/control-client.ts';
import { basicPolicy, controlClientOptions, deadPort, startControl, waitFor } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';

let control: ControlHarness;
const dirs: string[] = [];
const clients: ControlClient[] = [];

function stateDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'weft-sidecar-id-')), 'state');
  dirs.push(dir);
  return dir;
}

function options(extra: Partial<ControlClientOptions>): ControlClientOptions {
  return controlClientOptions(control.url, stateDir(), 'reviews-id-1', extra);
}

async function start(extra: Partial<ControlClientOptions>): Promise<ControlClient> {
  const client = await startControlClient(options(extra));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  control = await startControl();
  await control.push(basicPolicy());
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await control?.close();
  for (const d of dirs) rmSync(join(d, '..'), { recursive: true, force: true });
});

describe('sidecar control client: identity', () => {
  it('joins with a join token, gets the SPIFFE ID of its service, and keeps the identity on disk (0700 folder, 0600 files)', async () => {
    const o = options({ joinToken: await control.joinToken('reviews') });
    const client = await startControlClient(o);
    clients.push(client);
    const status = client.status();
    expect(status.svid?.spiffeId).toBe('spiffe://weft.local/ns/default/sa/reviews');
    expect(Date.parse(status.svid?.expiresAt ?? '')).toBeGreaterThan(Date.now());
    expect(client.self.spiffeId).toBe('spiffe://weft.local/ns/default/sa/reviews');
    expect(client.self.trustDomain).toBe('weft.local');
    expect(client.ready()).toBe(true);
    expect(client.bundle()?.controlId).toBe('spiffe://weft.local/ns/weft-system/sa/control');
    expect(statSync(o.stateDir).mode & 0o777).toBe(0o700);
    for (const file of ['identity.json', 'bundle.json', 'snapshot.jws', 'endpoints.jws']) expect(statSync(join(o.stateDir, file)).mode & 0o777, file).toBe(0o600);
  });

  it('jwtSvid(audience) returns a token verifyJwtSvid accepts for that audience, reuses it, and concurrent asks share one', async () => {
    const client = await start({ joinToken: await control.joinToken('reviews') });
    const audience = 'spiffe://weft.local/ns/default/sa/ratings';
    const token = await client.jwtSvid(audience);
    const verified = await verifyJwtSvid(token, { trustBundle: client.bundle()?.jwks ?? { keys: [] }, audience, trustDomain: 'weft.local' });
    expect(verified.ok && verified.spiffeId).toBe('spiffe://weft.local/ns/default/sa/reviews');
    const wrong = await verifyJwtSvid(token, { trustBundle: client.bundle()?.jwks ?? { keys: [] }, audience: 'spiffe://weft.local/ns/default/sa/details' });
    expect(wrong.ok ? 'accepted' : wrong.code).toBe('wrong_audience');
    expect(await client.jwtSvid(audience)).toBe(token);

    const other = 'spiffe://weft.local/ns/default/sa/details';
    const tokens = await Promise.all(Array.from({ length: 5 }, () => client.jwtSvid(other)));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(token);
    await expect(client.jwtSvid('')).rejects.toThrow(/audience/);
  });

  it('refuses to start with a join token control does not know', async () => {
    await expect(start({ joinToken: 'wjt_not-a-real-token-000000000000000000000' })).rejects.toThrow(/invalid_join_token/);
  });

  it('refuses to start with another service’s join token, and leaves that token good for its own service', async () => {
    const ratingsToken = await control.joinToken('ratings');
    await expect(start({ joinToken: ratingsToken })).rejects.toThrow(/wrong_service.*default\/ratings.*not default\/reviews/);
    const ratings = await start({ joinToken: ratingsToken, self: { service: 'ratings', namespace: 'default', instanceId: 'ratings-id-1', labels: {} } });
    expect(ratings.status().svid?.spiffeId).toBe('spiffe://weft.local/ns/default/sa/ratings');
  });

  it('refuses to start with no join token and no identity on disk', async () => {
    await expect(start({})).rejects.toThrow(/no join token/);
  });

  it('with nothing on disk and control unreachable, starts anyway (not ready) and keeps trying', async () => {
    const logs: Record<string, unknown>[] = [];
    const client = await start({ controlUrl: `http://127.0.0.1:${await deadPort()}`, joinToken: await control.joinToken('reviews'), log: (e) => logs.push(e) });
    expect(client.ready()).toBe(false);
    expect(client.status()).toMatchObject({ connected: false, snapshot: null, svid: null });
    expect(client.status().lastError).toMatch(/unreachable/);
    await expect(client.jwtSvid('spiffe://weft.local/ns/default/sa/ratings')).rejects.toThrow(/no JWT-SVID for audience spiffe:\/\/weft\.local\/ns\/default\/sa\/ratings/);
    expect(logs.some((l) => l.level === 'warn' && String(l.msg).includes('unreachable'))).toBe(true);
  });

  // Last: it shortens the mesh's identity lifetimes for everything after it.
  it('renews the controlToken before it expires and gets a fresh JWT-SVID once half of the old one is used up', async () => {
    const files = basicPolicy();
    files['mesh.yaml'] = 'apiVersion: weft/v1\nkind: Mesh\nmetadata: { name: weft }\nspec:\n  trustDomain: weft.local\n  identity: { jwtSvidTtl: 4s }\n';
    await control.push(files);
    const client = await start({ joinToken: await control.joinToken('reviews') });
    const firstExpiry = Date.parse(client.status().svid?.expiresAt ?? '');
    expect(firstExpiry - Date.now()).toBeLessThanOrEqual(4_000);
    const audience = 'spiffe://weft.local/ns/default/sa/ratings';
    const token = await client.jwtSvid(audience);

    await waitFor('a renewed controlToken', () => Date.parse(client.status().svid?.expiresAt ?? '') > firstExpiry);
    await waitFor('the first identity to have expired', () => Date.now() > firstExpiry + 1_000);
    expect(client.ready()).toBe(true);
    const fresh = await client.jwtSvid(audience);
    expect(fresh).not.toBe(token);
    const verified = await verifyJwtSvid(fresh, { trustBundle: client.bundle()?.jwks ?? { keys: [] }, audience });
    expect(verified.ok).toBe(true);
  });
});
