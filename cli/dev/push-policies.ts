// `weft dev`'s policy loop: validate policies/ here, push to control (If-Match the current
// version), show the semantic diff, then one line per node as it applies the new version (or
// refuses it). Invalid files print their errors and push nothing.
import { formatSemanticDiff } from '../../core/diff/semantic-diff.ts';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { compilePaths } from '../compile-sources.ts';
import type { CompiledSources } from '../compile-sources.ts';
import { ControlApiError, shortVersion } from '../control-api.ts';
import type { ControlApi, Convergence, PushAnswer } from '../control-api.ts';

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
  const files = compiled.texts;
  try {
    const current = (await api.call<{ current: string | null }>('GET', '/v1/snapshots?limit=1')).body.current;
    const answer = (
      await api.call<PushAnswer>('PUT', '/v1/snapshot', { body: { files, metadata: { author: 'weft dev', message: `weft dev: ${dir}/` } }, headers: current ? { 'if-match': `"${current}"` } : {} })
    ).body;
    if (answer.unchanged) say(`policies unchanged: ${shortVersion(answer.version)} is current`);
    else {
      say(`pushed ${shortVersion(answer.version)} (previous: ${answer.previous ? shortVersion(answer.previous) : 'none'})`);
      const diff = formatSemanticDiff(answer.diff).trimEnd();
      if (diff) say(diff);
    }
    return { ok: true, version: answer.version, unchanged: answer.unchanged };
  } catch (e) {
    if (e instanceof ControlApiError && e.code === 'invalid_policy') {
      const lines = Array.isArray(e.details?.lines) ? (e.details.lines as string[]) : [e.message];
      for (const line of lines) say(line);
      say('control refused the policies; nothing was pushed');
      return { ok: false };
    }
    say(`push failed: ${(e as Error).message}`);
    return { ok: false };
  }
}

export interface ConvergenceOptions {
  timeoutMs?: number;
  /** Called before each poll: an idle gateway isolate checks KV only when a request comes. */
  nudge?: () => Promise<unknown>;
  /** True once weft dev is stopping: stop following. */
  stopped?: () => boolean;
}

/** Follows convergence of `version` (bounded), one line per node as it applies or refuses it. */
export async function reportConvergence(api: ControlApi, version: string, say: (line: string) => void, options: ConvergenceOptions = {}): Promise<boolean> {
  const { timeoutMs = 30_000, nudge, stopped = () => false } = options;
  const started = Date.now();
  const seen = new Set<string>();
  while (Date.now() - started < timeoutMs) {
    await nudge?.();
    if (stopped()) return false;
    let c: Convergence;
    try {
      c = (await api.call<Convergence>('GET', `/v1/snapshot/${version}/convergence`)).body;
    } catch (e) {
      if (stopped()) return false;
      say(`cannot follow convergence: ${(e as Error).message}`);
      return false;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const n of c.acked) {
      if (seen.has(n.nodeId)) continue;
      seen.add(n.nodeId);
      say(`  ✓ ${n.nodeId}  ${n.kind}  ${n.service}  applied after ${seconds}s`);
    }
    for (const n of c.nacked) {
      if (seen.has(n.nodeId)) continue;
      seen.add(n.nodeId);
      say(`  ✗ ${n.nodeId}  ${n.kind}  ${n.service}  refused it: ${n.reason}`);
    }
    if (c.converged || (c.liveNodes > 0 && c.pending.length === 0)) {
      say(`converged: ${c.acked.length} of ${c.liveNodes} live nodes applied ${shortVersion(version)}`);
      return c.nacked.length === 0;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  say(`not converged after ${timeoutMs / 1000}s; see \`weft status\``);
  return false;
}
