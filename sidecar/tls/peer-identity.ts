// The SPIFFE ID a verified TLS peer proves: the one URI SAN of its certificate, after OpenSSL
// has checked the chain to a CA of the bundle and the validity dates. An X.509-SVID names
// exactly one SPIFFE ID, of a workload, in this mesh's trust domain; anything else is refused.
import type { PeerCertificate } from 'node:tls';
import { checkSpiffeId } from '../../core/identity/spiffe-id.ts';

export type PeerCheck = { ok: true; spiffeId: string } | { ok: false; reason: string };

/** The URI names in Node's `subjectaltname` string (`URI:spiffe://…, DNS:…`; values with `,` or `"` come JSON-quoted). */
function uriSansOf(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined): string[] {
  const text = cert?.subjectaltname;
  if (!text) return [];
  const out: string[] = [];
  const re = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] !== 'URI') continue;
    const raw = m[2] as string;
    try {
      out.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
    } catch {
      out.push(raw);
    }
  }
  return out;
}

/** The peer's SPIFFE ID, or why the certificate does not make one. */
export function peerSpiffeId(cert: PeerCertificate | undefined, trustDomain: string | undefined, now = Date.now()): PeerCheck {
  if (!cert || Object.keys(cert).length === 0) return { ok: false, reason: 'no peer certificate' };
  if (cert.ca) return { ok: false, reason: 'the peer certificate is a CA, not a workload SVID' };
  const validTo = Date.parse(cert.valid_to);
  if (Number.isFinite(validTo) && validTo < now) return { ok: false, reason: `the peer certificate expired at ${new Date(validTo).toISOString()}` };
  const uris = uriSansOf(cert);
  if (uris.length !== 1) return { ok: false, reason: `an X.509-SVID has exactly one URI SAN, the peer's has ${uris.length}` };
  const id = uris[0] as string;
  const checked = checkSpiffeId(id);
  if (!checked.ok) return { ok: false, reason: `the peer's URI SAN is not a SPIFFE ID: ${checked.reason}` };
  if (checked.id.path === '') return { ok: false, reason: `the peer's URI SAN ${id} names a trust domain, not a workload` };
  if (trustDomain && checked.id.trustDomain !== trustDomain) return { ok: false, reason: `the peer ${id} is outside the trust domain ${trustDomain}` };
  return { ok: true, spiffeId: id };
}
