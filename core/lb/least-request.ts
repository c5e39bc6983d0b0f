// Least request by the power of two choices (Envoy, Linkerd): draw two distinct endpoints
// at random by weight and send to the one with fewer in-flight requests per unit of weight.
// Two random choices avoid the herd that "always the least loaded" causes when every proxy
// sees the same loads, and cost O(1) in the number of endpoints beyond the draw. With no
// load information (or equal loads) the first draw wins, so picks follow the weights.
import type { EndpointPicker, LbEndpoint, PickContext } from './picker.ts';
import { pickable, pickWeighted } from './weighted.ts';

export class LeastRequestPicker implements EndpointPicker {
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  pick(endpoints: readonly LbEndpoint[], ctx: PickContext): LbEndpoint | undefined {
    const eligible = pickable(endpoints);
    const first = pickWeighted(eligible, this.#random);
    if (!first || eligible.length === 1) return first;
    const second = pickWeighted(
      eligible.filter((e) => e !== first),
      this.#random,
    );
    if (!second) return first;
    const load = (e: LbEndpoint) => (ctx.activeRequests?.(e.id) ?? 0) / e.weight;
    return load(second) < load(first) ? second : first;
  }
}
