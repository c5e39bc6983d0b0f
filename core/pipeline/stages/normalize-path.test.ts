// normalize-path: the one path routing and access policy see, or 400 invalid_path.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { doc, fixture, meshDoc, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import { normalizePathStage } from './normalize-path.ts';

const SERVICE = doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1');

let strict: SnapshotRuntime;
let lenient: SnapshotRuntime;
beforeAll(async () => {
  strict = await runtimeOf([meshDoc(), SERVICE].join('---\n'));
  lenient = await runtimeOf([meshDoc('pathNormalization:\n  escapedSlashes: keep\n  semicolons: keep'), SERVICE].join('---\n'));
});

describe('normalize-path stage', () => {
  it('sets the normalized path for routing and as the upstream path', () => {
    const { c } = fixture({ runtime: strict, request: { path: '/a/./b//c/../%64?x=1' } });
    expect(normalizePathStage(c)).toBeUndefined();
    expect(c.path).toBe('/a/b/d');
    expect(c.upstreamPath).toBe('/a/b/d');
  });

  it('reads an empty path as /', () => {
    const { c } = fixture({ runtime: strict, request: { path: '' } });
    expect(normalizePathStage(c)).toBeUndefined();
    expect(c.path).toBe('/');
  });

  it('refuses an encoded slash with 400 invalid_path under the default Mesh setting', () => {
    const { c } = fixture({ runtime: strict, request: { path: '/admin%2F..' } });
    expect(normalizePathStage(c)).toEqual({
      status: 400,
      code: 'invalid_path',
      message:
        "path contains an encoded slash \"%2F\"; backends disagree on whether it separates segments, so it is rejected (configurable via Mesh pathNormalization.escapedSlashes: 'reject', 'keep' or 'decode')",
      headers: {},
    });
    expect(c.path).toBe('');
  });

  it('refuses a semicolon and an encoded control character', () => {
    const semi = fixture({ runtime: strict, request: { path: '/admin;x/' } });
    expect(normalizePathStage(semi.c)).toMatchObject({ status: 400, code: 'invalid_path', message: expect.stringContaining('path contains ";"') });
    const nul = fixture({ runtime: strict, request: { path: '/admin%00.png' } });
    expect(normalizePathStage(nul.c)).toMatchObject({ status: 400, code: 'invalid_path', message: expect.stringContaining('encoded control character "%00" at offset 6') });
  });

  it("follows the Mesh's pathNormalization settings", () => {
    const { c } = fixture({ runtime: lenient, request: { path: '/a%2fb;c' } });
    expect(normalizePathStage(c)).toBeUndefined();
    expect(c.path).toBe('/a%2Fb;c');
  });
});
