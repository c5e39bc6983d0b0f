// Smooth weighted round robin (nginx): each pick adds every endpoint's weight to its
// running score, takes the highest score and subtracts the total from it. Weights 5,1,1
// give a a b a c a a, not a a a a a b c: heavy endpoints are interleaved, never bursted.
// Over any run of `total weight` picks each endpoint is picked exactly `weight` times.
import type { EndpointPicker, LbEndpoint, PickContext } from './picker.ts';

interface Score {
  current: number;
  seen: number;
}

export class RoundRobinPicker implements EndpointPicker {
  readonly #scores = new Map<string, Score>();
  #round = 0;

  pick(endpoints: readonly LbEndpoint[], _ctx: PickContext): LbEndpoint | undefined {
    const round = ++this.#round;
    let total = 0;
    let eligible = 0;
    let best: LbEndpoint | undefined;
    let bestScore: Score | undefined;
    for (const e of endpoints) {
      if (!(e.weight > 0 && Number.isFinite(e.weight))) continue;
      let s = this.#scores.get(e.id);
      if (!s) this.#scores.set(e.id, (s = { current: 0, seen: round }));
      s.seen = round;
      s.current += e.weight;
      total += e.weight;
      eligible++;
      if (!bestScore || s.current > bestScore.current) {
        best = e;
        bestScore = s;
      }
    }
    if (!bestScore) return undefined;
    bestScore.current -= total;
    // Endpoints that left the set (ejected, deregistered) drop their score, so state stays
    // bounded by the set size and a returning endpoint starts fresh, as in nginx.
    if (this.#scores.size > eligible) for (const [id, s] of this.#scores) if (s.seen !== round) this.#scores.delete(id);
    return best;
  }
}
