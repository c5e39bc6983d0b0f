// Test support for the control Worker (runs inside workerd): admin headers, a small valid
// policy set, and push/get helpers that go through the real HTTP API.
import { env, SELF } from 'cloudflare:test';

const testEnv = env as unknown as { TEST_ADMIN_TOKEN: string; TEST_READ_TOKEN: string };

export const ADMIN = testEnv.TEST_ADMIN_TOKEN;
export const READER = testEnv.TEST_READ_TOKEN;

export function auth(token: string = ADMIN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export const BASE = 'https://control.test';

export function policyFiles(weightV1 = 90): Record<string, string> {
  return {
    'mesh.yaml': 'apiVersion: weft/v1\nkind: Mesh\nmetadata: { name: weft }\nspec:\n  trustDomain: weft.local\n',
    'reviews.yaml': [
      'apiVersion: weft/v1',
      'kind: Service',
      'metadata: { name: reviews }',
      'spec:',
      '  port: 9080',
      '  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]',
      '---',
      'apiVersion: weft/v1',
      'kind: Route',
      'metadata: { name: reviews }',
      'spec:',
      '  mesh: { services: [reviews] }',
      '  rules:',
      '    - backends:',
      `        - { service: reviews, subset: v1, weight: ${weightV1} }`,
      `        - { service: reviews, subset: v2, weight: ${100 - weightV1} }`,
      '',
    ].join('\n'),
  };
}

export interface PushOptions {
  ifMatch?: string | null;
  dryRun?: boolean;
  token?: string;
  metadata?: Record<string, string>;
}

export function push(files: Record<string, string>, options: PushOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...auth(options.token) };
  if (options.ifMatch) headers['if-match'] = `"${options.ifMatch}"`;
  return SELF.fetch(`${BASE}/v1/snapshot${options.dryRun ? '?dryRun=1' : ''}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ files, metadata: options.metadata ?? { commit: 'abc123', author: 'dev@example.com' } }),
  });
}

/** Pushes and returns the new version (fails the test on anything but 201). */
export async function pushOk(files: Record<string, string>, options: PushOptions = {}): Promise<string> {
  const res = await push(files, options);
  const body = (await res.json()) as { version: string };
  if (res.status !== 201) throw new Error(`push failed: ${res.status} ${JSON.stringify(body)}`);
  return body.version;
}

export function getSnapshot(headers: Record<string, string> = {}, query = ''): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/snapshot${query}`, { headers: { ...auth(READER), ...headers } });
}

export async function currentVersion(): Promise<string | null> {
  const res = await getSnapshot();
  if (res.status === 404) return null;
  return res.headers.get('weft-snapshot-version');
}

export function post(path: string, body: unknown, headers: Record<string, string> = auth()): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

export async function joinToken(service: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await post('/v1/identity/join-tokens', { service, ...extra });
  if (res.status !== 201) throw new Error(`join token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export interface SvidBody {
  spiffeId: string;
  controlToken: { token: string; expiresAt: string };
  jwtSvids: { audience: string; token: string; expiresAt: string }[];
  x509Svid?: { certificatePem: string; expiresAt: string; serialNumber: string };
  bundle: { trustDomain: string; jwks: { keys: [] }; x509Authorities: string[] };
}

export function requestSvid(bearer: string, body: Record<string, unknown> = {}): Promise<Response> {
  return post('/v1/identity/svid', body, { authorization: `Bearer ${bearer}` });
}

/** Joins `service` and returns its SVIDs (the controlToken is what the workload talks to control with). */
export async function joinAs(service: string, body: Record<string, unknown> = {}): Promise<SvidBody> {
  const res = await requestSvid(await joinToken(service), body);
  if (res.status !== 200) throw new Error(`svid: ${res.status} ${await res.text()}`);
  return (await res.json()) as SvidBody;
}

export const CONTROL_ID = 'spiffe://weft.local/ns/weft-system/sa/control';
