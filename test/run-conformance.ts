// `npm run test:conformance`: the Gateway API conformance cases on both data planes (the
// gateway Worker in workerd, a sidecar outbound on 127.0.0.1), then one line per plane,
// `<plane>: N of M cases pass`, the cases that failed, and the cases Weft does not run and why.
// The same test files also run inside `npm test`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { notExpressible } from './conformance/gateway-api/index.ts';

const PLANE_FILES = { gateway: 'test/workers/gateway-api-conformance.test.ts', sidecar: 'test/sidecar/gateway-api-conformance.test.ts' } as const;

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: string;
  failureMessages: string[];
}
interface Results {
  testResults: { name: string; assertionResults: AssertionResult[]; message?: string }[];
}

const resultFile = '.weft/conformance-results.json';
mkdirSync('.weft', { recursive: true });
rmSync(resultFile, { force: true });

const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${resultFile}`, ...Object.values(PLANE_FILES)],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);

let results: Results;
try {
  results = JSON.parse(readFileSync(resultFile, 'utf8')) as Results;
} catch {
  console.log('conformance: no results (vitest did not finish)');
  process.exit(run.status || 1);
}

const lines: string[] = [];
const failures: string[] = [];
for (const [plane, file] of Object.entries(PLANE_FILES)) {
  const fileResult = results.testResults.find((t) => t.name.endsWith(file));
  const cases = fileResult?.assertionResults ?? [];
  const passed = cases.filter((c) => c.status === 'passed');
  lines.push(`${plane}: ${passed.length} of ${cases.length} cases pass${fileResult?.message ? ` (${fileResult.message.split('\n')[0]})` : ''}`);
  for (const c of cases.filter((x) => x.status !== 'passed')) {
    // The first line says what failed; a refused policy's first error is on the next.
    const message = (c.failureMessages[0] ?? c.status).split('\n').filter((l) => l.trim() !== '');
    const why = (message[0]?.endsWith(':') ? `${message[0]} ${message[1] ?? ''}` : (message[0] ?? '')).slice(0, 300);
    failures.push(`  ${plane}  ${[...c.ancestorTitles, c.title].join(' / ')}\n          ${why}`);
  }
}

console.log('');
if (failures.length > 0) console.log(['failing cases:', ...failures, ''].join('\n'));
console.log(['not expressible in Weft (docs/routing.md#gateway-api-conformance):', ...notExpressible().map((n) => `  ${n.test}${n.case ? ` / ${n.case}` : ''}: ${n.reason}`), ''].join('\n'));
console.log(lines.join('\n'));
process.exit(run.status ?? 1);
