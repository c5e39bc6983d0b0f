// Weighted random choice: backends of a route rule (canary splits) and endpoints of a
// service. `random` is injected (a number in [0, 1)) so decisions are reproducible in tests.

function usable(weight: number): boolean {
  return weight > 0 && Number.isFinite(weight);
}

/** Picks an item with probability weight / total. Weight 0 (or negative) is never picked. */
export function pickWeighted<T extends { weight: number }>(items: readonly T[], random: () => number): T | undefined {
  let total = 0;
  for (const item of items) if (usable(item.weight)) total += item.weight;
  if (total <= 0) return undefined;
  let r = random() * total;
  let last: T | undefined;
  for (const item of items) {
    if (!usable(item.weight)) continue;
    if (r < item.weight) return item;
    r -= item.weight;
    last = item;
  }
  // Only reached when random() returns 1 or sums drift by an ulp: the last usable item.
  return last;
}

/** Items that can be picked at all (weight > 0). */
export function pickable<T extends { weight: number }>(items: readonly T[]): T[] {
  return items.filter((i) => usable(i.weight));
}
