// `weft history`: the push and rollback history (GET /v1/snapshots), newest first.
import type { Command } from 'commander';
import { controlApi, controlFailure, formatTable, shortVersion, withControlOptions } from '../control-api.ts';
import type { ControlFlags } from '../control-api.ts';
import { EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';

interface HistoryEntry {
  version: string;
  action: string;
  at: string;
  metadata: { createdAt?: string; source?: { author?: string; message?: string; commit?: string } };
}

export function registerHistory(program: Command, io: Io): void {
  withControlOptions(
    program
      .command('history')
      .description('List pushes and rollbacks, newest first; * marks the current version.')
      .option('--limit <n>', 'how many entries (1-200)', '50')
      .option('--json', 'print control’s answer as JSON'),
  ).action(async (opts: ControlFlags & { json?: boolean; limit: string }) => {
    const api = await controlApi(opts);
    let body: { current: string | null; history: HistoryEntry[] };
    try {
      body = (await api.call<typeof body>('GET', `/v1/snapshots?limit=${encodeURIComponent(opts.limit)}`)).body;
    } catch (e) {
      throw controlFailure(e, 'cannot read the history');
    }
    if (opts.json) io.out(`${JSON.stringify(body, null, 2)}\n`);
    else if (body.history.length === 0) io.out('nothing has been pushed yet\n');
    else {
      const rows = body.history.map((h, i) => [
        i === 0 && h.version === body.current ? '*' : '',
        shortVersion(h.version),
        h.at,
        h.action,
        h.metadata.source?.author ?? '',
        (h.metadata.source?.message ?? '').replace(/\s+/g, ' '),
      ]);
      io.out(formatTable([['', 'VERSION', 'AT', 'ACTION', 'AUTHOR', 'MESSAGE'], ...rows]));
    }
    io.exit(EXIT_OK);
  });
}
