// Workload identity, shared by control (a Worker) and the sidecars (Node): SPIFFE IDs and
// principal patterns, JWT-SVIDs, the mesh CA, workload CSRs, and X.509-SVID issue/verify.
export { checkSpiffeId, formatSpiffeId, parseSpiffeId, principalMatches, trustDomainId } from './spiffe-id.ts';
export type { SpiffeId, SpiffeIdCheck } from './spiffe-id.ts';
export { mintJwtSvid, verifyJwtSvid } from './jwt-svid.ts';
export type { JwtSvidRejection, JwtSvidVerifyResult, MintJwtSvidOptions, VerifyJwtSvidOptions } from './jwt-svid.ts';
export { caTrustDomain, createCertificateAuthority, loadCertificateAuthority } from './x509-ca.ts';
export type { CertificateAuthority, CreateCertificateAuthorityOptions } from './x509-ca.ts';
export { createWorkloadCsr } from './csr.ts';
export { issueX509Svid } from './x509-svid.ts';
export type { CsrRejection, IssueX509SvidOptions, IssueX509SvidResult } from './x509-svid.ts';
export { verifyX509Svid } from './x509-svid-verify.ts';
export type { VerifyX509SvidResult, X509SvidRejection } from './x509-svid-verify.ts';
