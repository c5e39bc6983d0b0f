// The sidecar as a real process (sidecar/main.ts) beside a real app, against the real control
// Worker: SIGTERM while slow requests are in flight lets every one finish with 200, refuses new
// connections, deregisters the endpoint in control and exits 0; a second signal exits at once;
// a bad join token exits 1 with a clear message; `weft sidecar` runs the same thing.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { basicPolicy, startControl } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';
import { startOtlpCollector } from '../support/otlp-collector.ts';
import type { CollectedSpan } from '../support/otlp-collector.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';
import { readySidecar, spawnSidecar, stopProcess, until } from './process-support.ts';
import type { RunningSidecar } from './process-support.ts';

const MAIN = [process.execPath, 'sidecar/main.ts'];
const SLOW_MS = 1500;

let control: ControlHarness;
let app: UpstreamServer;
const dirs: string[] = [];
const running: RunningSidecar[] = [];

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'weft-sidecar-proc-'));
  dirs.push(d);
  return d;
}

/** A GET through the sidecar's outbound listener, as the app makes it (`Host: reviews`), on a fresh connection. */
function viaOutbound(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'reviews' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

async function appHits(path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${app.port}/__hits`);
  return ((await res.json()) as Record<string, number>)[path] ?? 0;
}

async function registered(instanceId: string): Promise<boolean> {
  const doc = await control.endpoints();
  return (doc.endpoints['default/reviews'] ?? []).some((e) => e.instanceId === instanceId);
}

/** Whether the sidecar's own endpoints view (admin /endpoints) lists `instanceId` under reviews. */
async function seesItself(adminPort: number, instanceId: string): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/endpoints`);
  if (res.status !== 200) return false;
  const doc = (await res.json()) as { services: { service: string; instances: { instanceId: string }[] }[] };
  return doc.services.some((s) => s.service === 'default/reviews' && s.instances.some((i) => i.instanceId === instanceId));
}

beforeAll(async () => {
  control = await startControl();
  await control.push(basicPolicy());
  app = await startUpstream('reviews');
}, 60_000);

afterEach(async () => {
  for (const s of running.splice(0)) await stopProcess(s.child);
});

afterAll(async () => {
  await app?.close();
  await control?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(instanceId: string, command = MAIN, extra: Record<string, string> = {}): Promise<RunningSidecar> {
  const s = await readySidecar(command, {
    service: 'reviews',
    'app-port': String(app.port),
    control: control.url,
    'join-token': await control.joinToken('reviews'),
    'state-dir': stateDir(),
    'instance-id': instanceId,
    ...extra,
  });
  running.push(s);
  await until('endpoint registered in control', async () => ((await registered(instanceId)) ? true : undefined));
  // The sidecar learns of its own registration by its endpoints long poll, a moment after
  // control does. Until then its view of reviews may hold only an endpoint a previous test
  // killed without deregistering (it lasts out its 30 s TTL), and a request would go there.
  await until('the sidecar sees its own endpoint', () => seesItself(s.ports.admin, instanceId));
  return s;
}

describe('sidecar process', () => {
  it('SIGTERM drains: in-flight requests finish with 200, new connections are refused, the endpoint is deregistered, exit 0', async () => {
    const s = await start('reviews-drain-1');
    const path = `/slow/${SLOW_MS}`;
    const before = await appHits(path);
    const inFlight = [0, 1, 2].map(() => viaOutbound(s.ports.outbound, path));
    // All three have reached the app (through outbound, then inbound) and are waiting on it.
    await until('3 slow requests at the app', async () => ((await appHits(path)) - before >= 3 ? true : undefined));

    process.kill(s.child.pid as number, 'SIGTERM');
    await until('outbound listener closed', async () => ((await refused(s.ports.outbound)) ? true : undefined));
    expect(await refused(s.ports.inbound)).toBe(true);

    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of results) expect(JSON.parse(r.body)).toMatchObject({ upstream: 'reviews', url: path });

    expect(await s.exited).toBe(0);
    // The registration's TTL is 30 s: gone right after exit means it was deregistered.
    expect(await registered('reviews-drain-1')).toBe(false);
    expect(s.stderr()).toContain('"msg":"draining"');
    expect(s.stderr()).toContain('"msg":"stopped"');
  });

  it('a second signal exits at once, without waiting for the drain', async () => {
    const s = await start('reviews-twice-1');
    const path = '/slow/20000';
    const before = await appHits(path);
    const slow = viaOutbound(s.ports.outbound, path).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    await until('slow request at the app', async () => ((await appHits(path)) > before ? true : undefined));
    process.kill(s.child.pid as number, 'SIGTERM');
    await until('draining', async () => (s.stderr().includes('"msg":"draining"') ? true : undefined));
    process.kill(s.child.pid as number, 'SIGTERM');
    expect(await s.exited).toBe(143);
    expect(s.stderr()).toContain('SIGTERM again, exiting without draining');
    expect(await slow).not.toBe(200);
  });

  it('a bad join token exits 1 with a clear message on stderr', async () => {
    const s = spawnSidecar(MAIN, { service: 'reviews', 'app-port': String(app.port), control: control.url, 'join-token': 'wjt_not-a-real-token', 'state-dir': stateDir(), 'instance-id': 'reviews-bad-1' });
    s.started.catch(() => undefined);
    expect(await s.exited).toBe(1);
    const stderr = await s.started.then(
      () => '',
      (e: Error) => e.message,
    );
    expect(stderr).toContain('weft-sidecar: cannot start:');
    expect(stderr).toContain('control refused the join token');
  });

  it('no join token and no identity on disk exits 1 saying what is missing', async () => {
    const s = spawnSidecar(MAIN, { service: 'reviews', 'app-port': String(app.port), control: control.url, 'state-dir': stateDir(), 'instance-id': 'reviews-none-1' });
    expect(await s.exited).toBe(1);
    const stderr = await s.started.then(
      () => '',
      (e: Error) => e.message,
    );
    expect(stderr).toContain('weft-sidecar: cannot start:');
    expect(stderr).toMatch(/join token/i);
  });

  it('`weft sidecar` runs the same sidecar and drains on SIGTERM', async () => {
    const s = await start('reviews-cli-1', [process.execPath, 'bin/weft.js', 'sidecar']);
    const r = await viaOutbound(s.ports.outbound, '/hello');
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body).headers['x-weft-peer-id']).toBe('spiffe://weft.local/ns/default/sa/reviews');
    process.kill(s.child.pid as number, 'SIGTERM');
    expect(await s.exited).toBe(0);
    expect(await registered('reviews-cli-1')).toBe(false);
    // one access-log line per direction on stdout
    const lines = s.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { direction: string; path: string; status: number });
    expect(lines.filter((l) => l.path === '/hello').map((l) => [l.direction, l.status]).sort()).toEqual([['inbound', 200], ['outbound', 200]]);
  });

  it('with --otlp-endpoint, exports one span per request and direction in the request\'s trace', async () => {
    const collector = await startOtlpCollector();
    try {
      const s = await start('reviews-traced-1', MAIN, { 'otlp-endpoint': `http://127.0.0.1:${collector.port}` });
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const get = (path: string, headers: Record<string, string> = {}) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: s.ports.outbound, path, headers: { host: 'reviews', ...headers }, agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
      expect(await get('/traced', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` })).toBe(200);
      // Spans go out in batches about once a second, and on shutdown.
      const spans = await until('spans at the collector', async () => {
        const got = ((await (await fetch(`http://127.0.0.1:${collector.port}/__spans`)).json()) as { spans: CollectedSpan[] }).spans.filter((x) => x.traceId === traceId);
        return got.length >= 2 ? got : undefined;
      });
      expect(spans.map((x) => [x.name, x.kind]).sort()).toEqual([['sidecar.inbound', 2], ['sidecar.outbound', 3]]);
      // One tree: the caller's span → the outbound hop → the inbound hop (under the span id the
      // outbound sidecar sent on in traceparent).
      const outbound = spans.find((x) => x.name === 'sidecar.outbound');
      const inbound = spans.find((x) => x.name === 'sidecar.inbound');
      expect(outbound?.parentSpanId).toBe('00f067aa0ba902b7');
      expect(inbound?.parentSpanId).toBe(outbound?.spanId);
      for (const span of spans) {
        expect(span.serviceName).toBe('weft-sidecar/default/reviews');
        expect(span.attributes).toContainEqual({ key: 'url.path', value: { stringValue: '/traced' } });
        expect(span.attributes).toContainEqual({ key: 'http.response.status_code', value: { intValue: 200 } });
      }
      // The caller said unsampled (flags 00): nothing is recorded. No traceparent: the trace
      // starts here, sampled, so both hops record it.
      const unsampled = 'aaf92f3577b34da6a3ce929d0e0e4736';
      expect(await get('/unsampled', { traceparent: `00-${unsampled}-00f067aa0ba902b7-00` })).toBe(200);
      expect(await get('/started-here')).toBe(200);
      process.kill(s.child.pid as number, 'SIGTERM');
      expect(await s.exited).toBe(0);
      // Shutdown exported what was buffered.
      const all = ((await (await fetch(`http://127.0.0.1:${collector.port}/__spans`)).json()) as { spans: CollectedSpan[] }).spans;
      expect(all.filter((x) => x.traceId === unsampled || x.attributes.some((a) => a.key === 'url.path' && a.value.stringValue === '/unsampled'))).toEqual([]);
      const started = all.filter((x) => x.attributes.some((a) => a.key === 'url.path' && a.value.stringValue === '/started-here'));
      const root = started.find((x) => x.name === 'sidecar.outbound');
      expect(started.map((x) => x.name).sort()).toEqual(['sidecar.inbound', 'sidecar.outbound']);
      expect(root?.parentSpanId ?? '').toBe('');
      expect(started.find((x) => x.name === 'sidecar.inbound')).toMatchObject({ traceId: root?.traceId, parentSpanId: root?.spanId });
    } finally {
      await collector.close();
    }
  });
});
