// `npm run bench`: runs every bench/*.bench.ts in its own process, one after another, so one
// benchmark's heap and JIT state cannot skew the next. Each prints its own baseline ratios.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, [`bench/${f}`], { stdio: 'inherit', timeout: 300_000 });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
