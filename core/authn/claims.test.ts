// Claims by name (dotted, or names that contain dots) and as header text.
import { describe, expect, it } from 'vitest';
import { claimHeaderValue, claimValues, resolveClaim } from './claims.ts';

describe('resolveClaim', () => {
  const claims = {
    sub: 'u1',
    org: { id: 'o-1', team: { name: 'core' } },
    'https://example.com/roles': ['admin'],
    'https://example.com/org': { id: 'x-1' },
    'a.b': 'literal',
    a: { b: 'nested' },
  };

  it('reads top-level, nested and dotted-name claims', () => {
    expect(resolveClaim(claims, 'sub')).toBe('u1');
    expect(resolveClaim(claims, 'org.id')).toBe('o-1');
    expect(resolveClaim(claims, 'org.team.name')).toBe('core');
    expect(resolveClaim(claims, 'https://example.com/roles')).toEqual(['admin']);
    expect(resolveClaim(claims, 'https://example.com/org.id')).toBe('x-1');
    expect(resolveClaim(claims, 'a.b')).toBe('literal');
  });

  it('finds nothing where there is nothing, and never reads the prototype', () => {
    expect(resolveClaim(claims, 'org.nope')).toBeUndefined();
    expect(resolveClaim(claims, 'sub.length')).toBeUndefined();
    expect(resolveClaim(claims, '__proto__')).toBeUndefined();
    expect(resolveClaim(claims, 'constructor')).toBeUndefined();
    expect(resolveClaim(claims, 'org.constructor.name')).toBeUndefined();
    expect(resolveClaim(null, 'sub')).toBeUndefined();
  });
});

describe('claimHeaderValue', () => {
  it('stringifies as documented', () => {
    expect(claimHeaderValue('x')).toBe('x');
    expect(claimHeaderValue(42)).toBe('42');
    expect(claimHeaderValue(false)).toBe('false');
    expect(claimHeaderValue(['a', 'b', 3])).toBe('a,b,3');
    expect(claimHeaderValue({ a: 1 })).toBe('{"a":1}');
    expect(claimHeaderValue(null)).toBeNull();
    expect(claimHeaderValue(undefined)).toBeNull();
  });

  it('percent-encodes non-ASCII and drops values with control characters', () => {
    expect(claimHeaderValue('Zoë 東京')).toBe('Zo%C3%AB %E6%9D%B1%E4%BA%AC');
    expect(claimHeaderValue('a\r\nb: c')).toBeNull();
    expect(claimHeaderValue('a\u0000')).toBeNull();
    expect(claimHeaderValue('tab\tok')).toBe('tab\tok');
  });
});

describe('claimValues', () => {
  it('gives the strings access rules compare', () => {
    expect(claimValues('a')).toEqual(['a']);
    expect(claimValues(['a', 1, true, { x: 1 }, null])).toEqual(['a', '1', 'true']);
    expect(claimValues({ a: 1 })).toEqual([]);
    expect(claimValues(undefined)).toEqual([]);
  });
});
