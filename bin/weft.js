#!/usr/bin/env node
// The `weft` command. Node 22 strips TypeScript types natively, so the CLI runs from source.
import { runCli } from '../cli/main.ts';

await runCli(process.argv.slice(2));
