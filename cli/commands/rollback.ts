// `weft rollback [version]`: makes a stored version current again (POST /v1/rollback); with
// no version, the one that was current before the current one (the newest history entry's
// `previous`). With --wait, follows the restored version until every live node applied it.
import type { Command } from 'commander';
import { controlApi, controlFailure, shortVersion, withControlOptions } from '../control-api.ts';
import type { ControlApi, ControlFlags } from '../control-api.ts';
import { CliError, EXIT_INVALID, EXIT_USAGE } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { exitAfterWaiting, waitTimeoutMs, withWaitOptions } from '../wait-for-nodes.ts';
import type { WaitFlags } from '../wait-for-nodes.ts';

interface HistoryAnswer {
  current: string | null;
  history: { version: string; previous: string | null }[];
}

/** A full version from a full one or from a prefix of one in the history (as `weft history` prints it). */
async function resolveTarget(api: ControlApi, given: string | undefined): Promise<string> {
  const { current, history } = (await api.call<HistoryAnswer>('GET', '/v1/snapshots?limit=200')).body;
  if (given === undefined) {
    const head = history[0];
    if (!current || !head || head.version !== current || !head.previous)
      throw new CliError('there is no previous version to roll back to (see `weft history`)', EXIT_INVALID);
    return head.previous;
  }
  if (/^[0-9a-f]{64}$/.test(given)) return given;
  if (!/^[0-9a-f]{4,63}$/.test(given)) throw new CliError(`a version is hex (64 characters, or a prefix of at least 4 from \`weft history\`), got "${given}"`, EXIT_USAGE);
  const matches = [...new Set(history.flatMap((h) => [h.version, h.previous]).filter((v): v is string => v !== null && v.startsWith(given)))];
  if (matches.length === 1) return matches[0] as string;
  throw new CliError(matches.length === 0 ? `no version in the history starts with ${given}` : `${given} names ${matches.length} versions; give more characters`, EXIT_INVALID);
}

export function registerRollback(program: Command, io: Io): void {
  const command = withControlOptions(
    program
      .command('rollback')
      .description('Make a stored snapshot version current again (default: the version before the current one).')
      .argument('[version]', 'the version to go back to: 64 hex characters, or a prefix from `weft history`')
      .option('--json', 'print control’s answer as JSON'),
  );
  withWaitOptions(command, 'the restored version').action(async (version: string | undefined, opts: ControlFlags & WaitFlags & { json?: boolean }) => {
    const timeoutMs = waitTimeoutMs(opts);
    const api = await controlApi(opts);
    let answer: { version: string; previous: string | null; unchanged: boolean };
    try {
      const target = await resolveTarget(api, version);
      answer = (await api.call<{ version: string; previous: string | null; unchanged: boolean }>('POST', '/v1/rollback', { body: { version: target } })).body;
    } catch (e) {
      throw controlFailure(e, 'rollback failed');
    }
    if (opts.json) io.out(`${JSON.stringify(answer, null, 2)}\n`);
    else if (answer.unchanged) io.out(`unchanged: ${shortVersion(answer.version)} is already current\n`);
    else io.out(`rolled back: current is ${shortVersion(answer.version)} (was ${shortVersion(answer.previous)})\n`);
    await exitAfterWaiting(api, answer.version, opts, timeoutMs, io);
  });
}
