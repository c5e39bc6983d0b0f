// `weft schema`: writes the JSON Schemas, and `--check` fails CI when they are missing or stale.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir, weft } from '../fixtures/cli/weft.ts';

let dir: string;
useTempDir('weft-schema-', (d) => {
  dir = d;
});

describe('weft schema', () => {
  it('--check exits 1 when the schemas folder is missing (default --out schemas)', async () => {
    const r = await weft(['schema', '--check'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^out of date: schemas\/\S+\.json/);
    expect(r.stderr).toContain('schemas/weft.json');
    expect(r.stdout).toBe('');
  });

  it('writes the schemas, then --check passes; a stale file makes --check fail again, naming it', async () => {
    const out = join(dir, 'generated');
    const written = await weft(['schema', '--out', out]);
    expect(written.status).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toContain('weft.json');
    expect(written.stdout.startsWith(`wrote ${files.length} `)).toBe(true);
    expect(written.stdout).toContain(out);
    const weftSchema = JSON.parse(await readFile(join(out, 'weft.json'), 'utf8')) as { anyOf: unknown[] };
    expect(weftSchema.anyOf).toHaveLength(files.length - 1);

    const current = await weft(['schema', '--check', '--out', out]);
    expect(current).toMatchObject({ status: 0, stderr: '' });
    expect(current.stdout.startsWith(`${files.length} `)).toBe(true);
    expect(current.stdout).toContain('current');

    await writeFile(join(out, 'weft.json'), '{}\n');
    const stale = await weft(['schema', '--check', '--out', out]);
    expect(stale.status).toBe(1);
    expect(stale.stderr.split('\n')[0]).toBe(`out of date: ${join(out, 'weft.json')}`);
  });
});
