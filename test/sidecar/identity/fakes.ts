// Fakes for the identity units' tests: a clock moved by hand, timers that fire when it passes
// them, a log that keeps its lines, and JWT-shaped tokens with a given iat (no signature).
import type { Schedule } from '../../../sidecar/identity/jwt-svid-cache.ts';

export class FakeClock {
  ms: number;
  readonly #timers: { at: number; fn: () => void; live: boolean }[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.ms = start;
  }

  readonly now = (): number => this.ms;

  readonly schedule: Schedule = (fn, ms) => {
    const t = { at: this.ms + ms, fn, live: true };
    this.#timers.push(t);
    return () => {
      t.live = false;
    };
  };

  /** Timers not yet fired or cancelled, by due time. */
  pending(): number[] {
    return this.#timers.filter((t) => t.live).map((t) => t.at);
  }

  /** Moves the clock on by `ms`, firing each timer it passes (in order). */
  advance(ms: number): void {
    this.ms += ms;
    for (const t of this.#timers.filter((x) => x.live && x.at <= this.ms).sort((a, b) => a.at - b.at)) {
      t.live = false;
      t.fn();
    }
  }
}

export function logSink(): { lines: Record<string, unknown>[]; log: (e: Record<string, unknown>) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: (e) => lines.push(e) };
}

/** An unsigned JWT whose payload has `iat` (seconds) and a marker, enough for cachedToken. */
export function jwtAt(iatMs: number, mark = 'x'): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ iat: Math.floor(iatMs / 1000), mark })}.sig`;
}
