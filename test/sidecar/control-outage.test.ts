// The control client when control goes away: it keeps enforcing what it has, reconnects when
// control is back (same port) and applies a push made meanwhile; a new client with the same
// state folder starts from its last-known-good state with control down; a tampered snapshot
// file on disk is refused.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlClient } from '../../sidecar/control/control-client.ts';
import type { ControlClient, ControlClientOptions } from '../../sidecar/control/control-client.ts';
import { basicPolicy, controlClientOptions, deadPort, startControl, waitFor } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';

let control: ControlHarness;
const work = mkdtempSync(join(tmpdir(), 'weft-sidecar-outage-'));
const clients: ControlClient[] = [];
const RATINGS = 'spiffe://weft.local/ns/default/sa/ratings';

function options(name: string, extra: Partial<ControlClientOptions>): ControlClientOptions {
  return controlClientOptions(control.url, join(work, name), name, { backoff: { baseMs: 50, maxMs: 400 }, endpointTtlSeconds: 3, ...extra });
}

async function start(name: string, extra: Partial<ControlClientOptions> = {}): Promise<ControlClient> {
  const client = await startControlClient(options(name, extra));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  control = await startControl();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await control?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('sidecar control client: control outages and last-known-good state', () => {
  it('keeps its runtime through an outage, reconnects when control is back, re-registers, and applies a push made meanwhile', async () => {
    const v1 = await control.push(basicPolicy(9090));
    const client = await start('outage-1', { joinToken: await control.joinToken('reviews'), register: { address: '127.0.0.1', port: 19090 } });
    await waitFor('the registration', async () => (await control.endpoints()).endpoints['default/reviews']?.some((e) => e.instanceId === 'outage-1'));
    const held = client.runtime();
    expect(held?.version).toBe(v1);

    await control.stop();
    await waitFor('the client to notice the outage', () => !client.status().connected);
    expect(client.runtime()).toBe(held);
    expect(client.ready()).toBe(true);
    expect(client.status().lastError).toMatch(/unreachable/);

    await control.start();
    const v2 = await control.push(basicPolicy(9091));
    await waitFor('the push made during the outage to be applied', () => client.runtime()?.version === v2);
    expect(client.status()).toMatchObject({ connected: true, snapshot: { version: v2, fromDisk: false }, rejected: null });
    await waitFor('the ACK after the outage', async () => (await control.status()).nodes.find((n) => n.nodeId === 'outage-1')?.appliedVersion === v2);
    await waitFor('the registration after the outage', async () => (await control.endpoints()).endpoints['default/reviews']?.some((e) => e.instanceId === 'outage-1'));
  });

  it('starts from the last-known-good state with control down: ready, fromDisk, cached JWT-SVIDs still served', async () => {
    const version = await control.push(basicPolicy(9092));
    const first = await start('lkg-1', { joinToken: await control.joinToken('reviews') });
    expect(first.runtime()?.version).toBe(version);
    const cachedToken = await first.jwtSvid(RATINGS);
    await first.close();

    const logs: Record<string, unknown>[] = [];
    const second = await start('lkg-1', { controlUrl: `http://127.0.0.1:${await deadPort()}`, log: (e) => logs.push(e) });
    expect(second.ready()).toBe(true);
    expect(second.runtime()?.version).toBe(version);
    expect(second.status()).toMatchObject({ connected: false, snapshot: { version, fromDisk: true }, svid: { spiffeId: 'spiffe://weft.local/ns/default/sa/reviews' } });
    expect(second.bundle()?.trustDomain).toBe('weft.local');
    expect(second.endpoints()?.version).toMatch(/^[0-9a-f]{64}$/);
    expect(await second.jwtSvid(RATINGS)).toBe(cachedToken);
    await expect(second.jwtSvid('spiffe://weft.local/ns/default/sa/details')).rejects.toThrow(/no JWT-SVID for audience .*unreachable/);
    expect(logs.some((l) => l.msg === 'snapshot loaded from disk (last known good)')).toBe(true);
  });

  it('refuses a tampered snapshot file on disk and starts without it', async () => {
    await control.push(basicPolicy(9093));
    const first = await start('tamper-1', { joinToken: await control.joinToken('reviews') });
    expect(first.ready()).toBe(true);
    await first.close();

    // The same state, with one changed byte in the stored snapshot's payload.
    cpSync(join(work, 'tamper-1'), join(work, 'tamper-2'), { recursive: true });
    const file = join(work, 'tamper-2', 'snapshot.jws');
    const [h, p = '', s] = readFileSync(file, 'utf8').split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { body: { services: { port: number }[] } };
    (payload.body.services[0] as { port: number }).port = 1;
    writeFileSync(file, `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`);

    const logs: Record<string, unknown>[] = [];
    const client = await start('tamper-2', { controlUrl: `http://127.0.0.1:${await deadPort()}`, log: (e) => logs.push(e) });
    expect(client.runtime()).toBeUndefined();
    expect(client.ready()).toBe(false);
    expect(client.status().snapshot).toBeNull();
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', msg: 'stored snapshot refused; ignoring it', code: 'bad_signature' }));
  });
});
