// The access log: one JSON line per request, on stdout. Lines are appended to one pending
// string and written in one chunk at most every FLUSH_MS (or as soon as 64 KiB are pending),
// so a request never waits on the terminal or pipe and a busy proxy makes a few writes a
// second rather than one per event-loop turn. If the reader falls behind (the stream reports
// backpressure), lines queue up to a cap and beyond it are dropped and counted; the count is
// written once the stream drains.
import type { Writable } from 'node:stream';
import type { AccessLogEntry, ProxyObserver } from '../types.ts';
import { requestObserver } from './fan-out.ts';

export interface LineWriter {
  write(line: string): void;
  /** Writes what is queued now (on shutdown). */
  flush(): Promise<void>;
}

const FLUSH_MS = 25;
const FLUSH_BYTES = 64 * 1024;

export function createLineWriter(stream: Writable, options: { maxQueuedBytes?: number; flushMs?: number } = {}): LineWriter {
  const cap = options.maxQueuedBytes ?? 4 * 1024 * 1024;
  const flushMs = options.flushMs ?? FLUSH_MS;
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  let blocked = false;
  let dropped = 0;
  let droppedReported = 0;

  const drainNow = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (blocked || pending === '') return;
    if (dropped > droppedReported) {
      pending += `${JSON.stringify({ component: 'sidecar.access', event: 'lines_dropped', count: dropped - droppedReported })}\n`;
      droppedReported = dropped;
    }
    const chunk = pending;
    pending = '';
    try {
      if (!stream.write(chunk)) {
        blocked = true;
        stream.once('drain', () => {
          blocked = false;
          schedule();
        });
      }
    } catch {
      // a closed stdout: the log is lost, the request is not
    }
  };
  const schedule = () => {
    if (timer === undefined) timer = setTimeout(drainNow, flushMs);
  };

  return {
    write(line) {
      if (pending.length + line.length > cap) {
        dropped++;
        return;
      }
      pending += line.endsWith('\n') ? line : `${line}\n`;
      if (pending.length >= FLUSH_BYTES && !blocked) drainNow();
      else schedule();
    },
    flush() {
      drainNow();
      return new Promise((resolve) => {
        if (!stream.writable) return resolve();
        stream.write('', () => resolve());
      });
    },
  };
}

// Most fields are short ASCII without quotes or backslashes: written as is; anything else
// goes through JSON.stringify (escapes, control characters, lone surrogates).
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const str = (s: string | null): string => (s === null ? 'null' : PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

let isoMs = -1;
let isoText = '';
/** `new Date().toISOString()`, built once per millisecond. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/**
 * One access-log line: exactly what `JSON.stringify({ time, component: 'sidecar.access',
 * ...entry })` gives for an AccessLogEntry (same fields, same order), without building the
 * merged object.
 */
export function accessLogLine(entry: AccessLogEntry, time: string = isoNow()): string {
  return (
    `{"time":"${time}","component":"sidecar.access","direction":${str(entry.direction)},"method":${str(entry.method)},"authority":${str(entry.authority)},"path":${str(entry.path)}` +
    `,"route":${str(entry.route)},"service":${str(entry.service)},"status":${num(entry.status)},"grpcStatus":${entry.grpcStatus === null ? 'null' : num(entry.grpcStatus)},"protocol":${str(entry.protocol)},"latencyMs":${num(entry.latencyMs)},"upstream":${str(entry.upstream)}` +
    `,"peer":${str(entry.peer)},"principal":${str(entry.principal)},"traceId":${str(entry.traceId)},"retries":${num(entry.retries)},"retryRefused":${str(entry.retryRefused)},"reason":${str(entry.reason)},"abandoned":${entry.abandoned ? 'true' : 'false'}}\n`
  );
}

/** The access log as a ProxyObserver (only `request` writes; the rest are metrics' business). */
export function accessLogObserver(writer: LineWriter): ProxyObserver {
  return requestObserver((entry) => writer.write(accessLogLine(entry)));
}
