// `weft diff` between policy folders, snapshot JSON files and signed snapshots: the review a
// pull request gets, the same whichever form each side comes in.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICIES, doc, tempDir, weft } from '../fixtures/cli/weft.ts';

let dir: string;
let cleanup: () => Promise<void>;
const p = (name: string) => join(dir, name);

/** The expected review of the change made to `new/` below. */
const EXPECTED = [
  '~ Route default/reviews',
  '    ~ rule default: weights: default/reviews/v1 90% → 50%, default/reviews/v3 10% → 50%',
  '- AccessPolicy default/details-callers  [LOOSENED]',
  '    Service default/details: no allow policy left, open to every caller',
  '',
  '0 added, 1 removed, 1 changed; 1 loosened, 0 tightened',
  '',
].join('\n');

async function edit(file: string, change: (text: string) => string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const changed = change(text);
  if (changed === text) throw new Error(`fixture edit did not apply to ${file}`);
  await writeFile(file, changed);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('weft-diff-'));
  await cp(POLICIES, p('old'), { recursive: true });
  await cp(POLICIES, p('new'), { recursive: true });
  // Move reviews traffic 90/10 → 50/50, and drop the only allow policy on details.
  await edit(p('new/bookinfo/routes.yaml'), (t) => t.replace('subset: v1, weight: 90', 'subset: v1, weight: 50').replace('subset: v3, weight: 10', 'subset: v3, weight: 50'));
  await edit(p('new/bookinfo/access.yaml'), (t) =>
    t
      .split(/^---\n/m)
      .filter((d) => !/^ {2}name: details-callers$/m.test(d))
      .join('---\n'),
  );
  const [keys, oldJson, newJson] = await Promise.all([
    weft(['keys', 'generate', '--out', p('keys')]),
    weft(['compile', p('old'), '--out', p('snapshots/old.json')]),
    weft(['compile', p('new'), '--out', p('snapshots/new.json')]),
  ]);
  expect([keys.status, oldJson.status, newJson.status]).toEqual([0, 0, 0]);
  const signed = await weft(['compile', p('old'), '--key', p('keys/signing-key.jwk'), '--out', p('snapshots/old.jws')]);
  expect(signed.status).toBe(0);
}, 60_000);

afterAll(async () => {
  await cleanup();
});

describe('weft diff', () => {
  it('between two policy folders: the weight move and the loosened access policy', async () => {
    const r = await weft(['diff', p('old'), p('new')]);
    expect(r).toEqual({ status: 0, stdout: EXPECTED, stderr: '' });
  });

  it('--json prints the same diff as JSON; --exit-code exits 3 when there are differences', async () => {
    const r = await weft(['diff', '--json', '--exit-code', p('old'), p('new')]);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({
      changes: [
        {
          kind: 'Route',
          id: 'default/reviews',
          change: 'changed',
          details: ['~ rule default: weights: default/reviews/v1 90% → 50%, default/reviews/v3 10% → 50%'],
          effect: null,
        },
        { kind: 'AccessPolicy', id: 'default/details-callers', change: 'removed', details: ['Service default/details: no allow policy left, open to every caller'], effect: 'loosened' },
      ],
      summary: { added: 0, removed: 1, changed: 1, loosened: 1, tightened: 0 },
    });
  });

  it('of a folder with itself: "No changes.", exit 0 even with --exit-code', async () => {
    const r = await weft(['diff', '--exit-code', p('old'), p('old')]);
    expect(r).toEqual({ status: 0, stdout: 'No changes.\n', stderr: '' });
  });

  it('between two snapshot files produced by compile', async () => {
    const r = await weft(['diff', p('snapshots/old.json'), p('snapshots/new.json')]);
    expect(r).toEqual({ status: 0, stdout: EXPECTED, stderr: '' });
  });

  it('between a signed snapshot (JWS) and a policy folder', async () => {
    const r = await weft(['diff', p('snapshots/old.jws'), p('new')]);
    expect(r).toEqual({ status: 0, stdout: EXPECTED, stderr: '' });
  });

  it('between a signed snapshot and the folder it was compiled from: "No changes."', async () => {
    const r = await weft(['diff', p('snapshots/old.jws'), p('old')]);
    expect(r).toEqual({ status: 0, stdout: 'No changes.\n', stderr: '' });
  });

  it('a side with policy errors: the errors, "cannot diff", exit 1', async () => {
    const bad = p('bad.yaml');
    await writeFile(bad, doc('Service', 'a', ['port: eighty']));
    const r = await weft(['diff', p('old'), bad]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(':6:9: spec.port: expected number, received string\n');
    expect(r.stderr).toContain(`cannot diff: ${bad} has errors`);
  });
});
