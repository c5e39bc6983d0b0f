import { describe, expect, it } from 'vitest';
import { formatGrpcTimeout, parseGrpcTimeout } from './timeout.ts';

describe('parseGrpcTimeout', () => {
  it.each([
    ['1H', 3_600_000],
    ['2M', 120_000],
    ['5S', 5000],
    ['250m', 250],
    ['1500u', 2],
    ['1000000n', 1],
    ['1n', 1],
    ['0m', 0],
    ['99999999m', 99_999_999],
    ['00000100m', 100],
  ])('%s is %d ms', (value, ms) => {
    expect(parseGrpcTimeout(value)).toBe(ms);
  });

  it.each([null, undefined, '', 'm', '100', '100ms', '100s', '100x', '-5S', '+5S', '1.5S', '123456789m', '1 S', '５S'])('ignores %s', (value) => {
    expect(parseGrpcTimeout(value)).toBeNull();
  });
});

describe('formatGrpcTimeout', () => {
  it('says whole milliseconds while 8 digits hold them, rounding up', () => {
    expect(formatGrpcTimeout(4321)).toBe('4321m');
    expect(formatGrpcTimeout(0.2)).toBe('1m');
    expect(formatGrpcTimeout(0)).toBe('0m');
    expect(formatGrpcTimeout(-5)).toBe('0m');
    expect(formatGrpcTimeout(99_999_999)).toBe('99999999m');
  });

  it('moves to seconds, minutes, hours for longer times', () => {
    expect(formatGrpcTimeout(100_000_000)).toBe('100000S');
    expect(formatGrpcTimeout(100_000_000_001)).toBe('1666667M');
    expect(formatGrpcTimeout(6_000_000_000_001)).toBe('1666667H');
  });

  it('round-trips through parseGrpcTimeout', () => {
    for (const ms of [1, 999, 15_000, 86_400_000, 123_456_789]) expect(parseGrpcTimeout(formatGrpcTimeout(ms))).toBeGreaterThanOrEqual(ms);
    expect(parseGrpcTimeout(formatGrpcTimeout(15_000))).toBe(15_000);
  });
});
