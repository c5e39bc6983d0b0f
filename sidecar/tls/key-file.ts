// The workload's private key on disk: its own file in the state folder, 0600, written
// atomically (temp file, then rename), so a crash leaves the previous key, never half of one.
// The key is made here (createWorkloadCsr) and leaves the process only into this file.
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SVID_KEY_FILE = 'svid-key.pem';

export function keyFilePath(dir: string): string {
  return join(dir, SVID_KEY_FILE);
}

export async function writeKeyFile(dir: string, pem: string): Promise<void> {
  const tmp = join(dir, `.${SVID_KEY_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, pem, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, keyFilePath(dir));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** The key's PEM, or undefined when there is no key file. */
export async function readKeyFile(dir: string): Promise<string | undefined> {
  try {
    return await readFile(keyFilePath(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Whether `keyPem` is the private key of the certificate `certPem`. */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
