// `weft schema`: write (or --check) the JSON Schemas generated from the zod schemas.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { policyReferenceMarkdown } from '../../core/policy/field-reference.ts';
import { policyJsonSchemas, schemaFileText } from '../../core/policy/json-schema.ts';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';

export function registerSchema(program: Command, io: Io): void {
  program
    .command('schema')
    .description('Write the JSON Schema of every policy kind (for editors and CI), or check they are current.')
    .option('-o, --out <dir>', 'output folder', 'schemas')
    .option('--docs <file>', 'also write the Markdown field reference generated from the same schemas')
    .option('--check', 'do not write; exit 1 if the files differ from what would be written')
    .action(async (opts: { out: string; docs?: string; check?: boolean }) => {
      const schemas: [string, string][] = Object.entries(policyJsonSchemas()).map(([name, schema]) => [join(opts.out, name), schemaFileText(schema)]);
      if (opts.docs) schemas.push([opts.docs, policyReferenceMarkdown()]);
      if (opts.check) {
        const stale: string[] = [];
        for (const [file, text] of schemas) {
          const current = await readFile(file, 'utf8').catch(() => '');
          if (current !== text) stale.push(file);
        }
        if (stale.length > 0) {
          io.err(`out of date: ${stale.join(', ')}\nrun: npm run schemas\n`);
          io.exit(EXIT_INVALID);
        } else io.out(`${schemas.length} files are current\n`);
        return;
      }
      for (const [file, text] of schemas) {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, text);
      }
      io.out(`wrote ${schemas.length} files (${opts.out}${opts.docs ? `, ${opts.docs}` : ''})\n`);
      io.exit(EXIT_OK);
    });
}
