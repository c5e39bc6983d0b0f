// Outbound mutual TLS: how a sidecar connects to another sidecar's inbound port. TLS 1.3 only,
// this workload's X.509-SVID as the client certificate, the bundle's CAs as the only roots,
// and a server identity check that is about SPIFFE IDs, not host names: the server must prove
// one of the SPIFFE IDs the destination service may have (`spiffe://<td>/ns/<ns>/sa/<name>`),
// so a valid SVID of another service (a hijacked address, a stale endpoint) is refused.
// Sessions are cached per endpoint (undici's connector), so reconnects resume rather than
// paying a full handshake; a pool keeps connections alive between requests.
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { formatSpiffeId, parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import type { WorkloadTls } from '../types.ts';
import { peerSpiffeId } from './peer-identity.ts';

/** The SPIFFE IDs a service's instances may present: `spiffe://<td>/ns/<ns>/sa/<name>`. */
export function serviceSpiffeIds(trustDomain: string, serviceId: string): string[] {
  const slash = serviceId.indexOf('/');
  return [formatSpiffeId(trustDomain, serviceId.slice(0, slash), serviceId.slice(slash + 1))];
}

/** The error a refused server identity fails the connection with. */
export class PeerIdentityError extends Error {
  readonly code = 'ERR_WEFT_PEER_ID';
  readonly peer: string | undefined;
  constructor(message: string, peer?: string) {
    super(message);
    this.name = 'PeerIdentityError';
    this.peer = peer;
  }
}

/** A server identity check for tls.connect: the certificate must name one of `allowed`. */
function spiffeServerCheck(allowed: readonly string[], trustDomain: string | undefined): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const checked = peerSpiffeId(cert, trustDomain);
    if (!checked.ok) return new PeerIdentityError(`server certificate is not a usable X.509-SVID: ${checked.reason}`);
    if (!allowed.includes(checked.spiffeId)) return new PeerIdentityError(`server is ${checked.spiffeId}, but this destination may only be ${allowed.join(' or ')}`, checked.spiffeId);
    return undefined;
  };
}

/** undici's `connect` options (Pool, Client, Agent) for TLS: tls.connect's plus its session cache size. */
export type MtlsConnectOptions = ConnectionOptions & { maxCachedSessions: number };

/** Options for undici's `connect` (Pool, Client, Agent) to reach a sidecar inbound with mTLS. */
export function clientConnectOptions(t: WorkloadTls, allowed: readonly string[], o: { trustDomain?: string; maxCachedSessions?: number } = {}): MtlsConnectOptions {
  return {
    cert: t.certificatePem,
    key: t.privateKeyPem,
    ca: [...t.authorities],
    minVersion: 'TLSv1.3',
    rejectUnauthorized: true,
    checkServerIdentity: spiffeServerCheck(allowed, o.trustDomain ?? parseSpiffeId(t.spiffeId)?.trustDomain),
    maxCachedSessions: o.maxCachedSessions ?? 100,
  };
}

/** undici's connect options to reach an instance of `serviceId` (another sidecar's inbound) with this workload's X.509-SVID. */
export function sidecarConnectOptions(tls: WorkloadTls, serviceId: string): MtlsConnectOptions {
  const trustDomain = parseSpiffeId(tls.spiffeId)?.trustDomain ?? '';
  return clientConnectOptions(tls, serviceSpiffeIds(trustDomain, serviceId), { trustDomain });
}

/** `scheme://address:port`, an IPv6 address in brackets. */
export function originOf(scheme: 'http' | 'https', address: string, port: number): string {
  return `${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}`;
}
