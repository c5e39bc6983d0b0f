// "Check at most every N seconds, never block a request once something is held": the loop
// both the snapshot holder and the endpoints holder run. The first call of an isolate waits
// for the first load; later refreshes run in the background (kept alive with `waitUntil`), so
// slow KV or a slow control plane never delays traffic. A failed refresh is logged and the
// value held stays in force.

export class PeriodicRefresh {
  private lastCheck = 0;
  private inFlight: Promise<void> | undefined;
  private readonly onError: (e: unknown) => void;

  constructor(onError: (e: unknown) => void) {
    this.onError = onError;
  }

  /**
   * Runs `refresh` if one is due. Returns the refresh to wait for only when nothing is held
   * yet; otherwise undefined, and the request goes on synchronously (no promise per request).
   */
  tick(intervalMs: number, holding: boolean, ctx: ExecutionContext, refresh: () => Promise<void>): Promise<void> | undefined {
    const now = Date.now();
    if (!this.inFlight && now - this.lastCheck >= intervalMs) {
      this.lastCheck = now;
      this.inFlight = refresh()
        .catch(this.onError)
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    if (!this.inFlight) return undefined;
    if (!holding) return this.inFlight;
    ctx.waitUntil(this.inFlight);
    return undefined;
  }
}

export function checkIntervalMs(seconds: string | undefined): number {
  const n = Number(seconds ?? '5');
  return Number.isFinite(n) && n >= 0 ? n * 1000 : 5000;
}
