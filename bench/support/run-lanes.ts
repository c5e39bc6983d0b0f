// The benchmarks' load loop: `op` runs up to `count` times with `concurrency` in flight, and
// stops by itself at `capMs` whatever happens (every loop is bounded in count and time).
// `op` checks its own answer and throws on anything unexpected.

/** The `q` quantile (0 < q ≤ 1) of ascending `sorted`, nearest-rank; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export interface LaneRun {
  /** Per-operation latencies in ms, sorted ascending (fewer than `count` when the cap came first). */
  latencies: number[];
  wallMs: number;
}

export async function runLanes(count: number, concurrency: number, capMs: number, op: (i: number) => Promise<void>): Promise<LaneRun> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const deadline = start + capMs;
  const lane = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      await op(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { latencies: latencies.sort((a, b) => a - b), wallMs: performance.now() - start };
}
