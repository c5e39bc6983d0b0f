// `--wait` for `weft push` and `weft rollback`: follows a version's convergence until every live
// node applied it (exit 0), one refused it (exit 1, with its reason) or time ran out (exit 4,
// naming the nodes still behind). One line per node as it applies, with the time it took.
import type { Command } from 'commander';
import { parseDuration } from '../core/policy/shared/duration.ts';
import { controlFailure, shortVersion } from './control-api.ts';
import type { ControlApi, Convergence } from './control-api.ts';
import { CliError, EXIT_INVALID, EXIT_OK, EXIT_USAGE, EXIT_WAIT_TIMEOUT } from './exit-codes.ts';
import type { Io } from './io.ts';

export const POLL_MS = 500;

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

export interface FollowOptions {
  timeoutMs: number;
  /** Called before each poll (weft dev: an idle gateway isolate checks KV only when a request comes). */
  nudge?: () => Promise<unknown>;
  /** True once the follower should stop: no further poll. */
  stopped?: () => boolean;
  pollMs?: number;
}

/** One poll of a version's convergence. */
export interface ConvergencePoll {
  convergence: Convergence;
  /** Nodes of convergence.acked / .nacked no earlier poll yielded (a node is yielded once). */
  acked: Convergence['acked'];
  nacked: Convergence['nacked'];
  /** Seconds since following started. */
  seconds: number;
}

/**
 * Polls convergence of `version` every `pollMs` and yields each answer; the consumer stops when it
 * has what it needs. Ends by itself after the poll that finds `timeoutMs` passed (the last sleep
 * is cut to the deadline), or before a poll once `stopped()`. A failed call throws.
 */
export async function* followConvergence(api: ControlApi, version: string, options: FollowOptions): AsyncGenerator<ConvergencePoll, void, undefined> {
  const { timeoutMs, nudge, stopped = () => false, pollMs = POLL_MS } = options;
  const started = Date.now();
  const deadline = started + timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    await nudge?.();
    if (stopped()) return;
    const convergence = (await api.call<Convergence>('GET', `/v1/snapshot/${version}/convergence`)).body;
    const seconds = (Date.now() - started) / 1000;
    const acked = convergence.acked.filter((n) => !seen.has(n.nodeId));
    for (const n of acked) seen.add(n.nodeId);
    const nacked = convergence.nacked.filter((n) => !seen.has(n.nodeId));
    for (const n of nacked) seen.add(n.nodeId);
    yield { convergence, acked, nacked, seconds };
    if (Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}

/** Polls convergence of `version` until done; returns the exit code. With `json`, progress goes to stderr. */
async function waitForNodes(api: ControlApi, version: string, timeoutMs: number, io: Io, json: boolean): Promise<number> {
  const say = (line: string) => (json ? io.err(line) : io.out(line));
  if (!json) say(`waiting up to ${timeoutMs / 1000}s for live nodes to apply ${shortVersion(version)}…\n`);
  let last: Convergence | undefined;
  for await (const { convergence: c, acked, seconds } of followConvergence(api, version, { timeoutMs })) {
    last = c;
    for (const n of acked) say(`  ${n.nodeId}  ${n.kind}  ${n.service}  applied after ${seconds.toFixed(1)}s\n`);
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
  }
  // followConvergence ends without `stopped` only after a poll past the deadline.
  const pending = last?.pending ?? [];
  const waiting = pending.map((n) => `${n.nodeId} (${n.kind}, ${n.service}, at ${shortVersion(n.appliedVersion)})`).join(', ');
  io.err(`weft: timed out after ${timeoutMs / 1000}s: ${pending.length} node${pending.length === 1 ? '' : 's'} did not apply ${shortVersion(version)}: ${waiting}\n`);
  return EXIT_WAIT_TIMEOUT;
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
