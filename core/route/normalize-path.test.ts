import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_PATH_NORMALIZATION, normalizePath, splitPathAndQuery } from './normalize-path.ts';
import type { PathNormalizationOptions } from './normalize-path.ts';

type Expected = string | { error: RegExp };

interface Row {
  input: string;
  expected: Expected;
  options?: PathNormalizationOptions;
  why?: string;
}

const keepSlashes: PathNormalizationOptions = { escapedSlashes: 'keep' };
const decodeSlashes: PathNormalizationOptions = { escapedSlashes: 'decode' };
const keepSemicolons: PathNormalizationOptions = { semicolons: 'keep' };

const corpus: Row[] = [
  // basics
  { input: '', expected: '/', why: 'empty path is the root' },
  { input: '/', expected: '/' },
  { input: '/a/b', expected: '/a/b' },
  { input: 'a/b', expected: { error: /must start with "\/"/ } },
  { input: '*', expected: { error: /must start with "\/"/ } },
  // dot segments
  { input: '/a/./b', expected: '/a/b' },
  { input: '/a/../b', expected: '/b' },
  { input: '/a/b/..', expected: '/a/' },
  { input: '/a/b/.', expected: '/a/b/' },
  { input: '/..', expected: '/' },
  { input: '/../../etc/passwd', expected: '/etc/passwd', why: 'never climbs above the root' },
  { input: '/a/%2e%2e/b', expected: '/b', why: 'decoded before dot removal' },
  { input: '/a/%2E%2e/b', expected: '/b' },
  { input: '/a/%2E./b', expected: '/b' },
  { input: '/a/.%2e/b', expected: '/b' },
  { input: '/a/%2e/b', expected: '/a/b' },
  { input: '/admin/%2e%2e/public', expected: '/public' },
  { input: '/a/...', expected: '/a/...', why: 'three dots is an ordinary segment' },
  { input: '/a/.b/..c', expected: '/a/.b/..c' },
  // duplicate slashes
  { input: '//', expected: '/' },
  { input: '//a///b', expected: '/a/b' },
  { input: '/a//', expected: '/a/' },
  { input: '/a//../b', expected: '/b', why: 'empty segments merged before dots resolve' },
  // trailing slash and case
  { input: '/a/', expected: '/a/' },
  { input: '/API', expected: '/API' },
  { input: '/api', expected: '/api' },
  { input: '/%7e', expected: '/~' },
  { input: '/%7Euser/%41%62%63', expected: '/~user/Abc' },
  { input: '/%2d%2E%5f%7E%30', expected: '/-._~0' },
  // reserved and other encodings stay encoded, upper-case
  { input: '/a%3ab', expected: '/a%3Ab' },
  { input: '/a:b@c', expected: '/a:b@c' },
  { input: '/a%25b', expected: '/a%25b', why: '%25 is not unreserved: no double decoding' },
  { input: '/a%252e%252e', expected: '/a%252e%252e' },
  { input: '/a%20b', expected: '/a%20b' },
  { input: '/a b', expected: '/a%20b', why: 'raw characters not allowed in a path are encoded' },
  { input: '/a|b', expected: '/a%7Cb' },
  { input: '/{id}', expected: '/%7Bid%7D' },
  { input: '/a?b#c', expected: '/a%3Fb%23c' },
  { input: "/!$&'()*+,=", expected: "/!$&'()*+,=" },
  // non-ASCII
  { input: '/caf%C3%A9', expected: '/caf%C3%A9' },
  { input: '/caf%c3%a9', expected: '/caf%C3%A9' },
  { input: '/café', expected: '/caf%C3%A9', why: 'raw non-ASCII becomes UTF-8 percent-encoding' },
  { input: '/😀', expected: '/%F0%9F%98%80' },
  { input: '/a\uD800b', expected: { error: /unpaired UTF-16 surrogate/ } },
  { input: '/a\uDC00', expected: { error: /unpaired UTF-16 surrogate/ } },
  // invalid encodings and control characters
  { input: '/a%zz', expected: { error: /invalid percent-encoding "%zz"/ } },
  { input: '/a%', expected: { error: /invalid percent-encoding/ } },
  { input: '/a%4', expected: { error: /invalid percent-encoding "%4"/ } },
  { input: '/a%4g', expected: { error: /invalid percent-encoding/ } },
  { input: '/a\u0000b', expected: { error: /control character 0x00/ } },
  { input: '/a\nb', expected: { error: /control character 0x0A/ } },
  { input: '/a\tb', expected: { error: /control character 0x09/ } },
  { input: '/a\u007fb', expected: { error: /control character 0x7F/ } },
  { input: '/a%00b', expected: { error: /encoded control character "%00"/ }, why: 'a backend that decodes %00 may cut the path there' },
  { input: '/admin%00.png', expected: { error: /encoded control character "%00" at offset 6/ } },
  { input: '/a%0d%0aX-Injected:%201', expected: { error: /encoded control character "%0d"/ }, why: 'an encoded CR LF never reaches a backend' },
  { input: '/a%0A', expected: { error: /encoded control character "%0A"/ } },
  { input: '/admin%09', expected: { error: /encoded control character "%09"/ }, why: 'an encoded trailing tab' },
  { input: '/a%1F', expected: { error: /encoded control character "%1F"/ } },
  { input: '/a%7f', expected: { error: /encoded control character "%7f"/ } },
  { input: '/a%80', expected: '/a%80', why: 'bytes above ASCII are not control characters here' },
  // spaces at a segment's start or end: backends that trim would read a different path
  { input: '/admin%20', expected: { error: /segment "admin%20" starts or ends with a space/ } },
  { input: '/admin%20/', expected: { error: /starts or ends with a space/ } },
  { input: '/admin%20%20/users', expected: { error: /starts or ends with a space/ } },
  { input: '/%20admin', expected: { error: /starts or ends with a space/ } },
  { input: '/admin /users', expected: { error: /starts or ends with a space/ }, why: 'a raw space is the same byte to the backend' },
  { input: '/a%20/../b', expected: { error: /starts or ends with a space/ }, why: 'refused even in a segment a dot segment removes' },
  { input: '/a%20%2Fb', options: keepSlashes, expected: { error: /starts or ends with a space/ }, why: 'a kept %2F may still be a separator to the backend' },
  { input: '/a%5C%20b', options: keepSlashes, expected: { error: /starts or ends with a space/ } },
  { input: '/a%20%2Fb', options: decodeSlashes, expected: { error: /starts or ends with a space/ } },
  { input: '/a%2520', expected: '/a%2520', why: 'an encoded percent followed by "20" is not a space' },
  // escapedSlashes: reject (default)
  { input: '/a%2Fb', expected: { error: /encoded slash "%2F".*escapedSlashes/ } },
  { input: '/a%2fb', expected: { error: /encoded slash "%2F"/ } },
  { input: '/a%5Cb', expected: { error: /encoded backslash "%5C".*escapedSlashes/ } },
  { input: '/a%5cb', expected: { error: /encoded backslash/ } },
  { input: '/a\\b', expected: { error: /backslash "\\".*escapedSlashes/ } },
  // escapedSlashes: keep
  { input: '/a%2fb', options: keepSlashes, expected: '/a%2Fb' },
  { input: '/a%5cb', options: keepSlashes, expected: '/a%5Cb' },
  { input: '/a\\b', options: keepSlashes, expected: '/a%5Cb' },
  { input: '/a/..%2f..%2fb', options: keepSlashes, expected: '/a/..%2F..%2Fb', why: 'not a dot segment when kept' },
  // escapedSlashes: decode
  { input: '/a%2fb', options: decodeSlashes, expected: '/a/b' },
  { input: '/a%5Cb', options: decodeSlashes, expected: '/a/b' },
  { input: '/a\\b', options: decodeSlashes, expected: '/a/b' },
  { input: '/a/b%2F..%2F..%2Fc', options: decodeSlashes, expected: '/c' },
  { input: '/a%2F%2Fb', options: decodeSlashes, expected: '/a/b' },
  { input: '\\a', options: decodeSlashes, expected: { error: /must start with "\/"/ } },
  // semicolons
  { input: '/admin;x/', expected: { error: /";".*servlet-style.*semicolons/ } },
  { input: '/admin%3bx/', expected: { error: /"%3B".*semicolons/ } },
  { input: '/admin;x/', options: keepSemicolons, expected: '/admin;x/' },
  { input: '/admin%3bx/', options: keepSemicolons, expected: '/admin%3Bx/' },
  { input: '/a;b/../c', options: keepSemicolons, expected: '/c' },
];

function label(row: Row): string {
  const options = row.options ? ` ${JSON.stringify(row.options)}` : '';
  const expected = typeof row.expected === 'string' ? row.expected : `error ${row.expected.error}`;
  return `${JSON.stringify(row.input)}${options} → ${expected}`;
}

describe('normalizePath corpus', () => {
  it.each(corpus.map((row) => [label(row), row] as const))('%s', (_label, row) => {
    const result = normalizePath(row.input, row.options);
    if (typeof row.expected === 'string') {
      expect(result).toEqual({ ok: true, path: row.expected });
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.code).toBe('invalid_path');
        expect(result.message).toMatch(row.expected.error);
      }
    }
  });

  it('keeps /API and /api distinct', () => {
    expect(normalizePath('/API')).not.toEqual(normalizePath('/api'));
  });

  it('defaults to rejecting escaped slashes and semicolons', () => {
    expect(DEFAULT_PATH_NORMALIZATION).toEqual({ escapedSlashes: 'reject', semicolons: 'reject' });
    expect(normalizePath('/a%2Fb').ok).toBe(false);
    expect(normalizePath('/a;b').ok).toBe(false);
  });
});

describe('splitPathAndQuery', () => {
  it.each([
    ['/a/b', '/a/b', ''],
    ['/a?x=1&y=2', '/a', 'x=1&y=2'],
    ['/a?x=1?2', '/a', 'x=1?2'],
    ['/a#frag?no', '/a', ''],
    ['/a?x#frag', '/a', 'x'],
    ['', '', ''],
  ])('%s → path %s, query %s', (target, path, query) => {
    expect(splitPathAndQuery(target)).toEqual({ path, query });
  });
});

const fragments = [
  '/', '//', 'a', 'B', 'é', '.', '..', '%2e', '%2E', '%2e%2e', '%2f', '%2F', '%5c', '\\', ';', '%3b',
  '%41', '%7e', '%7E', '%3a', '%25', '%C3%A9', '%zz', '%', ' ', '?', '~', '|', '{x}', '\n', '-',
  '%00', '%0a', '%0D', '%09', '%1f', '%7F', '%20', '\t', '%2520',
];

const pathArbitrary = fc
  .array(fc.constantFrom(...fragments), { maxLength: 12 })
  .map((parts) => '/' + parts.join(''));

const optionsArbitrary = fc.record({
  escapedSlashes: fc.constantFrom('reject' as const, 'keep' as const, 'decode' as const),
  semicolons: fc.constantFrom('reject' as const, 'keep' as const),
});

describe('normalizePath properties', () => {
  it('is idempotent: a normalized path normalizes to itself', () => {
    fc.assert(
      fc.property(pathArbitrary, optionsArbitrary, (raw, options) => {
        const first = normalizePath(raw, options);
        if (!first.ok) return;
        expect(normalizePath(first.path, options)).toEqual(first);
      }),
      { numRuns: 2000 },
    );
  });

  it('outputs canonical paths: rooted, no empty or dot segments, no encoded unreserved, upper-case hex', () => {
    fc.assert(
      fc.property(pathArbitrary, optionsArbitrary, (raw, options) => {
        const result = normalizePath(raw, options);
        if (!result.ok) return;
        const path = result.path;
        expect(path.startsWith('/')).toBe(true);
        expect(path).not.toMatch(/\/\//);
        expect(path).not.toMatch(/\/\.\.?(\/|$)/);
        expect(path).not.toMatch(/%[0-9A-Fa-f]?[a-f]/);
        expect(path).not.toMatch(/%(4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/);
        expect(path).not.toMatch(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets a control character or a segment-edge space through, encoded or not', () => {
    fc.assert(
      fc.property(pathArbitrary, optionsArbitrary, (raw, options) => {
        const result = normalizePath(raw, options);
        if (!result.ok) return;
        expect(result.path).not.toMatch(/%(?:[01][0-9A-F]|7F)/);
        // Segments as a backend that decodes %2F / %5C into separators would see them.
        for (const segment of result.path.split(/\/|%2F|%5C/)) {
          expect(segment.startsWith('%20')).toBe(false);
          expect(segment.endsWith('%20')).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
