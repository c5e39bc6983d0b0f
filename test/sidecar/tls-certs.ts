// Test certificates for the mTLS tests, made with core's own CA functions (as control makes
// them): a mesh CA, and X.509-SVIDs from a CSR whose key the "workload" made.
import { createWorkloadCsr } from '../../core/identity/csr.ts';
import { createCertificateAuthority, loadCertificateAuthority } from '../../core/identity/x509-ca.ts';
import type { CertificateAuthority } from '../../core/identity/x509-ca.ts';
import { issueX509Svid } from '../../core/identity/x509-svid.ts';
import type { WorkloadTls } from '../../sidecar/types.ts';

export interface TestCa {
  ca: CertificateAuthority;
  certificatePem: string;
}

export async function testCa(trustDomain = 'weft.local', ttlMs = 24 * 3600_000, now?: number): Promise<TestCa> {
  const pems = await createCertificateAuthority({ trustDomain, ttlMs, ...(now !== undefined ? { now } : {}) });
  return { ca: await loadCertificateAuthority(pems), certificatePem: pems.certificatePem };
}

/** Workload TLS material for `spiffeId`, issued by `issuer`, trusting `trust` (default: the issuer). */
export async function svidFor(issuer: TestCa, spiffeId: string, o: { ttlMs?: number; now?: number; trust?: TestCa[] } = {}): Promise<WorkloadTls> {
  const { csrPem, privateKeyPem } = await createWorkloadCsr({ spiffeId });
  const now = o.now ?? Date.now();
  const issued = await issueX509Svid(issuer.ca, { csrPem, spiffeId, ttlMs: o.ttlMs ?? 3600_000, now });
  if (!issued.ok) throw new Error(issued.message);
  return {
    spiffeId,
    certificatePem: issued.certificatePem,
    privateKeyPem,
    authorities: (o.trust ?? [issuer]).map((c) => c.certificatePem),
    issuedAt: now,
    expiresAt: issued.expiresAt,
  };
}
