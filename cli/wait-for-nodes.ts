// `--wait` for `weft push` and `weft rollback`: follows a version's convergence until every live
// node applied it (exit 0), one refused it (exit 1, with its reason) or time ran out (exit 4,
// naming the nodes still behind). One line per node as it applies, with the time it took.
import type { Command } from 'commander';
import { parseDuration } from '../core/policy/shared/duration.ts';
import { controlFailure, shortVersion } from './control-api.ts';
import type { ControlApi, Convergence } from './control-api.ts';
import { CliError, EXIT_INVALID, EXIT_OK, EXIT_USAGE, EXIT_WAIT_TIMEOUT } from './exit-codes.ts';
import type { Io } from './io.ts';

const POLL_MS = 500;

export interface WaitFlags {
  wait?: boolean;
  timeout: string;
}

/** Adds --wait and --timeout to a command. */
export function withWaitOptions(command: Command, what: string): Command {
  return command
    .option('--wait', `wait until every live node applied ${what} (exit 1 if one refused it, 4 on timeout)`)
    .option('--timeout <duration>', 'how long --wait waits', '60s');
}

/** --timeout in milliseconds; a usage error when it is not a positive duration. */
export function waitTimeoutMs(opts: WaitFlags): number {
  const ms = parseDuration(opts.timeout);
  if (ms === undefined || ms <= 0) throw new CliError(`--timeout must be a duration such as 60s or 5m, got "${opts.timeout}"`, EXIT_USAGE);
  return ms;
}

/** Polls convergence of `version` until done; returns the exit code. With `json`, progress goes to stderr. */
export async function waitForNodes(api: ControlApi, version: string, timeoutMs: number, io: Io, json: boolean): Promise<number> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const ackedAt = new Map<string, number>();
  const say = (line: string) => (json ? io.err(line) : io.out(line));
  if (!json) say(`waiting up to ${timeoutMs / 1000}s for live nodes to apply ${shortVersion(version)}…\n`);
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

/** Ends a push or rollback: exit 0 at once without --wait, else the exit code of waiting for `version`. */
export async function exitAfterWaiting(api: ControlApi, version: string, opts: WaitFlags & { json?: boolean }, timeoutMs: number, io: Io): Promise<void> {
  if (!opts.wait) {
    io.exit(EXIT_OK);
    return;
  }
  try {
    io.exit(await waitForNodes(api, version, timeoutMs, io, opts.json === true));
  } catch (e) {
    throw controlFailure(e, 'waiting for convergence failed');
  }
}
