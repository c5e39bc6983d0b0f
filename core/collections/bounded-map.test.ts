import { describe, expect, it } from 'vitest';
import { setBounded } from './bounded-map.ts';

describe('setBounded', () => {
  it('keeps at most max entries, dropping the oldest first', () => {
    const m = new Map<string, number>();
    for (let i = 0; i < 5; i++) setBounded(m, `k${i}`, i, 3);
    expect([...m.keys()]).toEqual(['k2', 'k3', 'k4']);
  });

  it('a key set again becomes the newest, so it outlives older ones', () => {
    const m = new Map<string, number>([
      ['a', 1],
      ['b', 2],
    ]);
    setBounded(m, 'a', 10, 2);
    setBounded(m, 'c', 3, 2);
    expect([...m.entries()]).toEqual([
      ['a', 10],
      ['c', 3],
    ]);
  });
});
