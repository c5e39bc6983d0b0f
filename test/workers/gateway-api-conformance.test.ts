// The Gateway API conformance cases (test/conformance/gateway-api/) against the real gateway
// Worker in workerd: each group's policy pushed through the real control Worker, each request
// through the gateway (SELF) to the echo backends on 127.0.0.1 (test/support/upstream-server.ts,
// started by the workers project's global setup). Workers cannot set a subrequest's Host
// (docs/gateway.md#platform-limits): the host a backend was sent is read from the
// X-Forwarded-Host the gateway sets for it.
import { expect } from 'vitest';
import type { CapturedRequest } from '../conformance/gateway-api/compare-round-trip.ts';
import { describeGatewayApiConformance } from '../conformance/gateway-api/conformance-suite.ts';
import type { ConformancePlane, PlaneAnswer, PlaneRequest } from '../conformance/gateway-api/conformance-suite.ts';
import { GATEWAY_API_GROUPS } from '../conformance/gateway-api/index.ts';
import { INFRA_BACKENDS } from '../conformance/gateway-api/policy.ts';
import { gatewayVersion, gw, pushPolicy, testEnv } from './gateway-support.ts';

const bindings = testEnv as unknown as Record<string, string>;
const ports = Object.fromEntries(INFRA_BACKENDS.map((name) => [name, Number(bindings[`UPSTREAM_${name.toUpperCase().replaceAll('-', '_')}_PORT`])]));

interface Echo {
  upstream: string;
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
}

function echoed(body: string, contentType: string | null): CapturedRequest | null {
  if (contentType !== 'application/json' || body === '') return null;
  const e = JSON.parse(body) as Partial<Echo>;
  if (typeof e.upstream !== 'string' || !e.headers || typeof e.url !== 'string') return null;
  const headers = Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
  return { backend: e.upstream, method: e.method ?? '', path: e.url, host: headers['x-forwarded-host'] ?? '', headers };
}

let applied = '';

const gateway: ConformancePlane = {
  name: 'gateway',
  ports,
  async apply(documents) {
    const key = JSON.stringify(documents);
    if (key === applied) return;
    const version = await pushPolicy(...documents).catch((e: unknown) => {
      // Control's refusal lists one positioned error per line: show those, not the whole JSON.
      const lines = /"lines":(\[.*?\])\}/.exec(String(e))?.[1];
      throw new Error(`policy refused: ${lines ? (JSON.parse(lines) as string[]).join('; ') : String(e)}`);
    });
    expect(await gatewayVersion(version)).toBe(version);
    applied = key;
  },
  async roundTrip(r: PlaneRequest): Promise<PlaneAnswer> {
    const url = `${r.scheme}://${r.authority}${r.path}`;
    const res = await gw(url, { method: r.method, headers: r.headers, redirect: 'manual' });
    const body = await res.text();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => (headers[name] = value));
    return { url, response: { status: res.status, headers }, seen: echoed(body, res.headers.get('content-type')) };
  },
  async mirrored(backend, url, count) {
    const res = await fetch(`http://127.0.0.1:${ports[backend]}/__await?url=${encodeURIComponent(url)}&count=${count}&timeoutMs=5000`);
    return ((await res.json()) as { count: number }).count;
  },
};

describeGatewayApiConformance(() => gateway, GATEWAY_API_GROUPS, 'gateway');
