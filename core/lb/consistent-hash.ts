// Consistent hashing on a ring (ketama, Envoy's ring_hash): each endpoint owns points on a
// ring, placed by hashing `id#i`; a key goes to the owner of the first point at or after
// its own hash. An endpoint's points depend only on its id and weight, never on the other
// endpoints, so when one endpoint leaves only the keys it owned move (≈ 1/N of them), and
// every proxy with the same endpoints builds the same ring. Without a hash key the pick is
// weighted random.
//
// Ring size: 128 points per unit of weight, halved (for every endpoint alike) while the
// ring would exceed 16 384 points, so a ring is ~200 KB and builds in a few ms, on the
// request that first sees a new endpoint set. Crossing that bound re-scales the ring,
// which moves more keys than one endpoint's share.
import { setBounded } from '../collections/bounded-map.ts';
import { hash53 } from './hash.ts';
import type { EndpointPicker, LbEndpoint, PickContext } from './picker.ts';
import { pickWeighted } from './weighted.ts';

const POINTS_PER_WEIGHT = 128;
const MAX_POINTS = 16_384;
/** Rings kept per picker: a few endpoint sets (health changes flapping) without rebuilds. */
const RING_CACHE = 8;

interface Ring {
  positions: Float64Array;
  /** Index, in the endpoint list the ring was built from, of each position's owner. */
  owners: Uint32Array;
}

function signature(endpoints: readonly LbEndpoint[]): string {
  let s = '';
  for (const e of endpoints) s += `${e.id}\u0000${e.weight}\u0001`;
  return s;
}

function buildRing(endpoints: readonly LbEndpoint[]): Ring {
  let totalWeight = 0;
  for (const e of endpoints) if (e.weight > 0 && Number.isFinite(e.weight)) totalWeight += e.weight;
  let scale = POINTS_PER_WEIGHT;
  while (scale > 2 ** -20 && totalWeight * scale > MAX_POINTS) scale /= 2;
  const counts = endpoints.map((e) => (e.weight > 0 && Number.isFinite(e.weight) ? Math.max(1, Math.round(e.weight * scale)) : 0));
  const size = counts.reduce((a, b) => a + b, 0);
  const raw = new Float64Array(size);
  const rawOwners = new Uint32Array(size);
  let n = 0;
  endpoints.forEach((e, owner) => {
    for (let i = 0; i < (counts[owner] as number); i++, n++) {
      raw[n] = hash53(`${e.id}#${i}`);
      rawOwners[n] = owner;
    }
  });
  const order = Uint32Array.from({ length: size }, (_, i) => i);
  // Ties (vanishingly rare at 53 bits) break by id, so the ring ignores list order.
  order.sort((a, b) => {
    const d = (raw[a] as number) - (raw[b] as number);
    if (d !== 0) return d;
    const ia = (endpoints[rawOwners[a] as number] as LbEndpoint).id;
    const ib = (endpoints[rawOwners[b] as number] as LbEndpoint).id;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
  const positions = new Float64Array(size);
  const owners = new Uint32Array(size);
  order.forEach((from, to) => {
    positions[to] = raw[from] as number;
    owners[to] = rawOwners[from] as number;
  });
  return { positions, owners };
}

/** Index of the first position ≥ h, wrapping to 0 past the end. */
function successor(positions: Float64Array, h: number): number {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((positions[mid] as number) < h) lo = mid + 1;
    else hi = mid;
  }
  return lo === positions.length ? 0 : lo;
}

export class ConsistentHashPicker implements EndpointPicker {
  readonly #random: () => number;
  // Keyed by the endpoint list's ids and weights in order, so `owners` index the list given.
  readonly #rings = new Map<string, Ring>();

  constructor(random: () => number) {
    this.#random = random;
  }

  #ring(endpoints: readonly LbEndpoint[]): Ring {
    const sig = signature(endpoints);
    const ring = this.#rings.get(sig) ?? buildRing(endpoints);
    setBounded(this.#rings, sig, ring, RING_CACHE);
    return ring;
  }

  pick(endpoints: readonly LbEndpoint[], ctx: PickContext): LbEndpoint | undefined {
    if (ctx.hashKey === undefined) return pickWeighted(endpoints, this.#random);
    const ring = this.#ring(endpoints);
    if (ring.positions.length === 0) return undefined;
    return endpoints[ring.owners[successor(ring.positions, hash53(ctx.hashKey))] as number];
  }
}
