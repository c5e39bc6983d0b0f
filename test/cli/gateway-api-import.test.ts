// `weft import gateway-api` on real manifests (the Gateway API conformance suite, Istio's and
// Envoy Gateway's examples): the Weft policy and notes each gives (golden files, UPDATE_GOLDEN=1
// regenerates), that the result validates, and the notes for what Weft cannot carry over.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { compileTexts, FIXTURES, importFixtures } from '../support/gateway-api.ts';

const GOLDEN = new URL('../../cli/gateway-api/testdata/import/', import.meta.url);

async function yamlFiles(dir: string): Promise<string[]> {
  return (await readdir(`${FIXTURES}${dir}`)).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${dir}/${f}`);
}

/** Each fixture with what it is imported together with: the Gateways and Services its suite shares. */
const CASES: { name: string; files: string[] }[] = [
  ...(await yamlFiles('conformance')).filter((f) => !f.endsWith('base-manifests.yaml')).map((f) => ({ name: f, files: [f, 'conformance/base-manifests.yaml'] })),
  ...(await yamlFiles('conformance/mesh')).filter((f) => !f.endsWith('/manifests.yaml')).map((f) => ({ name: f, files: [f, 'conformance/mesh/manifests.yaml'] })),
  ...(await yamlFiles('istio')).map((f) => ({ name: f, files: [f] })),
  ...(await yamlFiles('envoy-gateway')).map((f) => ({ name: f, files: [f] })),
];

function golden(files: readonly string[], yaml: string, notes: readonly string[]): string {
  const head = [`# weft import gateway-api ${files.join(' ')}`, ...(notes.length ? ['# notes:', ...notes.map((n) => `#   ${n}`)] : ['# notes: none'])];
  return `${head.join('\n')}\n${yaml}`;
}

describe('weft import gateway-api: golden output for each fixture', () => {
  it.each(CASES)('$name', async ({ name, files }) => {
    const r = importFixtures(files);
    expect(r.errors).toEqual([]);
    const text = golden(files, r.yaml, r.noteLines);
    const path = new URL(name.replace(/\.yaml$/, '.golden.yaml'), GOLDEN);
    if (process.env.UPDATE_GOLDEN) {
      await mkdir(dirname(path.pathname), { recursive: true });
      await writeFile(path, text);
    }
    expect(text).toBe(await readFile(path, 'utf8'));
  });
});

describe('weft import gateway-api: every imported result validates', () => {
  it.each(CASES)('$name', ({ files }) => {
    const r = importFixtures(files);
    const compiled = compileTexts({ 'imported.yaml': r.yaml });
    expect(compiled.ok ? [] : compiled.errors.map(formatPolicyError)).toEqual([]);
  });
});
