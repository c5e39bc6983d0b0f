// The identity authority's material, loaded once per isolate per secret value: signing keys
// (snapshots, JWT-SVIDs), the X.509 CAs (the `active` one issues; all are in the bundle),
// the trust domain (from the active CA) and the control plane's own SPIFFE ID, which is the
// audience workloads use when they talk to control.
import { loadCertificateAuthority } from '../../core/identity/x509-ca.ts';
import type { CertificateAuthority } from '../../core/identity/x509-ca.ts';
import { formatSpiffeId } from '../../core/identity/spiffe-id.ts';
import type { ControlEnv } from '../env.ts';
import { HttpError } from '../http/http-error.ts';
import { memoizeBySecret } from './memoize-by-secret.ts';
import { loadSigningKeys } from './signing-keys.ts';
import type { LoadedSigningKeys } from './signing-keys.ts';

export const CONTROL_NAMESPACE = 'weft-system';
export const CONTROL_SERVICE = 'control';

export interface Authority {
  keys: LoadedSigningKeys;
  ca: CertificateAuthority;
  /** PEMs of every CA in the bundle (next, active, retiring). */
  caBundle: string[];
  trustDomain: string;
  controlId: string;
}

interface CaEntry {
  certificatePem: string;
  privateKeyPem: string;
  status?: 'next' | 'active' | 'retiring';
}

const cache = new Map<string, Promise<Authority>>();

async function load(env: ControlEnv): Promise<Authority> {
  let entries: CaEntry[];
  try {
    entries = JSON.parse(env.CA) as CaEntry[];
  } catch {
    throw new HttpError('misconfigured', 'CA secret is not JSON');
  }
  if (!Array.isArray(entries) || entries.length === 0) throw new HttpError('misconfigured', 'CA secret must be a non-empty JSON array');
  const active = entries.filter((e) => (e.status ?? 'active') === 'active');
  if (active.length !== 1) throw new HttpError('misconfigured', `CA: exactly one CA must have status "active", found ${active.length}`);
  let ca: CertificateAuthority;
  try {
    ca = await loadCertificateAuthority(active[0] as CaEntry);
  } catch (e) {
    throw new HttpError('misconfigured', `CA: the active CA cannot be loaded: ${(e as Error).message}`);
  }
  if (ca.notAfter <= Date.now()) throw new HttpError('misconfigured', `CA: the active CA expired at ${new Date(ca.notAfter).toISOString()}; rotate it`);
  return {
    keys: await loadSigningKeys(env.SIGNING_KEYS),
    ca,
    caBundle: entries.map((e) => e.certificatePem),
    trustDomain: ca.trustDomain,
    controlId: formatSpiffeId(ca.trustDomain, CONTROL_NAMESPACE, CONTROL_SERVICE),
  };
}

export function authority(env: ControlEnv): Promise<Authority> {
  if (!env.CA) return Promise.reject(new HttpError('misconfigured', 'CA secret is not set (wrangler secret put CA)'));
  return memoizeBySecret(cache, `${env.SIGNING_KEYS}\u0000${env.CA}`, () => load(env));
}
