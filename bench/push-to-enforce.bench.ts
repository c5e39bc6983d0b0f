// Push-to-enforce: how long after `weft push` every node of a running mesh enforces the new
// version. The mesh is `weft dev` (control and the gateway in workerd, six Bookinfo instances
// each beside its own sidecar) in a temp folder on free ports. 20 pushes, each a real change
// (a response header on the productpage route); per push, from just before PUT /v1/snapshot:
//   - accepted: control answered the PUT (validated, compiled, signed, stored) — the baseline;
//   - each sidecar's ACK and the gateway's ACK (control's convergence view, polled every 25 ms);
//   - seen at the edge: the first client response that carries the new header;
//   - all nodes: the last ACK.
// A client sends a request to the gateway every 50 ms: an idle gateway isolate checks KV only
// when a request arrives (weft dev sets SNAPSHOT_CHECK_SECONDS=1; production's default is 5).
//
//   npx node bench/push-to-enforce.bench.ts        (or: npm run bench -- push-to-enforce)
//
// Pushes start at random moments (0-1 s apart after the last converged), not in step with the
// gateway's check.
//
// Bounded: 20 pushes, each waited for at most 30 s; a watchdog ends the run if anything hangs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlApi, currentVersion, pushSnapshot } from '../cli/control-api.ts';
import type { Convergence } from '../cli/control-api.ts';
import { call, startDevMesh } from '../test/support/dev-mesh.ts';
import { quantile } from './support/run-lanes.ts';

const PUSHES = 20;
const PER_PUSH_CAP_MS = 30_000;
const WATCHDOG_MS = 240_000;

const watchdog = setTimeout(() => {
  console.error(`push-to-enforce: gave up after ${WATCHDOG_MS / 1000}s`);
  process.exit(1);
}, WATCHDOG_MS);

const mesh = await startDevMesh({ prefix: 'weft-bench-push-' });
const samples: Record<string, number[]> = { accepted: [] };
const add = (name: string, ms: number) => (samples[name] ??= []).push(ms);
try {
  console.log(`weft dev ready after ${(mesh.readyMs / 1000).toFixed(1)} s`);
  const api = await controlApi({ control: mesh.control, token: mesh.adminToken });
  const routesFile = join(mesh.dir, 'policies/bookinfo/routes.yaml');
  const original = await readFile(routesFile, 'utf8');
  const files = async (i: number) => {
    const text = original.replace('      backends:\n        - service: productpage\n    - name: login', `      backends:\n        - service: productpage\n      responseHeaders:\n        set: { x-bench-push: "${i}" }\n    - name: login`);
    if (text === original) throw new Error('routes.yaml changed: the bench cannot place its header');
    const out: Record<string, string> = {};
    for (const name of ['policies/mesh.yaml', 'policies/bookinfo/services.yaml', 'policies/bookinfo/access.yaml', 'policies/edge/api.yaml']) out[name] = await readFile(join(mesh.dir, name), 'utf8');
    out['policies/bookinfo/routes.yaml'] = text;
    return out;
  };
  // The edge client: the header value it last saw, and when.
  let lastSeen = { value: '', at: 0 };
  let clientRunning = true;
  const client = (async () => {
    while (clientRunning) {
      const res = await call(`${mesh.gateway}/productpage`, { headers: { host: 'bookinfo.example.com' } }).catch(() => undefined);
      const value = res?.headers['x-bench-push'];
      if (typeof value === 'string' && value !== lastSeen.value) lastSeen = { value, at: Date.now() };
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  let incomplete = 0;
  for (let i = 1; i <= PUSHES; i++) {
    // A random pause, so pushes do not fall in step with the gateway's once-a-second check.
    await new Promise((r) => setTimeout(r, Math.random() * 1000));
    const current = await currentVersion(api);
    const t0 = Date.now();
    const answer = await pushSnapshot(api, { files: await files(i), metadata: { author: 'bench', message: `push ${i}` } }, current);
    add('accepted', Date.now() - t0);
    const acked = new Map<string, number>();
    let seenAt: number | undefined;
    let done = false;
    while (Date.now() - t0 < PER_PUSH_CAP_MS) {
      const c = (await api.call<Convergence>('GET', `/v1/snapshot/${answer.version}/convergence`)).body;
      const now = Date.now();
      for (const n of c.acked) if (!acked.has(n.nodeId)) acked.set(n.nodeId, now - t0);
      if (c.nacked.length > 0) throw new Error(`push ${i} refused: ${JSON.stringify(c.nacked)}`);
      if (seenAt === undefined && lastSeen.value === String(i)) seenAt = lastSeen.at - t0;
      if (c.converged && seenAt !== undefined) {
        done = true;
        for (const n of c.acked) add(n.kind === 'gateway' ? 'gateway ACK' : 'sidecar ACK (each of 6)', acked.get(n.nodeId) as number);
        add('all nodes ACK', Math.max(...acked.values()));
        add('seen at the edge', seenAt);
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (!done) incomplete++;
  }
  clientRunning = false;
  await client;

  console.log(`\n${PUSHES} pushes to a running mesh (control, gateway, 6 sidecars), ms from the push${incomplete ? `; ${incomplete} did not converge within ${PER_PUSH_CAP_MS / 1000}s` : ''}:`);
  const base = quantile([...(samples.accepted as number[])].sort((a, b) => a - b), 0.5);
  console.log('  what                       n    p50     p99    p50 ÷ accepted');
  for (const [name, values] of Object.entries(samples)) {
    const sorted = [...values].sort((a, b) => a - b);
    const p50 = quantile(sorted, 0.5);
    console.log(`  ${name.padEnd(25)} ${String(sorted.length).padStart(3)} ${p50.toFixed(0).padStart(6)} ${quantile(sorted, 0.99).toFixed(0).padStart(7)}    ${(p50 / base).toFixed(1)}×`);
  }
} finally {
  clearTimeout(watchdog);
  await mesh.interrupt().catch(() => undefined);
  await mesh.dispose();
}
