// The access log: one JSON line per request, on stdout. Lines are queued and written in one
// chunk on the next turn of the event loop, so a request never waits on the terminal or pipe.
// If the reader falls behind (the stream reports backpressure), lines queue up to a cap and
// beyond it are dropped and counted; the count is written once the stream drains.
import type { Writable } from 'node:stream';
import type { AccessLogEntry, ProxyObserver } from '../types.ts';

export interface LineWriter {
  write(line: string): void;
  /** Writes what is queued now (on shutdown). */
  flush(): Promise<void>;
  dropped(): number;
}

export function createLineWriter(stream: Writable, options: { maxQueuedBytes?: number } = {}): LineWriter {
  const cap = options.maxQueuedBytes ?? 4 * 1024 * 1024;
  let queue: string[] = [];
  let queuedBytes = 0;
  let scheduled = false;
  let blocked = false;
  let dropped = 0;
  let droppedReported = 0;

  const drainNow = () => {
    scheduled = false;
    if (blocked || queue.length === 0) return;
    if (dropped > droppedReported) {
      queue.push(`${JSON.stringify({ component: 'sidecar.access', event: 'lines_dropped', count: dropped - droppedReported })}\n`);
      droppedReported = dropped;
    }
    const chunk = queue.join('');
    queue = [];
    queuedBytes = 0;
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
    if (scheduled) return;
    scheduled = true;
    setImmediate(drainNow);
  };

  return {
    write(line) {
      if (queuedBytes + line.length > cap) {
        dropped++;
        return;
      }
      queue.push(line.endsWith('\n') ? line : `${line}\n`);
      queuedBytes += line.length + 1;
      schedule();
    },
    flush() {
      drainNow();
      return new Promise((resolve) => {
        if (!stream.writable) return resolve();
        stream.write('', () => resolve());
      });
    },
    dropped: () => dropped,
  };
}

/** The access log as a ProxyObserver (only `request` writes; the rest are metrics' business). */
export function accessLogObserver(writer: LineWriter): ProxyObserver {
  return {
    request(entry: AccessLogEntry) {
      try {
        writer.write(JSON.stringify({ time: new Date().toISOString(), component: 'sidecar.access', ...entry }));
      } catch {
        // never throws into the data path
      }
    },
    retry() {},
    upstreamError() {},
    ejection() {},
    rateLimited() {},
    circuitOpen() {},
  };
}
