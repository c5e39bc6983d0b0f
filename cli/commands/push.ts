// `weft push [paths…]`: sends the policy files to control (PUT /v1/snapshot, based on the
// current version with If-Match), or only shows what would change (--dry-run); with --wait,
// follows the new version until every live node applied it, one refused it, or time ran out.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { formatSemanticDiff } from '../../core/diff/semantic-diff.ts';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { parseDuration } from '../../core/policy/shared/duration.ts';
import { ControlApiError, controlApi, controlFailure, shortVersion, withControlOptions } from '../control-api.ts';
import type { ControlApi, ControlFlags, Convergence, PushAnswer } from '../control-api.ts';
import { CliError, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { readPolicySources } from '../policy-files.ts';
import { EXIT_WAIT_TIMEOUT } from '../exit-codes.ts';

const POLL_MS = 500;

interface PushFlags extends ControlFlags {
  dryRun?: boolean;
  wait?: boolean;
  timeout: string;
  message?: string;
  author?: string;
  commit?: string;
  json?: boolean;
}

/** `{ file name: YAML text }` for every policy file the paths name, or the io errors. */
async function readFiles(paths: string[], io: Io): Promise<Record<string, string> | undefined> {
  const sources = await readPolicySources(paths);
  const ioErrors = sources.errors.filter((e) => e.code === 'io');
  if (ioErrors.length > 0) {
    for (const e of ioErrors) io.err(`${formatPolicyError(e)}\n`);
    return undefined;
  }
  const files: Record<string, string> = {};
  for (const name of sources.files) files[name] = await readFile(name, 'utf8');
  return files;
}

async function currentVersion(api: ControlApi): Promise<string | null> {
  const res = await api.call<{ current: string | null }>('GET', '/v1/snapshots?limit=1');
  return res.body.current;
}

function metadata(opts: PushFlags): Record<string, string> {
  const author = opts.author ?? process.env.GITHUB_ACTOR ?? safeUser();
  const commit = opts.commit ?? process.env.GITHUB_SHA;
  return { ...(opts.message ? { message: opts.message } : {}), ...(author ? { author } : {}), ...(commit ? { commit } : {}) };
}

function safeUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** Polls convergence until done; returns the exit code. */
async function waitForNodes(api: ControlApi, version: string, timeoutMs: number, io: Io, json: boolean): Promise<number> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const ackedAt = new Map<string, number>();
  const say = (line: string) => (json ? io.err(line) : io.out(line));
  for (;;) {
    const c = (await api.call<Convergence>('GET', `/v1/snapshot/${version}/convergence`)).body;
    for (const n of c.acked) {
      if (ackedAt.has(n.nodeId)) continue;
      const seconds = (Date.now() - started) / 1000;
      ackedAt.set(n.nodeId, seconds);
      say(`  ${n.nodeId}  ${n.kind}  ${n.service}  applied after ${seconds.toFixed(1)}s\n`);
    }
    const nack = c.nacked[0];
    if (nack) {
      io.err(`weft: ${nack.kind} ${nack.nodeId} (${nack.service}) refused ${shortVersion(version)}: ${nack.reason}\n`);
      return EXIT_INVALID;
    }
    if (c.liveNodes === 0) {
      io.err(`weft: no live nodes report to control; nothing to wait for\n`);
      return EXIT_OK;
    }
    if (c.converged) {
      say(`converged: ${c.acked.length} of ${c.liveNodes} live node${c.liveNodes === 1 ? '' : 's'} applied ${shortVersion(version)}\n`);
      return EXIT_OK;
    }
    if (Date.now() >= deadline) {
      const waiting = c.pending.map((n) => `${n.nodeId} (${n.kind}, ${n.service}, at ${shortVersion(n.appliedVersion)})`).join(', ');
      io.err(`weft: timed out after ${timeoutMs / 1000}s: ${c.pending.length} node${c.pending.length === 1 ? '' : 's'} did not apply ${shortVersion(version)}: ${waiting}\n`);
      return EXIT_WAIT_TIMEOUT;
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

async function push(paths: string[], opts: PushFlags, io: Io): Promise<void> {
  const timeoutMs = parseDuration(opts.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new CliError(`--timeout must be a duration such as 60s or 5m, got "${opts.timeout}"`, EXIT_USAGE);
  const api = await controlApi(opts);
  const files = await readFiles(paths.length > 0 ? paths : ['policies'], io);
  if (!files) {
    io.err('nothing was pushed\n');
    io.exit(EXIT_INVALID);
    return;
  }
  const body = { files, metadata: metadata(opts) };
  let answer: PushAnswer;
  try {
    if (opts.dryRun) answer = (await api.call<PushAnswer>('PUT', '/v1/snapshot?dryRun=1', { body })).body;
    else {
      const base = await currentVersion(api);
      answer = (await api.call<PushAnswer>('PUT', '/v1/snapshot', { body, headers: base ? { 'if-match': `"${base}"` } : {} })).body;
    }
  } catch (e) {
    if (e instanceof ControlApiError && e.code === 'invalid_policy') {
      const lines = Array.isArray(e.details?.lines) ? (e.details.lines as string[]) : [e.message];
      for (const line of lines) io.err(`${line}\n`);
      io.err(`${lines.length} error${lines.length === 1 ? '' : 's'}; nothing was pushed\n`);
      io.exit(EXIT_INVALID);
      return;
    }
    if (e instanceof ControlApiError && (e.status === 409 || e.status === 428))
      throw new CliError(`someone else pushed while this push was on its way (${e.message}); nothing was pushed. Look at \`weft history\`, then push again`, EXIT_INVALID);
    throw controlFailure(e, 'push failed');
  }

  if (opts.json) io.out(`${JSON.stringify(answer, null, 2)}\n`);
  else if (opts.dryRun)
    io.out(
      answer.unchanged
        ? `dry run: no changes, ${shortVersion(answer.version)} is already current\n`
        : `dry run: would make ${shortVersion(answer.version)} current (now ${answer.previous ? shortVersion(answer.previous) : 'none'}); nothing was pushed\n\n${formatSemanticDiff(answer.diff)}`,
    );
  else
    io.out(
      answer.unchanged
        ? `unchanged: ${shortVersion(answer.version)} is already current\n`
        : `pushed ${shortVersion(answer.version)} (previous: ${answer.previous ? shortVersion(answer.previous) : 'none'})\n\n${formatSemanticDiff(answer.diff)}`,
    );
  if (opts.dryRun || !opts.wait) {
    io.exit(EXIT_OK);
    return;
  }
  if (!opts.json) io.out(`waiting up to ${timeoutMs / 1000}s for live nodes to apply ${shortVersion(answer.version)}…\n`);
  try {
    io.exit(await waitForNodes(api, answer.version, timeoutMs, io, opts.json === true));
  } catch (e) {
    throw controlFailure(e, 'waiting for convergence failed');
  }
}

export function registerPush(program: Command, io: Io): void {
  withControlOptions(
    program
      .command('push')
      .description('Push policy files to the control plane (validated, compiled and signed there) and make them current.')
      .argument('[paths...]', 'policy files or folders (walked recursively for *.yaml, *.yml)', [])
      .option('--dry-run', 'show the semantic diff against the current version; store nothing')
      .option('--wait', 'wait until every live node applied the new version (exit 1 if one refused it, 4 on timeout)')
      .option('--timeout <duration>', 'how long --wait waits', '60s')
      .option('-m, --message <text>', 'a message stored with the snapshot (shown by `weft history`)')
      .option('--author <name>', 'author stored with the snapshot (default: $GITHUB_ACTOR or your user name)')
      .option('--commit <sha>', 'commit stored with the snapshot (default: $GITHUB_SHA)')
      .option('--json', 'print control’s answer as JSON'),
  ).action((paths: string[], opts: PushFlags) => push(paths, opts, io));
}
