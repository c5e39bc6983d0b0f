// Passive health checking (Envoy outlier detection): endpoints that answer with errors in a
// row are ejected from load balancing for a while, longer each time they are ejected again.
// Ejections expire lazily when asked about, so the detector needs no timer; `intervalMs`
// paces the forgiveness of past ejections and the clean-up of endpoints long gone.
import type { CompiledService } from '../policy/service/compile.ts';
import type { LbEndpoint } from './picker.ts';

export type OutlierConfig = NonNullable<CompiledService['outlierDetection']>;

/** `gateway-error`: 502, 503, 504, or no answer (connect failure, reset, timeout). */
export type CallOutcome = 'success' | '5xx' | 'gateway-error';

/** Envoy's cap on an ejection however often an endpoint is ejected (max_ejection_time). */
export const MAX_EJECTION_MS = 300_000;

/** The outlier outcome of one upstream call. */
export function classifyOutcome(result: { status?: number; error?: 'reset' | 'connect-failure' | 'timeout' }): CallOutcome {
  if (result.error !== undefined) return 'gateway-error';
  const s = result.status ?? 0;
  if (s === 502 || s === 503 || s === 504) return 'gateway-error';
  return s >= 500 && s <= 599 ? '5xx' : 'success';
}

interface EndpointState {
  consecutive5xx: number;
  consecutiveGatewayErrors: number;
  /** End of the current ejection, or null when not ejected. */
  ejectedUntil: number | null;
  /** Ejections so far, less one for each interval spent healthy since the last return. */
  timesEjected: number;
  returnedAt: number;
  lastSeen: number;
}

export class OutlierDetector {
  readonly #config: OutlierConfig;
  readonly #now: () => number;
  readonly #states = new Map<string, EndpointState>();
  #lastSweep: number;

  constructor(config: OutlierConfig, now: () => number) {
    this.#config = config;
    this.#now = now;
    this.#lastSweep = now();
  }

  #state(id: string, now: number): EndpointState {
    let s = this.#states.get(id);
    if (!s) this.#states.set(id, (s = { consecutive5xx: 0, consecutiveGatewayErrors: 0, ejectedUntil: null, timesEjected: 0, returnedAt: now, lastSeen: now }));
    s.lastSeen = now;
    return s;
  }

  #ejected(s: EndpointState, now: number): boolean {
    if (s.ejectedUntil === null) return false;
    if (now < s.ejectedUntil) return true;
    s.returnedAt = s.ejectedUntil;
    s.ejectedUntil = null;
    return false;
  }

  /** Ejections allowed at once: maxEjectionPercent of the known endpoints, leaving one. */
  #mayEject(now: number): boolean {
    const known = this.#states.size;
    const cap = Math.min(Math.floor((known * this.#config.maxEjectionPercent) / 100), known - 1);
    let ejected = 0;
    for (const s of this.#states.values()) if (this.#ejected(s, now)) ejected++;
    return ejected < cap;
  }

  #eject(s: EndpointState, now: number): void {
    // Each interval healthy since the last return forgives one past ejection (Envoy).
    const forgiven = Math.floor((now - s.returnedAt) / this.#config.intervalMs);
    s.timesEjected = Math.max(0, s.timesEjected - forgiven) + 1;
    const base = this.#config.baseEjectionTimeMs;
    s.ejectedUntil = now + Math.min(base * s.timesEjected, Math.max(base, MAX_EJECTION_MS));
    s.consecutive5xx = 0;
    s.consecutiveGatewayErrors = 0;
  }

  record(endpointId: string, outcome: CallOutcome): void {
    const now = this.#now();
    const s = this.#state(endpointId, now);
    if (outcome === 'success') {
      s.consecutive5xx = 0;
      s.consecutiveGatewayErrors = 0;
      return;
    }
    s.consecutive5xx++;
    // A 500 between two 503s breaks the run of gateway errors, not the run of 5xx.
    s.consecutiveGatewayErrors = outcome === 'gateway-error' ? s.consecutiveGatewayErrors + 1 : 0;
    const tripped = s.consecutive5xx >= this.#config.consecutive5xx || s.consecutiveGatewayErrors >= this.#config.consecutiveGatewayErrors;
    if (tripped && !this.#ejected(s, now) && this.#mayEject(now)) this.#eject(s, now);
  }

  isEjected(endpointId: string): boolean {
    const s = this.#states.get(endpointId);
    return s !== undefined && this.#ejected(s, this.#now());
  }

  /**
   * The endpoints not ejected. Also how the detector learns the endpoint set that the
   * ejection cap is a share of. If every endpoint given is ejected (possible for a subset
   * of the service), all are returned: a likely-bad endpoint beats none.
   */
  healthy(endpoints: readonly LbEndpoint[]): LbEndpoint[] {
    const now = this.#now();
    this.#sweep(now);
    const out = endpoints.filter((e) => !this.#ejected(this.#state(e.id, now), now));
    return out.length > 0 ? out : [...endpoints];
  }

  // Endpoints unseen for 10 intervals (at least 10 minutes) are forgotten, so churn in the
  // endpoint set neither grows memory nor inflates the count the ejection cap is a share of.
  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#config.intervalMs) return;
    this.#lastSweep = now;
    const staleAfter = Math.max(10 * this.#config.intervalMs, 600_000);
    for (const [id, s] of this.#states) if (now - s.lastSeen > staleAfter && !this.#ejected(s, now)) this.#states.delete(id);
  }
}
