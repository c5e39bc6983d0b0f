// A port given on the command line: an integer from 1 to 65535, or, for a flag that names the
// first of `span` consecutive ports, one that leaves room for all of them. Usage error otherwise.
import { CliError, EXIT_USAGE } from './exit-codes.ts';

export function parsePortFlag(flag: string, value: string, span = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n + span - 1 > 65535) throw new CliError(`${flag} must be a port from 1 to ${65536 - span}, got ${value}`, EXIT_USAGE);
  return n;
}
