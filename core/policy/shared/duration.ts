// Durations are written as Go/Envoy-style strings (`250ms`, `5s`, `1m30s`, `2h`) and
// compiled to milliseconds, so the snapshot carries plain numbers.
import { z } from 'zod';

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export const duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, {
    message: 'expected a duration such as 250ms, 5s, 1m or 1h30m',
  })
  .meta({ pattern: WHOLE.source });

/** A duration that must be > 0 (one message, whichever way it is wrong). */
export const positiveDuration = z
  .string()
  .superRefine((s, ctx) => {
    const v = parseDuration(s);
    if (v === undefined) ctx.addIssue({ code: 'custom', message: 'expected a duration such as 250ms, 5s, 1m or 1h30m' });
    else if (v <= 0) ctx.addIssue({ code: 'custom', message: 'expected a duration greater than zero' });
  })
  .meta({ pattern: WHOLE.source });

/** Milliseconds of a duration the schema already accepted. */
export function ms(text: string): number {
  return parseDuration(text) as number;
}
