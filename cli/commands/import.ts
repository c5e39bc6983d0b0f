// `weft import gateway-api <files…>`: Kubernetes Gateway API routes → Weft Route and Service
// documents (stdout, or routes.yaml + services.yaml under --out), a note on stderr for each
// field that could not be carried over, and a check that the result validates.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { compileDocuments } from '../../core/compile/compile.ts';
import { formatPolicyError } from '../../core/policy/errors.ts';
import type { PolicyError } from '../../core/policy/errors.ts';
import { loadPolicyYaml } from '../../core/policy/load-yaml.ts';
import { CliError, EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import { importGatewayApi } from '../gateway-api/import.ts';
import { formatNote } from '../gateway-api/notes.ts';
import { documentsToYaml } from '../gateway-api/write-yaml.ts';
import type { Io } from '../io.ts';
import { readPolicyTexts } from '../policy-files.ts';
import { printWarnings } from './validate.ts';

interface ImportOptions {
  out?: string;
  force?: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Compiles the written texts together, as `weft validate` would: its errors ([] when valid) and warnings. */
function validate(texts: Record<string, string>): { errors: PolicyError[]; warnings: PolicyError[] } {
  const loaded = Object.entries(texts).map(([name, text]) => loadPolicyYaml(name, text));
  const result = compileDocuments(loaded.flatMap((l) => l.documents));
  return { errors: [...loaded.flatMap((l) => l.errors), ...(result.ok ? [] : result.errors)], warnings: result.warnings };
}

export function registerImport(program: Command, io: Io): void {
  const command = program.command('import').description('Translate routes written for another system into Weft policy.');
  command
    .command('gateway-api')
    .description(
      'Kubernetes Gateway API → Weft: HTTPRoutes and GRPCRoutes (v1, v1beta1, v1alpha2), with the Gateways whose listeners they attach to and the Kubernetes Services they name, become Weft Route and Service documents. Each field that cannot be carried over is one note on stderr (file:line: object field: why). Exit 1 when an input is unreadable, holds no route, or the result does not validate.',
    )
    .argument('<files...>', 'manifest files or folders (walked for *.yaml, *.yml); several documents per file')
    .option('-o, --out <dir>', 'write routes.yaml and services.yaml into this folder instead of printing the documents')
    .option('--force', 'with --out: replace routes.yaml and services.yaml if they exist')
    .action(async (files: string[], opts: ImportOptions) => {
      const read = await readPolicyTexts(files);
      const result = importGatewayApi(Object.entries(read.texts).map(([file, text]) => ({ file, text })));
      const unreadable = [...read.errors, ...result.errors];
      if (unreadable.length > 0) {
        for (const e of unreadable) io.err(`${formatPolicyError(e)}\n`);
        throw new CliError(`${plural(unreadable.length, 'error')} reading ${files.join(' ')}; nothing imported`, EXIT_INVALID);
      }
      if (result.routesFound === 0) throw new CliError(`no HTTPRoute or GRPCRoute in ${files.join(' ')}`, EXIT_INVALID);
      for (const n of result.notes) io.err(`${formatNote(n)}\n`);
      const header = `Written by \`weft import gateway-api\` from ${Object.keys(read.texts).join(', ')}.`;
      const services = result.documents.filter((d) => d.document.kind === 'Service');
      const routes = result.documents.filter((d) => d.document.kind === 'Route');
      let texts: Record<string, string>;
      if (opts.out) {
        texts = {};
        if (services.length) texts[join(opts.out, 'services.yaml')] = documentsToYaml(services, header);
        if (routes.length) texts[join(opts.out, 'routes.yaml')] = documentsToYaml(routes, header);
        if (!opts.force)
          for (const path of Object.keys(texts))
            if (await access(path).then(() => true, () => false)) throw new CliError(`${path} already exists; pass --force to replace it`, EXIT_INVALID);
        await mkdir(opts.out, { recursive: true });
        for (const [path, text] of Object.entries(texts)) await writeFile(path, text);
      } else {
        texts = { '<stdout>': documentsToYaml(result.documents, header) };
        io.out(texts['<stdout>'] as string);
      }
      const where = opts.out ? ` to ${Object.keys(texts).join(' and ')}` : '';
      io.err(`imported ${plural(routes.length, 'Route')} and ${plural(services.length, 'Service')}${where}; ${plural(result.notes.length, 'note')}\n`);
      const { errors: invalid, warnings } = validate(texts);
      printWarnings(io, warnings);
      if (invalid.length > 0) {
        for (const e of invalid) io.err(`${formatPolicyError(e)}\n`);
        io.err(`the imported policy does not validate (${plural(invalid.length, 'error')}): fix it before weft validate or push\n`);
        io.exit(EXIT_INVALID);
        return;
      }
      io.exit(EXIT_OK);
    });
}
