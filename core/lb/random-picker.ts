// Random load balancing: each pick independent, probability proportional to weight.
import type { EndpointPicker, LbEndpoint, PickContext } from './picker.ts';
import { pickWeighted } from './weighted.ts';

export class RandomPicker implements EndpointPicker {
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  pick(endpoints: readonly LbEndpoint[], _ctx: PickContext): LbEndpoint | undefined {
    return pickWeighted(endpoints, this.#random);
  }
}
