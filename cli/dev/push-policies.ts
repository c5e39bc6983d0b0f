// `weft dev`'s policy loop: validate policies/ here, push to control (If-Match the current
// version), show the semantic diff, then one line per node as it applies the new version (or
// refuses it). Invalid files print their errors and push nothing.
import { formatSemanticDiff } from '../../core/diff/semantic-diff.ts';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { compilePaths } from '../compile-sources.ts';
import type { CompiledSources } from '../compile-sources.ts';
import { invalidPolicyLines, pushSnapshot, shortVersion } from '../control-api.ts';
import type { ControlApi } from '../control-api.ts';
import { followConvergence, POLL_MS } from '../wait-for-nodes.ts';
import type { FollowOptions } from '../wait-for-nodes.ts';

export type PushOutcome = { ok: true; version: string; unchanged: boolean } | { ok: false };

/**
 * Validates and pushes `dir`; prints what happened with `say`. Never throws for a user's mistake.
 * `precompiled`: `dir` as compilePaths already read it (weft dev's start-up check), not read again.
 */
export async function validateAndPush(api: ControlApi, dir: string, say: (line: string) => void, precompiled?: CompiledSources): Promise<PushOutcome> {
  const compiled = precompiled ?? (await compilePaths([dir]));
  if (!compiled.ok) {
    for (const e of compiled.errors) say(formatPolicyError(e));
    say(`${compiled.errors.length} error${compiled.errors.length === 1 ? '' : 's'} in ${dir}/; nothing was pushed`);
    return { ok: false };
  }
  for (const w of compiled.warnings) say(`warning: ${formatPolicyError(w)}`);
  const files = compiled.texts;
  try {
    const answer = await pushSnapshot(api, { files, metadata: { author: 'weft dev', message: `weft dev: ${dir}/` } });
    if (answer.unchanged) say(`policies unchanged: ${shortVersion(answer.version)} is current`);
    else {
      say(`pushed ${shortVersion(answer.version)} (previous: ${answer.previous ? shortVersion(answer.previous) : 'none'})`);
      const diff = formatSemanticDiff(answer.diff).trimEnd();
      if (diff) say(diff);
    }
    return { ok: true, version: answer.version, unchanged: answer.unchanged };
  } catch (e) {
    const lines = invalidPolicyLines(e);
    if (lines) {
      for (const line of lines) say(line);
      say('control refused the policies; nothing was pushed');
      return { ok: false };
    }
    say(`push failed: ${(e as Error).message}`);
    return { ok: false };
  }
}

/** `stopped`: true once weft dev is stopping. timeoutMs defaults to 30 s. */
type ConvergenceOptions = Partial<Omit<FollowOptions, 'pollMs'>>;

/** Follows convergence of `version` (bounded), one line per node as it applies or refuses it. */
export async function reportConvergence(api: ControlApi, version: string, say: (line: string) => void, options: ConvergenceOptions = {}): Promise<boolean> {
  const { timeoutMs = 30_000, nudge, stopped = () => false } = options;
  let timedOut = false;
  try {
    for await (const { convergence: c, acked, nacked, seconds } of followConvergence(api, version, { timeoutMs, nudge, stopped, pollMs: POLL_MS })) {
      for (const n of acked) say(`  ✓ ${n.nodeId}  ${n.kind}  ${n.service}  applied after ${seconds.toFixed(1)}s`);
      for (const n of nacked) say(`  ✗ ${n.nodeId}  ${n.kind}  ${n.service}  refused it: ${n.reason}`);
      if (c.converged || (c.liveNodes > 0 && c.pending.length === 0)) {
        say(`converged: ${c.acked.length} of ${c.liveNodes} live nodes applied ${shortVersion(version)}`);
        return c.nacked.length === 0;
      }
      // The next poll would start at or after the deadline: stop here.
      if (seconds * 1000 + POLL_MS >= timeoutMs) {
        timedOut = true;
        break;
      }
    }
  } catch (e) {
    if (stopped()) return false;
    say(`cannot follow convergence: ${(e as Error).message}`);
    return false;
  }
  // Otherwise followConvergence ended before a poll because weft dev is stopping.
  if (!timedOut && stopped()) return false;
  say(`not converged after ${timeoutMs / 1000}s; see \`weft status\``);
  return false;
}
