// Path normalization: the one canonical form of a request path that route matching and
// access policy both read, so a path cannot look like one thing to the policy and another
// to the backend (`/admin/../public`, `/%61dmin`, `/admin;x/`, `/admin%2F..`).
//
// The rules, applied in one left-to-right pass and then per segment:
//  1. The path must start with `/` (the empty path is `/`). Control characters (0x00–0x1F,
//     0x7F), raw or percent-encoded, and malformed percent-encodings (`%zz`, `%4`, a
//     trailing `%`) are errors: a backend that decodes `%00` or `%0A` may cut the path there
//     or read a new line, so `/admin%00.png` could reach `/admin`.
//  2. Escaped slashes (`%2F`, `%5C`, and a raw `\`), per options.escapedSlashes:
//     'reject' → error; 'keep' → kept encoded (`%2F`, `%5C`; a raw `\` becomes `%5C`);
//     'decode' → a `/` that separates segments like any other.
//  3. Semicolons (raw `;` or `%3B`), per options.semicolons: 'reject' → error; 'keep' →
//     kept as they came (`;` stays `;`, `%3B` stays `%3B`), never read as path parameters.
//  4. Percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded
//     (RFC 3986 §6.2.2.2); every other percent-encoding stays encoded, with upper-case hex.
//     Characters that RFC 3986 does not allow raw in a path (space, `"`, `<`, `>`, `^`,
//     `` ` ``, `{`, `|`, `}`, `[`, `]`, `?`, `#`, and all non-ASCII as UTF-8) are
//     percent-encoded, so `/a|b` and `/a%7Cb`, `/é` and `/%C3%A9` are one path.
//  5. Dot segments are removed after decoding (so `%2e%2e` is `..`), never above the root.
//  6. Duplicate slashes are merged. Empty segments are dropped before dot segments are
//     resolved, so `/a//../b` is `/b` (as nginx and Tomcat read it), not `/a/b`.
//  7. A segment that starts or ends with a space (raw or `%20`; next to a kept `%2F`/`%5C`
//     counts) is an error: backends that trim path tokens (Spring's trimTokens, Windows file
//     names) read `/admin%20` as `/admin`.
// Case is preserved (paths are case-sensitive); a trailing slash is preserved. The output
// is a fixed point: normalizing it again with the same options returns it unchanged.

export interface PathNormalizationOptions {
  /** What to do with `%2F`, `%5C` and a raw `\`. Default 'reject'. */
  escapedSlashes?: 'reject' | 'keep' | 'decode';
  /** What to do with `;` and `%3B`. Default 'reject'. */
  semicolons?: 'reject' | 'keep';
}

export type NormalizedPath =
  | { ok: true; path: string }
  | { ok: false; code: 'invalid_path'; message: string };

export const DEFAULT_PATH_NORMALIZATION: Readonly<Required<PathNormalizationOptions>> = Object.freeze({
  escapedSlashes: 'reject',
  semicolons: 'reject',
});

// Per ASCII code: what a raw character does.
const CONTROL = 0; // error
const RAW = 1; // kept as is
const ENCODE = 2; // percent-encoded
const SPECIAL = 3; // `/`, `\`, `;`, `%`: handled in the loop

const RAW_CLASS: Uint8Array = (() => {
  const table = new Uint8Array(128).fill(ENCODE);
  for (let c = 0; c < 0x20; c++) table[c] = CONTROL;
  table[0x7f] = CONTROL;
  const raw = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@";
  for (const ch of raw) table[ch.charCodeAt(0)] = RAW;
  for (const ch of '/\\;%') table[ch.charCodeAt(0)] = SPECIAL;
  return table;
})();

const HEX = '0123456789ABCDEF';
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const SEMICOLON = 0x3b;
const PERCENT = 0x25;
// A space at a segment's start or end (a space is always `%20` here, and every `%` starts a
// triplet, so this is exact); a kept `%2F`/`%5C` counts as a segment boundary, since the
// backend may decode it into one.
const EDGE_SPACE = /(?:^|%2F|%5C)%20|%20(?:%2F|%5C|$)/;

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

function isUnreservedByte(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e
  );
}

function encodeByte(byte: number): string {
  return '%' + HEX[byte >> 4] + HEX[byte & 0xf];
}

const utf8 = new TextEncoder();

function invalid(message: string): NormalizedPath {
  return { ok: false, code: 'invalid_path', message };
}

function escapedSlashError(what: string): NormalizedPath {
  return invalid(
    `path contains ${what}; backends disagree on whether it separates segments, so it is ` +
      `rejected (configurable via Mesh pathNormalization.escapedSlashes: 'reject', 'keep' or 'decode')`,
  );
}

function semicolonError(what: string): NormalizedPath {
  return invalid(
    `path contains ${what}; some backends read servlet-style path parameters (\`/admin;x/\` ` +
      `reaches \`/admin/\`), so it is rejected (configurable via Mesh pathNormalization.semicolons: 'reject' or 'keep')`,
  );
}

/** Normalizes a raw request path (no query, no fragment) to Weft's canonical form. */
export function normalizePath(rawPath: string, options: PathNormalizationOptions = {}): NormalizedPath {
  const escapedSlashes = options.escapedSlashes ?? DEFAULT_PATH_NORMALIZATION.escapedSlashes;
  const semicolons = options.semicolons ?? DEFAULT_PATH_NORMALIZATION.semicolons;
  if (rawPath === '') return { ok: true, path: '/' };
  if (rawPath.charCodeAt(0) !== SLASH) return invalid('path must start with "/"');

  // Segments as written, empty ones included; segments[0] follows the leading slash.
  const segments: string[] = [];
  let current = '';
  const length = rawPath.length;
  for (let i = 1; i < length; i++) {
    const code = rawPath.charCodeAt(i);
    if (code < 0x80) {
      const kind = RAW_CLASS[code];
      if (kind === RAW) {
        current += rawPath[i];
        continue;
      }
      if (kind === CONTROL) {
        return invalid(`path contains control character 0x${code.toString(16).padStart(2, '0').toUpperCase()} at offset ${i}`);
      }
      if (kind === ENCODE) {
        current += encodeByte(code);
        continue;
      }
      // SPECIAL
      if (code === SLASH) {
        segments.push(current);
        current = '';
      } else if (code === BACKSLASH) {
        if (escapedSlashes === 'reject') return escapedSlashError('a backslash "\\"');
        if (escapedSlashes === 'keep') current += '%5C';
        else {
          segments.push(current);
          current = '';
        }
      } else if (code === SEMICOLON) {
        if (semicolons === 'reject') return semicolonError('";"');
        current += ';';
      } else if (code === PERCENT) {
        const high = i + 1 < length ? hexValue(rawPath.charCodeAt(i + 1)) : -1;
        const low = i + 2 < length ? hexValue(rawPath.charCodeAt(i + 2)) : -1;
        if (high < 0 || low < 0) {
          return invalid(`path has an invalid percent-encoding "${rawPath.slice(i, i + 3)}" at offset ${i}`);
        }
        const byte = (high << 4) | low;
        if (byte < 0x20 || byte === 0x7f) {
          return invalid(`path contains an encoded control character "${rawPath.slice(i, i + 3)}" at offset ${i}; a backend that decodes it may cut the path there or read a new line`);
        }
        i += 2;
        if (byte === SLASH || byte === BACKSLASH) {
          if (escapedSlashes === 'reject') {
            return escapedSlashError(`an encoded ${byte === SLASH ? 'slash "%2F"' : 'backslash "%5C"'}`);
          }
          if (escapedSlashes === 'keep') current += encodeByte(byte);
          else {
            segments.push(current);
            current = '';
          }
        } else if (byte === SEMICOLON) {
          if (semicolons === 'reject') return semicolonError('an encoded ";" ("%3B")');
          current += '%3B';
        } else if (isUnreservedByte(byte)) {
          current += String.fromCharCode(byte);
        } else {
          current += encodeByte(byte);
        }
      }
      continue;
    }
    // Non-ASCII: percent-encode its UTF-8 bytes; an unpaired surrogate has no UTF-8 form.
    let end = i + 1;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = i + 1 < length ? rawPath.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return invalid(`path has an unpaired UTF-16 surrogate at offset ${i}`);
      end = i + 2;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return invalid(`path has an unpaired UTF-16 surrogate at offset ${i}`);
    }
    for (const byte of utf8.encode(rawPath.slice(i, end))) current += encodeByte(byte);
    i = end - 1;
  }
  segments.push(current);

  const output: string[] = [];
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment.includes('%20') && EDGE_SPACE.test(segment)) {
      return invalid(
        `path segment "${segment}" starts or ends with a space; backends that trim path segments would read it without, so it is rejected`,
      );
    }
    if (segment === '..') output.pop();
    else output.push(segment);
  }
  if (output.length === 0) return { ok: true, path: '/' };
  const last = segments[segments.length - 1];
  const trailingSlash = last === '' || last === '.' || last === '..';
  return { ok: true, path: '/' + output.join('/') + (trailingSlash ? '/' : '') };
}

/**
 * Splits a raw request target (`/a/b?x=1#f`, as in an HTTP/1 request line) into the raw
 * path and the raw query (without the `?`); a fragment, which clients should not send, is
 * dropped.
 */
export function splitPathAndQuery(rawTarget: string): { path: string; query: string } {
  const hash = rawTarget.indexOf('#');
  const target = hash === -1 ? rawTarget : rawTarget.slice(0, hash);
  const question = target.indexOf('?');
  if (question === -1) return { path: target, query: '' };
  return { path: target.slice(0, question), query: target.slice(question + 1) };
}
