// `weft dev` with a port already taken: one clear error naming the port and the flag that
// moves it, and nothing started.
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weft } from '../fixtures/cli/weft.ts';
import { freeRange, listenOn } from '../support/dev-mesh.ts';

describe('weft dev with a busy port', () => {
  it('names the busy port and the flag that moves it, and starts nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-dev-busy-'));
    const busy = await listenOn();
    try {
      const port = (busy.address() as AddressInfo).port;
      const base = await freeRange(25);
      const res = await weft(['dev', '--gateway-port', String(port), '--control-port', String(base + 24), '--base-port', String(base)], { cwd: dir });
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(res.stderr).toContain('--gateway-port');
      expect(res.stdout).not.toContain('starting control');
    } finally {
      await new Promise((r) => busy.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
