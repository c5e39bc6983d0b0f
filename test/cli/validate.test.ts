// `weft validate`, run as a user runs it: exit codes, the one-line summary, and every error
// as `file:line:col: path: message` pointing at the right place in the YAML.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePaths } from '../../cli/compile-sources.ts';
import { snapshotVersion } from '../../core/snapshot/build.ts';
import { doc, tempDir, useTempDir, weft } from '../fixtures/cli/weft.ts';

const SERVICES = doc('Service', 'reviews', ['port: 9080', 'subsets:', '  - { name: v1, labels: { version: v1 } }', '  - { name: v2, labels: { version: v2 } }']);

let dir: string;
useTempDir('weft-validate-', (d) => {
  dir = d;
});

/** Writes `files` (name → text) into a fresh sub-folder and validates those files from inside it. */
async function validate(name: string, files: Record<string, string>, extraArgs: string[] = []) {
  const cwd = join(dir, name);
  await mkdir(cwd, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(cwd, file), text);
  return weft(['validate', ...extraArgs, ...Object.keys(files)], { cwd });
}

/** stderr lines without the closing "N errors in …" summary. */
const errorLines = (stderr: string) => stderr.trimEnd().split('\n').slice(0, -1);

describe('weft validate: valid input', () => {
  it('validates the shipped policies: exit 0 and one summary line with the snapshot version', async () => {
    const expected = await compilePaths(['policies']);
    if (!expected.ok) throw new Error('shipped policies do not compile');
    const version = await snapshotVersion(expected.body);
    const r = await weft(['validate', 'policies/']);
    expect(r).toEqual({ status: 0, stderr: '', stdout: `valid: ${expected.documents} documents in ${expected.files.length} files, version ${version.slice(0, 12)}\n` });
    expect(r.stdout).toMatch(/^valid: \d+ documents in \d+ files, version [0-9a-f]{12}\n$/);
  });

  it('--json prints valid: true with the full version', async () => {
    const r = await weft(['validate', '--json', 'policies/']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ valid: true, errors: [] });
    expect(json.version).toMatch(/^[0-9a-f]{64}$/);
    expect(json.documents).toBeGreaterThan(0);
    expect(json.files).toBeGreaterThan(0);
  });

  describe('two routes matching exactly the same requests on the same host', () => {
    const cart = (name: string, rule: string) =>
      doc('Route', name, ['edge: { hosts: [shop.example.com] }', 'rules:', `  - name: ${rule}`, '    matches:', '      - path: { prefix: /cart }', '    backends: [{ service: reviews }]']);
    const files = { 'routes.yaml': `${cart('one', 'cart')}---\n${cart('two', 'basket')}`, 'services.yaml': SERVICES };
    // `---` is line 12, so the second document starts on line 13; its match block is on line 22, column 11.
    const warning =
      'routes.yaml:22:11: spec.rules[0].matches[0]: matches exactly the same requests on host shop.example.com as Route "default/one" rule "cart"; that rule wins and this one never matches there';

    it('a warning at the later one, naming the earlier, which wins; exit 0', async () => {
      const r = await validate('identical', files);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe(`warning: ${warning}\n`);
      expect(r.stdout).toMatch(/^valid: 3 documents in 2 files, version [0-9a-f]{12}, 1 warning\n$/);
    });

    it('--json: valid, the warning listed under warnings', async () => {
      const r = await validate('identical-json', files, ['--json']);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        valid: true,
        errors: [],
        warnings: [{ file: 'routes.yaml', line: 22, column: 11, path: 'spec.rules[0].matches[0]', code: 'identical-match', message: warning.replace(/^.*?matches\[0\]: /, '') }],
      });
    });
  });
});

describe('weft validate: invalid input (exit 1, file:line:col: path: message)', () => {
  it('a missing file', async () => {
    const { dir: cwd, cleanup: done } = await tempDir();
    try {
      const r = await weft(['validate', 'missing.yaml'], { cwd });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('missing.yaml:1:1: no such file or folder\n1 error in missing.yaml\n');
      expect(r.stdout).toBe('');
    } finally {
      await done();
    }
  });

  it('a folder with no YAML files', async () => {
    const cwd = join(dir, 'empty-folder');
    await mkdir(join(cwd, 'policies'), { recursive: true });
    await writeFile(join(cwd, 'policies', 'README.md'), '# not a policy\n');
    const r = await weft(['validate', 'policies'], { cwd });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('policies:1:1: no policy files (*.yaml, *.yml) in this folder\n1 error in policies\n');
  });

  it('unreadable YAML (tab indentation)', async () => {
    const r = await validate('syntax', { 'tab.yaml': 'apiVersion: weft/v1\nkind: Service\nmetadata:\n\tname: a\nspec:\n  port: 80\n' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tab.yaml:4:1: invalid YAML: Tabs are not allowed as indentation\n1 error in tab.yaml\n');
  });

  it('duplicate keys, at the second key', async () => {
    const r = await validate('dup', { 'dup.yaml': 'apiVersion: weft/v1\nkind: Service\nmetadata:\n  name: a\n  name: b\nspec:\n  port: 80\n' });
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toEqual(['dup.yaml:5:3: invalid YAML: Map keys must be unique']);
  });

  it('an unknown kind', async () => {
    const r = await validate('kind', { 'kind.yaml': 'apiVersion: weft/v1\nkind: Gateway\nmetadata:\n  name: a\nspec: {}\n' });
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      'kind.yaml:2:7: kind: unknown kind "Gateway"; expected one of Mesh, Service, Route, Authentication, AccessPolicy, RateLimit',
    ]);
  });

  it('an unknown field in spec, at the field', async () => {
    // line 7: `  colour: blue` — the key is at column 3.
    const r = await validate('unknown-spec', { 'svc.yaml': doc('Service', 'a', ['port: 80', 'colour: blue']) });
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toEqual(['svc.yaml:7:3: spec.colour: unknown field "colour"']);
  });

  it('an unknown field in a nested rule, at the field (not at its value on the next line)', async () => {
    const route = doc('Route', 'r', [
      'mesh: { services: [reviews] }', // 6
      'rules:', // 7
      '  - name: a', // 8
      '    backends:', // 9
      '      - service: reviews', // 10
      '    colour:', // 11: the unknown key, column 7 (doc() indents spec lines by two)
      '      shade: blue', // 12
    ]);
    const r = await validate('unknown-nested', { 'route.yaml': route, 'services.yaml': SERVICES });
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toEqual(['route.yaml:11:7: spec.rules[0].colour: unknown field "colour"']);
  });

  it('a value of the wrong type', async () => {
    const r = await validate('type', { 'svc.yaml': doc('Service', 'a', ['port: eighty']) });
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toEqual(['svc.yaml:6:9: spec.port: expected number, received string']);
  });

  it('a bad regex in a path match', async () => {
    const route = doc('Route', 'r', [
      'mesh: { services: [reviews] }', // 6
      'rules:', // 7
      '  - name: a', // 8
      '    matches:', // 9
      '      - path: { regex: "/a(b" }', // 10: the pattern starts at column 26
      '    backends: [{ service: reviews }]', // 11
    ]);
    const r = await validate('regex', { 'route.yaml': route, 'services.yaml': SERVICES });
    expect(r.status).toBe(1);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^route\.yaml:10:26: spec\.rules\[0\]\.matches\[0\]\.path\.regex: invalid regex: .*\/a\(b/);
  });

  it('weights out of range: over 1000000, and below 0', async () => {
    const route = doc('Route', 'r', [
      'mesh: { services: [reviews] }', // 6
      'rules:', // 7
      '  - name: a', // 8
      '    matches: [{ path: { prefix: /a } }]', // 9
      '    backends:', // 10
      '      - { service: reviews, subset: v1, weight: 2000000 }', // 11: the weight at column 51
      '      - { service: reviews, subset: v2, weight: -1 }', // 12
    ]);
    const r = await validate('weights', { 'route.yaml': route, 'services.yaml': SERVICES });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      [
        'route.yaml:11:51: spec.rules[0].backends[0].weight: Too big: expected number to be <=1000000',
        'route.yaml:12:51: spec.rules[0].backends[1].weight: Too small: expected number to be >=0',
        '2 errors in route.yaml services.yaml',
        '',
      ].join('\n'),
    );
  });

  it('relative weights that do not sum to 100, and backends without weights, are valid', async () => {
    const route = doc('Route', 'r', [
      'mesh: { services: [reviews] }',
      'rules:',
      '  - name: a',
      '    matches: [{ path: { prefix: /a } }]',
      '    backends:',
      '      - { service: reviews, subset: v1, weight: 60 }',
      '      - { service: reviews, subset: v2, weight: 50 }',
      '  - name: b',
      '    backends:',
      '      - { service: reviews, subset: v1 }',
      '      - { service: reviews, subset: v2 }',
    ]);
    const r = await validate('relative', { 'route.yaml': route, 'services.yaml': SERVICES });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('references to a missing Service and to a missing subset', async () => {
    const route = doc('Route', 'r', [
      'mesh: { services: [reviews] }', // 6
      'rules:', // 7
      '  - name: a', // 8
      '    matches: [{ path: { prefix: /a } }]', // 9
      '    backends:', // 10
      '      - service: ratings', // 11: value at column 20
      '  - name: b', // 12
      '    backends:', // 13
      '      - { service: reviews, subset: v9 }', // 14: v9 at column 39
    ]);
    const r = await validate('refs', { 'route.yaml': route, 'services.yaml': SERVICES });
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      'route.yaml:11:20: spec.rules[0].backends[0].service: Service "default/ratings" does not exist',
      'route.yaml:14:39: spec.rules[1].backends[0].subset: Service "default/reviews" has no subset "v9" (it has: v1, v2)',
    ]);
  });

  it('collects every error, from every file, sorted by file', async () => {
    const r = await validate('two-files', {
      'z-last.yaml': doc('Service', 'z', ['port: 0']),
      'a-first.yaml': doc('Service', 'a', ['port: 80', 'protocol: gopher']),
    });
    expect(r.status).toBe(1);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^a-first\.yaml:7:13: spec\.protocol: /);
    expect(lines[1]).toMatch(/^z-last\.yaml:6:9: spec\.port: /);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('2 errors in z-last.yaml a-first.yaml');
  });

  it('--json on invalid input prints {valid: false, errors: [...]} on stdout and exits 1', async () => {
    const r = await validate('json', { 'svc.yaml': doc('Service', 'a', ['port: eighty']) }, ['--json']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      valid: false,
      errors: [{ file: 'svc.yaml', line: 6, column: 9, path: 'spec.port', message: 'expected number, received string', code: 'schema' }],
      warnings: [],
    });
  });
});
