// `weft status`: every node that reports to control (GET /v1/status): what it applied,
// whether that is current, when it was last seen, and what it refused.
import type { Command } from 'commander';
import { ago, controlApi, controlFailure, formatTable, shortVersion, withControlOptions } from '../control-api.ts';
import type { ControlFlags } from '../control-api.ts';
import { EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';

interface NodeRow {
  nodeId: string;
  kind: string;
  service: string;
  appliedVersion: string | null;
  rejected: { version: string; reason: string } | null;
  lastSeen: string;
  stale: boolean;
  converged: boolean;
}

export function registerStatus(program: Command, io: Io): void {
  withControlOptions(
    program
      .command('status')
      .description('Show every gateway and sidecar reporting to control: applied version, converged, last seen, refusals.')
      .option('--json', 'print control’s answer as JSON'),
  ).action(async (opts: ControlFlags & { json?: boolean }) => {
    const api = await controlApi(opts);
    let body: { current: string | null; nodes: NodeRow[] };
    try {
      body = (await api.call<typeof body>('GET', '/v1/status')).body;
    } catch (e) {
      throw controlFailure(e, 'cannot read the status');
    }
    if (opts.json) {
      io.out(`${JSON.stringify(body, null, 2)}\n`);
      io.exit(EXIT_OK);
      return;
    }
    io.out(`current: ${body.current ? shortVersion(body.current) : 'none (nothing pushed yet)'}\n`);
    if (body.nodes.length === 0) io.out('no nodes have reported\n');
    else {
      const now = Date.now();
      const rows = body.nodes.map((n) => [
        n.nodeId,
        n.kind,
        n.service || '-',
        shortVersion(n.appliedVersion),
        n.converged ? 'yes' : 'no',
        `${ago(n.lastSeen, now)}${n.stale ? ' (stale)' : ''}`,
        n.rejected ? `${shortVersion(n.rejected.version)}: ${n.rejected.reason.replace(/\s+/g, ' ')}` : '',
      ]);
      io.out(`\n${formatTable([['NODE', 'KIND', 'SERVICE', 'APPLIED', 'CONVERGED', 'LAST SEEN', 'REJECTED'], ...rows])}`);
    }
    io.exit(EXIT_OK);
  });
}
