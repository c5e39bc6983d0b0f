// `weft push [paths…]`: sends the policy files to control (PUT /v1/snapshot, based on the
// current version with If-Match), or only shows what would change (--dry-run); with --wait,
// follows the new version until every live node applied it, one refused it, or time ran out.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { formatSemanticDiff } from '../../core/diff/semantic-diff.ts';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { ControlApiError, controlApi, controlFailure, invalidPolicyLines, pushSnapshot, shortVersion, withControlOptions } from '../control-api.ts';
import type { ControlFlags, PushAnswer } from '../control-api.ts';
import { CliError, EXIT_INVALID } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { readPolicyTexts } from '../policy-files.ts';
import { exitAfterWaiting, waitTimeoutMs, withWaitOptions } from '../wait-for-nodes.ts';
import type { WaitFlags } from '../wait-for-nodes.ts';

interface PushFlags extends ControlFlags, WaitFlags {
  dryRun?: boolean;
  message?: string;
  author?: string;
  commit?: string;
  json?: boolean;
}

/** `{ file name: YAML text }` for every policy file the paths name, or the io errors. */
async function readFiles(paths: string[], io: Io): Promise<Record<string, string> | undefined> {
  const { texts, errors } = await readPolicyTexts(paths);
  for (const e of errors) io.err(`${formatPolicyError(e)}\n`);
  return errors.length > 0 ? undefined : texts;
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

async function push(paths: string[], opts: PushFlags, io: Io): Promise<void> {
  const timeoutMs = waitTimeoutMs(opts);
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
    else answer = await pushSnapshot(api, body);
  } catch (e) {
    const lines = invalidPolicyLines(e);
    if (lines) {
      for (const line of lines) io.err(`${line}\n`);
      io.err(`${lines.length} error${lines.length === 1 ? '' : 's'}; nothing was pushed\n`);
      io.exit(EXIT_INVALID);
      return;
    }
    if (e instanceof ControlApiError && (e.status === 409 || e.status === 428))
      throw new CliError(`someone else pushed while this push was on its way (${e.message}); nothing was pushed. Look at \`weft history\`, then push again`, EXIT_INVALID);
    throw controlFailure(e, 'push failed');
  }

  if (!opts.json) for (const w of answer.warnings ?? []) io.err(`warning: ${w}\n`);
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
  await exitAfterWaiting(api, answer.version, { ...opts, wait: opts.wait && !opts.dryRun }, timeoutMs, io);
}

export function registerPush(program: Command, io: Io): void {
  const command = program
    .command('push')
    .description('Push policy files to the control plane (validated, compiled and signed there) and make them current.')
    .argument('[paths...]', 'policy files or folders (walked recursively for *.yaml, *.yml)', [])
    .option('--dry-run', 'show the semantic diff against the current version; store nothing');
  withControlOptions(
    withWaitOptions(command, 'the new version')
      .option('-m, --message <text>', 'a message stored with the snapshot (shown by `weft history`)')
      .option('--author <name>', 'author stored with the snapshot (default: $GITHUB_ACTOR or your user name)')
      .option('--commit <sha>', 'commit stored with the snapshot (default: $GITHUB_SHA)')
      .option('--json', 'print control’s answer as JSON'),
  ).action((paths: string[], opts: PushFlags) => push(paths, opts, io));
}
