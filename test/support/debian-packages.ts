// Debian tools the tests and benchmarks drive (wrk, nginx, h2load…), and the headers a
// benchmark builds against (ensureDebianFiles), found on PATH or installed from Debian's
// packages when missing: `apt-get install -y --no-install-recommends`, after `apt-get update`
// if the package lists do not know them, as root or through passwordless sudo. Never by hand:
// a fresh machine gets them the first time a test or benchmark needs them. Throws with what to
// do when that is impossible. Packaged services are never started here: a package whose
// install would start one (prometheus) is unpacked instead (ensureUnpackedDebianCommand).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function which(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

function aptGet(args: string[], useSudo: boolean): { ok: boolean; output: string } {
  const cmd = useSudo ? 'sudo' : 'apt-get';
  const argv = useSudo ? ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Installs `packages` (which provide `names`), as root or through passwordless sudo; throws with what to do otherwise. */
function installPackages(names: string, packages: string[], log: (line: string) => void): void {
  const isRoot = process.getuid?.() === 0;
  const canSudo = !isRoot && spawnSync('sudo', ['-n', 'true'], { timeout: 10_000 }).status === 0;
  if (!isRoot && !canSudo) throw new Error(`${names} not found, and this is neither root nor passwordless sudo: install them with\n  sudo apt-get install -y --no-install-recommends ${packages.join(' ')}\nand run again`);
  if (!which('apt-get')) throw new Error(`${names} not found and there is no apt-get here: install ${packages.join(' ')} with your package manager`);
  const install = ['install', '-y', '--no-install-recommends', ...packages];
  log(`installing ${names}: ${canSudo ? 'sudo ' : ''}apt-get ${install.join(' ')}`);
  let r = aptGet(install, canSudo);
  if (!r.ok && /Unable to locate package|has no installation candidate|Failed to fetch/.test(r.output)) {
    log('the package lists do not know them: apt-get update, then again');
    const u = aptGet(['update'], canSudo);
    if (!u.ok) throw new Error(`apt-get update failed:\n${u.output.slice(-2000)}`);
    r = aptGet(install, canSudo);
  }
  if (!r.ok) throw new Error(`apt-get install ${packages.join(' ')} failed:\n${r.output.slice(-2000)}`);
}

/**
 * The paths of `commands` (command name → Debian package that has it), installing the packages
 * of those missing. `installed`: the packages installed by this call.
 */
export function ensureDebianCommands(commands: Record<string, string>, log: (line: string) => void = () => undefined): { paths: Record<string, string>; installed: string[] } {
  const missing = Object.entries(commands).filter(([cmd]) => which(cmd) === null);
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  if (packages.length > 0) installPackages(missing.map(([cmd]) => cmd).join(', '), packages, log);
  const paths: Record<string, string> = {};
  const still: string[] = [];
  for (const cmd of Object.keys(commands)) {
    const p = which(cmd);
    if (p) paths[cmd] = p;
    else still.push(cmd);
  }
  if (still.length > 0) throw new Error(`after installing, still missing: ${still.join(', ')}`);
  return { paths, installed: packages };
}

/**
 * Files that are not commands (headers and libraries to build against: absolute path → Debian
 * package that has it), installing the packages of those missing. Returns the packages installed.
 */
export function ensureDebianFiles(files: Record<string, string>, log: (line: string) => void = () => undefined): string[] {
  const missing = Object.entries(files).filter(([file]) => !existsSync(file));
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  if (packages.length > 0) installPackages(missing.map(([file]) => file).join(', '), packages, log);
  const still = Object.keys(files).filter((file) => !existsSync(file));
  if (still.length > 0) throw new Error(`after installing, still missing: ${still.join(', ')}`);
  return packages;
}

/**
 * The path of `command` from Debian `pkg`, downloaded (`apt-get download`, no root needed) and
 * unpacked (`dpkg-deb -x`) under `cacheDir` rather than installed: no maintainer script runs, so
 * no service starts and no system user is made. Reuses what an earlier run unpacked there.
 * `path` is where the package puts the command (`usr/bin/promtool`).
 */
export function ensureUnpackedDebianCommand(pkg: string, path: string, cacheDir: string, log: (line: string) => void = () => undefined): string {
  const root = join(cacheDir, pkg);
  const command = join(root, 'root', path);
  if (existsSync(command)) return command;
  for (const tool of ['apt-get', 'dpkg-deb']) if (!which(tool)) throw new Error(`${path} (Debian package ${pkg}) is needed and there is no ${tool} here: install ${pkg} with your package manager`);
  mkdirSync(root, { recursive: true });
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  log(`downloading Debian ${pkg} into ${root}`);
  let r = run('apt-get', ['download', pkg]);
  if (r.status !== 0 && /Unable to locate package|has no installation candidate|Failed to fetch/.test(`${r.stdout}${r.stderr}`) && process.getuid?.() === 0) {
    log('the package lists do not know it: apt-get update, then again');
    const u = aptGet(['update'], false);
    if (!u.ok) throw new Error(`apt-get update failed:\n${u.output.slice(-2000)}`);
    r = run('apt-get', ['download', pkg]);
  }
  if (r.status !== 0) throw new Error(`apt-get download ${pkg} failed:\n${`${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.slice(-2000)}`);
  const deb = readdirSync(root).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg} left no ${pkg}_*.deb in ${root}`);
  const x = run('dpkg-deb', ['-x', deb, 'root']);
  if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb} failed:\n${`${x.stdout ?? ''}${x.stderr ?? ''}`.slice(-2000)}`);
  if (!existsSync(command)) throw new Error(`Debian ${pkg} has no ${path}`);
  return command;
}
