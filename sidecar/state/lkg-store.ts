// The sidecar's last-known-good state on disk: a folder (0700) of small files (0600), each
// written atomically (a temp file in the same folder, then rename), so a crash mid-write leaves
// the previous good file, never half a file. What is read back is verified by its user before
// it is trusted (snapshots and endpoints documents are signed).
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LKG_FILES = {
  identity: 'identity.json',
  bundle: 'bundle.json',
  snapshot: 'snapshot.jws',
  endpoints: 'endpoints.jws',
  /** The X.509-SVID's private key (never sent anywhere). */
  svidKey: 'svid-key.pem',
} as const;

export type LkgFile = (typeof LKG_FILES)[keyof typeof LKG_FILES];

export class LkgStore {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Creates the folder (0700) if needed, and tightens it if it exists. */
  static async open(dir: string): Promise<LkgStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    return new LkgStore(dir);
  }

  path(name: LkgFile): string {
    return join(this.dir, name);
  }

  /** The file's text, or undefined when it does not exist. */
  async read(name: LkgFile): Promise<string | undefined> {
    try {
      return await readFile(this.path(name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async write(name: LkgFile, text: string): Promise<void> {
    const tmp = join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, text, { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, this.path(name));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
