// Runs the whole vitest suite (Node and workerd projects) and ends with one plain line,
// `tests: N passed, N failed`, so CI logs show at a glance that tests really ran.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const resultFile = '.weft/test-results.json';
mkdirSync('.weft', { recursive: true });
rmSync(resultFile, { force: true });

const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultFile}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

let summary = 'tests: 0 passed, 0 failed (no results: vitest did not finish)';
try {
  const r = JSON.parse(readFileSync(resultFile, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  const skipped = r.numPendingTests + r.numTodoTests;
  summary = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
} catch {
  // keep the "no results" line: a crash before any result is a failure, and says so
}
console.log(summary);
process.exit(run.status ?? 1);
