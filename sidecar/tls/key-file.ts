// The workload's private key: made here (createWorkloadCsr), it leaves the process only into its
// own file in the state folder (LKG_FILES.svidKey, written 0600 and atomically by LkgStore).
import { createPrivateKey, X509Certificate } from 'node:crypto';

/** Whether `keyPem` is the private key of the certificate `certPem`. */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
