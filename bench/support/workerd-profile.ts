// A CPU profile of one Worker running in Miniflare/workerd, over the V8 inspector that
// Miniflare proxies per Worker (`inspectorPort` + the Worker's `unsafeInspectorProxy`): start
// V8's sampling profiler, run a load, stop, and sum the samples by function. This is how
// docs/gateway.md's "where the time goes" was measured. Used by gateway-proxy.bench.ts when
// WEFT_BENCH_PROFILE is set.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  /** `name file:line` (bundle line, 0-based as V8 reports it), or `(program)`, `(idle)`, `(garbage collector)`. */
  name: string;
  /** Share of the non-idle samples. */
  share: number;
  ms: number;
}

/** An open inspector session to one Worker. */
export class WorkerInspector {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = message.id === undefined ? undefined : this.#pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      this.#pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`inspector: ${message.error.message}`));
      else waiter.resolve(message.result);
    });
    ws.addEventListener('close', () => {
      for (const w of this.#pending.values()) w.reject(new Error('inspector connection closed'));
      this.#pending.clear();
    });
  }

  /** Connects to `workerName` behind Miniflare's inspector proxy on 127.0.0.1:`port`. */
  static async connect(port: number, workerName: string): Promise<WorkerInspector> {
    // Miniflare's proxy accepts DevTools-like clients only: it wants a localhost Origin.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/${workerName}`, { headers: { origin: 'http://localhost' } } as unknown as string[]);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`could not open the inspector of ${workerName} on port ${port}`)), { once: true });
      ws.addEventListener('close', () => reject(new Error(`the inspector of ${workerName} on port ${port} refused the connection`)), { once: true });
    });
    return new WorkerInspector(ws);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Profiles the Worker while `load` runs; returns self time by function, largest first. */
  async profile(load: () => Promise<void>, samplingIntervalUs = 50): Promise<FunctionTime[]> {
    await this.send('Profiler.enable');
    await this.send('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await this.send('Profiler.start');
    try {
      await load();
    } finally {
      const { profile } = (await this.send('Profiler.stop')) as { profile: CpuProfile };
      this.last = profile;
    }
    return selfTimes(this.last as CpuProfile);
  }

  /** The raw profile of the last `profile()` call (a `.cpuprofile` for Chrome DevTools). */
  last: CpuProfile | undefined;

  close(): void {
    this.#ws.close();
  }
}

function selfTimes(profile: CpuProfile): FunctionTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = url ? `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber}` : functionName || '(native)';
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    ms.set(name, (ms.get(name) ?? 0) + dt);
    if (name !== '(idle)') busy += dt;
  });
  return [...ms]
    .filter(([name]) => name !== '(idle)')
    .map(([name, t]) => ({ name, ms: t, share: busy > 0 ? t / busy : 0 }))
    .sort((a, b) => b.ms - a.ms);
}
