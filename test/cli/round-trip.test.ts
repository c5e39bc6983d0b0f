// The policy round trip against the REAL control Worker: `weft push` (dry run, invalid
// policy, If-Match), `history`, `rollback`, `status`, `push --wait` (ACK, NACK, timeout) and
// `join-token`, each run as a real `weft` process, plus what a user sees when the token is
// wrong or control is down.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicPolicy, deadPort, startControl, waitFor } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';
import { tempDir, weft } from '../fixtures/cli/weft.ts';
import type { WeftResult } from '../fixtures/cli/weft.ts';

let control: ControlHarness;
let dir: string;
let cleanup: () => Promise<void>;
/** The workload's JWT-SVID for control (default/reviews), to report status as a node would. */
let nodeToken: string;
const versions: string[] = [];

/** Runs `weft` in the temp folder, with no WEFT_* variables from the environment unless given. */
function run(args: string[], env: Record<string, string> = {}): Promise<WeftResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WEFT_') && !k.startsWith('GITHUB_')));
  return weft(args, { cwd: dir, env: { ...base, NO_COLOR: '1', ...env } });
}

const admin = () => ['--control', control.url, '--token', control.adminToken];

async function writePolicies(name: string, files: Record<string, string>): Promise<string> {
  await mkdir(join(dir, name), { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, name, file), text);
  return name;
}

async function report(body: Record<string, unknown>): Promise<void> {
  const res = await control.request('POST', '/v1/status', { token: nodeToken, body: { nodeId: 'node-a', kind: 'sidecar', ...body } });
  expect(res.status).toBe(204);
}

/** Starts `weft push --wait …`, waits for the push to land, and returns the new version and the running command. */
async function pushAndWait(folder: string, extra: string[]): Promise<{ version: string; result: Promise<WeftResult> }> {
  const before = await control.currentVersion();
  const result = run(['push', folder, '--wait', ...extra, ...admin()]);
  const version = await waitFor('the push to land', async () => {
    const now = await control.currentVersion();
    return now !== before ? now : undefined;
  });
  return { version: version as string, result };
}

beforeAll(async () => {
  // Nodes stay live for a minute: the node below reports by hand, not on a heartbeat.
  control = await startControl({ vars: { STATUS_STALE_AFTER_SECONDS: '60' } });
  ({ dir, cleanup } = await tempDir('weft-round-trip-'));
  for (const port of [9080, 9081, 9082, 9083, 9084]) await writePolicies(`v${port}`, basicPolicy(port));
  await writePolicies('broken', {
    ...basicPolicy(9085),
    'reviews.yaml': 'apiVersion: weft/v1\nkind: Service\nmetadata: { name: reviews }\nspec:\n  port: "not a port"\n',
  });
}, 120_000);

afterAll(async () => {
  await control?.close();
  await cleanup?.();
});

describe('weft join-token', () => {
  it('prints only the token, and the token gets SVIDs from control', async () => {
    const r = await run(['join-token', '--service', 'reviews', '--uses', '2', ...admin()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wjt_[A-Za-z0-9_-]+\n$/);
    expect(r.stderr).toContain('spiffe://weft.local/ns/default/sa/reviews');
    const res = await control.request('POST', '/v1/identity/svid', { token: r.stdout.trim(), body: {} });
    expect(res.status).toBe(200);
    nodeToken = ((await res.json()) as { controlToken: { token: string } }).controlToken.token;
    expect(nodeToken.split('.')).toHaveLength(3);
  });

  it('without --service is a usage error (exit 2)', async () => {
    const r = await run(['join-token', ...admin()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--service');
  });
});

describe('weft push, history, rollback', () => {
  it('the first push makes the policy current', async () => {
    const r = await run(['push', 'v9080', '--message', 'first', ...admin()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const current = await control.currentVersion();
    expect(current).toMatch(/^[0-9a-f]{64}$/);
    versions.push(current as string);
    expect(r.stdout).toContain(`pushed ${versions[0]?.slice(0, 12)} (previous: none)`);
    expect(r.stdout).toContain('+ Service default/reviews');
  });

  it('--dry-run prints the semantic diff and stores nothing', async () => {
    const r = await run(['push', 'v9081', '--dry-run', ...admin()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`dry run: would make `);
    expect(r.stdout).toContain(`(now ${versions[0]?.slice(0, 12)}); nothing was pushed`);
    expect(r.stdout).toContain('~ Service default/reviews');
    expect(r.stdout).toMatch(/0 added, 0 removed, 1 changed/);
    expect(await control.currentVersion()).toBe(versions[0]);
  });

  it('an invalid policy prints file:line:col errors, exits 1 and changes nothing', async () => {
    const r = await run(['push', 'broken', ...admin()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^broken\/reviews\.yaml:5:\d+: spec\.port: .+$/m);
    expect(r.stderr).toContain('nothing was pushed');
    expect(r.stdout).toBe('');
    expect(await control.currentVersion()).toBe(versions[0]);
  });

  it('a missing folder exits 1 naming it', async () => {
    const r = await run(['push', 'no-such-folder', ...admin()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no-such-folder:1:1: no such file or folder\nnothing was pushed');
  });

  it('the second push is based on the first (If-Match) and names it as previous', async () => {
    const r = await run(['push', 'v9081', '-m', 'second', ...admin()]);
    expect(r.status).toBe(0);
    const current = (await control.currentVersion()) as string;
    expect(current).not.toBe(versions[0]);
    versions.push(current);
    expect(r.stdout).toContain(`pushed ${current.slice(0, 12)} (previous: ${versions[0]?.slice(0, 12)})`);
    expect(r.stdout).toContain('~ Service default/reviews');
  });

  it('pushing the current policy again is "unchanged"', async () => {
    const r = await run(['push', 'v9081', ...admin()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`unchanged: ${versions[1]?.slice(0, 12)} is already current\n`);
  });

  it('history lists both pushes, newest first, the current one marked', async () => {
    const r = await run(['history', ...admin()]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s+VERSION\s+AT\s+ACTION\s+AUTHOR\s+MESSAGE$/);
    expect(lines[1]).toMatch(new RegExp(`^\\* {2}${versions[1]?.slice(0, 12)} .* push .* second$`));
    expect(lines[2]).toMatch(new RegExp(`^ {3}${versions[0]?.slice(0, 12)} .* push .* first$`));
    expect(lines).toHaveLength(3);
    const json = JSON.parse((await run(['history', '--json', ...admin()])).stdout) as { current: string; history: unknown[] };
    expect(json.current).toBe(versions[1]);
    expect(json.history).toHaveLength(2);
  });

  it('rollback with no version goes back to the previous one', async () => {
    const r = await run(['rollback', ...admin()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`rolled back: current is ${versions[0]?.slice(0, 12)} (was ${versions[1]?.slice(0, 12)})\n`);
    expect(await control.currentVersion()).toBe(versions[0]);
  });

  it('rollback to a version prefix from history', async () => {
    const r = await run(['rollback', (versions[1] as string).slice(0, 12), ...admin()]);
    expect(r.status).toBe(0);
    expect(await control.currentVersion()).toBe(versions[1]);
  });
});

describe('weft status and push --wait', () => {
  it('status shows a node that reported, converged on current', async () => {
    await report({ appliedVersion: versions[1] });
    const r = await run(['status', ...admin()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`current: ${versions[1]?.slice(0, 12)}`);
    expect(r.stdout).toMatch(/NODE\s+KIND\s+SERVICE\s+APPLIED\s+CONVERGED\s+LAST SEEN\s+REJECTED/);
    expect(r.stdout).toMatch(new RegExp(`^node-a\\s+sidecar\\s+default/reviews\\s+${versions[1]?.slice(0, 12)}\\s+yes\\s+\\d+s ago$`, 'm'));
  });

  it('push --wait succeeds once the live node ACKs the new version', async () => {
    const { version, result } = await pushAndWait('v9082', ['--timeout', '60s']);
    await report({ appliedVersion: version });
    const r = await result;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}node-a {2}sidecar {2}default\/reviews {2}applied after \d+\.\ds$/m);
    expect(r.stdout).toContain(`converged: 1 of 1 live node applied ${version.slice(0, 12)}`);
    versions.push(version);
  });

  it('push --wait fails with the reason when the node NACKs the new version', async () => {
    const { version, result } = await pushAndWait('v9083', ['--timeout', '60s']);
    await report({ appliedVersion: versions[2], rejected: { version, reason: 'listener port 9083 is already in use' } });
    const r = await result;
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`sidecar node-a (default/reviews) refused ${version.slice(0, 12)}: listener port 9083 is already in use`);
    const s = await run(['status', ...admin()]);
    expect(s.stdout).toMatch(new RegExp(`^node-a\\s+sidecar\\s+default/reviews\\s+${versions[2]?.slice(0, 12)}\\s+no\\s+.*${version.slice(0, 12)}: listener port 9083 is already in use$`, 'm'));
  });

  it('push --wait exits 4 naming the node when nobody applies it in time', async () => {
    const { version, result } = await pushAndWait('v9084', ['--timeout', '1s']);
    const r = await result;
    expect(r.status).toBe(4);
    expect(r.stderr).toContain(`timed out after 1s: 1 node did not apply ${version.slice(0, 12)}: node-a (sidecar, default/reviews`);
  });

  it('rollback --wait returns once the live node runs the restored version again', async () => {
    const target = versions[1] as string;
    const result = run(['rollback', target.slice(0, 12), '--wait', '--timeout', '60s', ...admin()]);
    await waitFor('the rollback to land', async () => ((await control.currentVersion()) === target ? true : undefined));
    await report({ appliedVersion: target });
    const r = await result;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`rolled back: current is ${target.slice(0, 12)}`);
    expect(r.stdout).toMatch(/^ {2}node-a {2}sidecar {2}default\/reviews {2}applied after \d+\.\ds$/m);
    expect(r.stdout).toContain(`converged: 1 of 1 live node applied ${target.slice(0, 12)}`);
  });
});

describe('tokens, reachability and flags', () => {
  it('a wrong token exits 1 with a message about the token', async () => {
    const r = await run(['history', '--control', control.url, '--token', 'not-the-token']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^weft: control at http:\/\/127\.0\.0\.1:\d+ refused the token \(401 unauthenticated\): the admin token is not valid/);
  });

  it('a read token may look but not push (403, exit 1)', async () => {
    expect((await run(['status', '--control', control.url, '--token', control.readToken])).status).toBe(0);
    const r = await run(['push', 'v9080', '--control', control.url, '--token', control.readToken]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refused the token (403 forbidden)');
  });

  it('WEFT_CONTROL and WEFT_ADMIN_TOKEN are the defaults', async () => {
    const r = await run(['history'], { WEFT_CONTROL: control.url, WEFT_ADMIN_TOKEN: control.adminToken });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(versions[0]?.slice(0, 12));
  });

  it('without a token flag or variable, the admin token `weft control` wrote under .weft/control/ is used', async () => {
    const missing = await run(['history', '--control', control.url]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no admin token');
    await mkdir(join(dir, '.weft/control'), { recursive: true });
    await writeFile(join(dir, '.weft/control/admin-token'), `${control.adminToken}\n`);
    const r = await run(['history', '--control', control.url]);
    expect(r.status).toBe(0);
  });

  it('unreachable control exits 1 naming the URL', async () => {
    const url = `http://127.0.0.1:${await deadPort()}`;
    const r = await run(['status', '--control', url, '--token', 'x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot reach control at ${url}`);
  });

  it('bad flag values are usage errors (exit 2)', async () => {
    expect((await run(['push', 'v9080', '--wait', '--timeout', 'soon', ...admin()])).status).toBe(2);
    expect((await run(['join-token', '--service', 'reviews', '--uses', 'many', ...admin()])).status).toBe(2);
    expect((await run(['status', '--control', 'not a url', '--token', 'x'])).status).toBe(2);
    expect((await run(['history', '--bogus', ...admin()])).status).toBe(2);
  });

  it.each(['push', 'rollback', 'history', 'status', 'join-token'])('%s --help exits 0 and shows --control and --token', async (command) => {
    const r = await run([command, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: weft ${command} `));
    expect(r.stdout).toContain('--control <url>');
    expect(r.stdout).toContain('--token <token>');
  });
});
