// `weft --help`, per-command help, and usage errors: exit 0 for help, exit 2 with a one-line
// message (never a stack trace) for an unknown flag, command or missing argument.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, weft } from '../fixtures/cli/weft.ts';

describe('weft help', () => {
  it('--help lists every command and exits 0', async () => {
    const r = await weft(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: weft \[options\] \[command\]/);
    for (const command of ['validate', 'compile', 'diff', 'schema', 'import', 'export', 'keys', 'verify', 'hash-key']) expect(r.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it.each([
    [['validate'], ['<paths...>', '--json']],
    [['compile'], ['<paths...>', '--out <file>', '--key <file>', '--commit <sha>', '--author <name>', '--message <text>']],
    [['diff'], ['<old> <new>', '--json', '--exit-code']],
    [['schema'], ['--out <dir>', '--check']],
    [['keys', 'generate'], ['--alg <alg>', 'ES256', 'EdDSA', '--out <dir>']],
    [['verify'], ['<snapshot>', '--trust <jwks>']],
    [['hash-key'], ['stdin']],
    [['import', 'gateway-api'], ['<files...>', '--out <dir>', '--force', 'HTTPRoutes and GRPCRoutes']],
    [['export', 'gateway-api'], ['[paths...]', '--gateway <[namespace/]name>', '--out <file>', 'GRPCRoute']],
  ])('%s --help describes the command and its options, exit 0', async (command, mentions) => {
    const r = await weft([...command, '--help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: weft ${command.join(' ')} `));
    for (const m of mentions) expect(r.stdout).toContain(m);
  });

  it('--version prints the version', async () => {
    const r = await weft(['--version']);
    expect(r).toMatchObject({ status: 0, stdout: '0.1.0\n' });
  });
});

describe('weft usage errors (exit 2)', () => {
  it('an unknown flag', async () => {
    const r = await weft(['validate', '--nope', 'x']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--nope'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('an unknown command', async () => {
    const r = await weft(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('a missing argument and a missing required option', async () => {
    const [noPaths, noTrust] = await Promise.all([weft(['validate']), weft(['verify', 'snap.jws'])]);
    expect(noPaths.status).toBe(2);
    expect(noPaths.stderr).toContain("missing required argument 'paths'");
    expect(noTrust.status).toBe(2);
    expect(noTrust.stderr).toContain("required option '--trust <jwks>' not specified");
  });

  it('an invalid choice for keys generate --alg writes no key', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const r = await weft(['keys', 'generate', '--alg', 'HS256', '--out', 'keys'], { cwd: dir });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("'HS256' is invalid");
      expect(r.stderr).toContain('ES256');
      expect(existsSync(join(dir, 'keys'))).toBe(false);
    } finally {
      await cleanup();
    }
  });
});
