#!/usr/bin/env node
// The `weft` command. Node 22 strips TypeScript types natively, so the CLI runs from source.
import '../cli/main.ts';
