// Names that must be unique within a list (subsets, limits, rule names): which entries repeat
// an earlier one, so each kind can report them at the repeat, naming the first.

export interface Repeat {
  index: number;
  first: number;
  name: string;
}

export function repeatedNames(names: readonly (string | undefined)[]): Repeat[] {
  const firstAt = new Map<string, number>();
  const repeats: Repeat[] = [];
  names.forEach((name, index) => {
    if (name === undefined) return;
    const first = firstAt.get(name);
    if (first === undefined) firstAt.set(name, index);
    else repeats.push({ index, first, name });
  });
  return repeats;
}
