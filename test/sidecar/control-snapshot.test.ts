// Snapshots and endpoints through the control client, against the real control Worker: a push is
// applied (listeners, status ACK), the inbound endpoint is registered and gone after close(),
// and a snapshot whose signature was corrupted on the way (a real node:http man in the middle
// between client and control) is refused, NACKed, not fetched again, and the old one kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { startControlClient } from '../../sidecar/control/control-client.ts';
import type { ControlClient, ControlClientOptions } from '../../sidecar/control/control-client.ts';
import { basicPolicy, controlClientOptions, startControl, waitFor } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';

let control: ControlHarness;
const work = mkdtempSync(join(tmpdir(), 'weft-sidecar-snap-'));
const clients: ControlClient[] = [];

/** A man in the middle: forwards everything to control; while `corrupt` is on, breaks the signature of snapshot JWSs. */
interface Mitm {
  url: string;
  corrupt: boolean;
  /** Snapshot GETs answered 200, by the version control named. */
  snapshotBodies: Map<string, number>;
  snapshotRequests: number;
  close(): Promise<void>;
}

function corruptSignature(jws: string): string {
  const [h, p, s = ''] = jws.split('.');
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

async function startMitm(target: string): Promise<Mitm> {
  const upstream = new URL(target);
  const state = { corrupt: false, snapshotBodies: new Map<string, number>(), snapshotRequests: 0 };
  const server: Server = createServer((req, res) => {
    const isSnapshot = req.method === 'GET' && (req.url ?? '').split('?')[0] === '/v1/snapshot';
    if (isSnapshot) state.snapshotRequests++;
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      if (!isSnapshot || up.statusCode !== 200) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        let body = Buffer.concat(chunks).toString('utf8');
        const version = String(up.headers['weft-snapshot-version']);
        state.snapshotBodies.set(version, (state.snapshotBodies.get(version) ?? 0) + 1);
        if (state.corrupt) body = corruptSignature(body);
        const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
        delete headers['transfer-encoding'];
        res.writeHead(200, headers);
        res.end(body);
      });
    });
    out.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function options(name: string, extra: Partial<ControlClientOptions>): ControlClientOptions {
  return controlClientOptions(control.url, join(work, name), name, {
    self: { service: 'reviews', namespace: 'default', instanceId: name, labels: { version: 'v1' } },
    endpointTtlSeconds: 3,
    ...extra,
  });
}

async function start(name: string, extra: Partial<ControlClientOptions> = {}): Promise<ControlClient> {
  const client = await startControlClient(options(name, { joinToken: await control.joinToken('reviews'), ...extra }));
  clients.push(client);
  return client;
}

async function node(nodeId: string) {
  return (await control.status()).nodes.find((n) => n.nodeId === nodeId);
}

beforeAll(async () => {
  control = await startControl();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await control?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('sidecar control client: snapshots and endpoints', () => {
  it('applies a push: onSnapshot, runtime(), and the ACK in GET /v1/status', async () => {
    const v1 = await control.push(basicPolicy(9080));
    const client = await start('apply-1');
    expect(client.runtime()?.version).toBe(v1);
    expect(client.status().snapshot).toMatchObject({ version: v1, fromDisk: false });
    const applied: SnapshotRuntime[] = [];
    client.onSnapshot((r) => applied.push(r));

    const v2 = await control.push(basicPolicy(9081));
    await waitFor('the push to be applied', () => client.runtime()?.version === v2);
    expect(applied.map((r) => r.version)).toEqual([v2]);
    expect(client.runtime()?.services.get('default/reviews')?.port).toBe(9081);
    const reported = await waitFor('the ACK', async () => {
      const n = await node('apply-1');
      return n?.appliedVersion === v2 && n;
    });
    expect(reported).toMatchObject({ kind: 'sidecar', spiffeId: 'spiffe://weft.local/ns/default/sa/reviews', rejected: null, lastKnownGood: false, converged: true });
  });

  it('registers its inbound address (visible in GET /v1/endpoints, and in its own endpoints()), and deregisters on close()', async () => {
    const client = await start('register-1', { register: { address: '127.0.0.1', port: 19080 } });
    const entry = { instanceId: 'register-1', address: '127.0.0.1', port: 19080, labels: { version: 'v1' } };
    await waitFor('the registration', async () => (await control.endpoints()).endpoints['default/reviews']?.some((e) => e.instanceId === 'register-1'));
    expect((await control.endpoints()).endpoints['default/reviews']).toContainEqual(entry);
    await waitFor('the endpoints document with it', () => client.endpoints()?.endpoints['default/reviews']?.some((e) => e.instanceId === 'register-1'));
    expect(client.status().endpointsVersion).toBe(client.endpoints()?.version);

    await client.close();
    expect((await control.endpoints()).endpoints['default/reviews'] ?? []).not.toContainEqual(entry);
  });

  it('refuses a snapshot with a corrupted signature: NACK (rejected, lastKnownGood), the old one kept, the bad version not fetched again', async () => {
    const mitm = await startMitm(control.url);
    try {
      const logs: Record<string, unknown>[] = [];
      const good = await control.push(basicPolicy(9082));
      const client = await start('nack-1', { controlUrl: mitm.url, log: (e) => logs.push(e) });
      expect(client.runtime()?.version).toBe(good);
      const listened: string[] = [];
      client.onSnapshot((r) => listened.push(r.version));

      mitm.corrupt = true;
      const bad = await control.push(basicPolicy(9083));
      await waitFor('the rejection', () => client.status().rejected?.version === bad);
      expect(client.status().rejected).toEqual({ version: bad, reason: expect.stringMatching(/^bad_signature: /) });
      expect(client.runtime()?.version).toBe(good);
      expect(listened).toEqual([]);
      expect(logs.some((l) => l.level === 'error' && l.code === 'bad_signature' && l.version === bad)).toBe(true);
      const nack = await waitFor('the NACK', async () => {
        const n = await node('nack-1');
        return n?.rejected?.version === bad && n;
      });
      expect(nack).toMatchObject({ appliedVersion: good, rejected: { version: bad, reason: expect.stringMatching(/^bad_signature: /) }, lastKnownGood: true, converged: false });

      // The watch goes on naming the refused version: control answers 304, not the bad body again.
      const after = mitm.snapshotRequests;
      await waitFor('two more snapshot polls', () => mitm.snapshotRequests >= after + 2, 15_000);
      expect(mitm.snapshotBodies.get(bad)).toBe(1);

      mitm.corrupt = false;
      const fixed = await control.push(basicPolicy(9084));
      await waitFor('the next good push', () => client.runtime()?.version === fixed);
      expect(client.status().rejected).toBeNull();
      expect(listened).toEqual([fixed]);
      await waitFor('the ACK after the NACK', async () => {
        const n = await node('nack-1');
        return n?.appliedVersion === fixed && n.rejected === null && !n.lastKnownGood;
      });
    } finally {
      await mitm.close();
    }
  });
});
