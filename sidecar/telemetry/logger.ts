// The sidecar's own log: one JSON line per event on stderr (stdout carries the access log),
// below the configured level dropped.
import type { LogLevel } from '../config.ts';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Log = (entry: Record<string, unknown>) => void;

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Log {
  const min = RANK[level];
  return (entry) => {
    const lvl = (typeof entry.level === 'string' && entry.level in RANK ? entry.level : 'info') as LogLevel;
    if (RANK[lvl] < min) return;
    try {
      write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, component: 'sidecar', ...entry })}\n`);
    } catch {
      // a log line is never worth a crash
    }
  };
}
