// `weft schema`: write (or --check) the JSON Schemas generated from the zod schemas.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { policyJsonSchemas, schemaFileText } from '../../core/policy/json-schema.ts';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';

export function registerSchema(program: Command, io: Io): void {
  program
    .command('schema')
    .description('Write the JSON Schema of every policy kind (for editors and CI), or check they are current.')
    .option('-o, --out <dir>', 'output folder', 'schemas')
    .option('--check', 'do not write; exit 1 if the files in --out differ from what would be written')
    .action(async (opts: { out: string; check?: boolean }) => {
      const schemas = Object.entries(policyJsonSchemas());
      if (opts.check) {
        const stale: string[] = [];
        for (const [name, schema] of schemas) {
          const current = await readFile(join(opts.out, name), 'utf8').catch(() => '');
          if (current !== schemaFileText(schema)) stale.push(join(opts.out, name));
        }
        if (stale.length > 0) {
          io.err(`out of date: ${stale.join(', ')}\nrun: npx weft schema --out ${opts.out}\n`);
          io.exit(EXIT_INVALID);
        } else io.out(`${schemas.length} schemas in ${opts.out} are current\n`);
        return;
      }
      await mkdir(opts.out, { recursive: true });
      for (const [name, schema] of schemas) await writeFile(join(opts.out, name), schemaFileText(schema));
      io.out(`wrote ${schemas.length} schemas to ${opts.out}\n`);
      io.exit(EXIT_OK);
    });
}
