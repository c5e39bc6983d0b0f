// `weft export gateway-api [paths…]`: Weft Routes → Kubernetes Gateway API HTTPRoutes and
// GRPCRoutes for what the spec can express; a note on stderr for everything it cannot.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { compileDocuments } from '../../core/compile/compile.ts';
import { formatPolicyError, sortPolicyErrors } from '../../core/policy/errors.ts';
import { CliError, EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import { exportGatewayApi } from '../gateway-api/export.ts';
import { formatNote } from '../gateway-api/notes.ts';
import { documentsToYaml } from '../gateway-api/write-yaml.ts';
import type { Io } from '../io.ts';
import { readPolicySources } from '../policy-files.ts';

interface ExportOptions {
  gateway: string;
  out?: string;
}

const GATEWAY_REF = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function registerExport(program: Command, io: Io): void {
  const command = program.command('export').description('Translate Weft policy for another system.');
  command
    .command('gateway-api')
    .description(
      'Weft → Kubernetes Gateway API: each Route becomes an HTTPRoute (a GRPCRoute when it only matches gRPC methods), attached to a Gateway for its edge hosts and to its Services (GAMMA) for the mesh. Each field the Gateway API cannot express (authentication, access, rate limits, fault injection, Mesh defaults…) is one note on stderr. Exit 1 when the policy does not validate.',
    )
    .argument('[paths...]', 'policy files or folders', ['policies'])
    .option('--gateway <[namespace/]name>', 'the Gateway edge routes attach to (its namespace: each route’s own when omitted)', 'weft')
    .option('-o, --out <file>', 'write the manifests to this file instead of stdout')
    .action(async (paths: string[], opts: ExportOptions) => {
      const gateway = GATEWAY_REF.exec(opts.gateway);
      if (!gateway) throw new CliError(`--gateway ${opts.gateway}: expected [namespace/]name`);
      const sources = await readPolicySources(paths);
      const compiled = compileDocuments(sources.documents);
      const errors = sortPolicyErrors([...sources.errors, ...(compiled.ok ? [] : compiled.errors)]);
      if (errors.length > 0 || !compiled.ok) {
        for (const e of errors) io.err(`${formatPolicyError(e)}\n`);
        throw new CliError(`${plural(errors.length, 'error')} in ${paths.join(' ')}; nothing exported`, EXIT_INVALID);
      }
      const result = exportGatewayApi(sources.documents, compiled.body, {
        gateway: { name: gateway[3] as string, ...(gateway[1] ? { namespace: gateway[1] } : {}) },
      });
      for (const n of result.notes) io.err(`${formatNote(n)}\n`);
      const text = documentsToYaml(result.documents, `Written by \`weft export gateway-api\` from ${paths.join(' ')}.`);
      if (opts.out) {
        await mkdir(dirname(opts.out), { recursive: true });
        await writeFile(opts.out, text);
      } else io.out(text);
      const kinds = result.documents.map((d) => (d.document as { kind: string }).kind);
      const grpc = kinds.filter((k) => k === 'GRPCRoute').length;
      io.err(`exported ${plural(kinds.length - grpc, 'HTTPRoute')} and ${plural(grpc, 'GRPCRoute')}${opts.out ? ` to ${opts.out}` : ''}; ${plural(result.notes.length, 'note')}\n`);
      io.exit(EXIT_OK);
    });
}
