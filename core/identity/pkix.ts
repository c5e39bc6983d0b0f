// The one door to @peculiar/x509: loads the Reflect metadata API it needs first, points it at the
// runtime's Web Crypto (the same `crypto` global in workerd and Node), and holds the small
// X.509 helpers the CA, the CSR and the SVID modules share (PEM, keys, serials, URI SANs).
// Import x509 from here, never from '@peculiar/x509' directly.
import 'reflect-metadata'; // tsyringe, under @peculiar/x509, needs the Reflect metadata API
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(crypto);

export { x509 };

/**
 * The runtime's CryptoKey, spelled so it type-checks against both Node's and workerd's type
 * definitions (Node's types have no global CryptoKey; workerd's have no `globalThis.crypto`).
 */
export type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
export interface WebCryptoKeyPair {
  privateKey: WebCryptoKey;
  publicKey: WebCryptoKey;
}

/** Every Weft key (CA and workload) is ECDSA P-256, signing with SHA-256. */
export const P256_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Allowed clock skew between the CA and relying parties: notBefore is back-dated by this. */
export const CLOCK_SKEW_MS = 60_000;

export async function generateP256KeyPair(): Promise<WebCryptoKeyPair> {
  return (await crypto.subtle.generateKey(P256_KEY, true, ['sign', 'verify'])) as WebCryptoKeyPair;
}

export async function privateKeyToPem(key: WebCryptoKey): Promise<string> {
  return x509.PemConverter.encode((await crypto.subtle.exportKey('pkcs8', key)) as ArrayBuffer, 'PRIVATE KEY');
}

/** Imports a PKCS#8 PEM holding a P-256 private key, for signing only. */
export async function importP256PrivateKey(pem: string, extractable = false): Promise<WebCryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return crypto.subtle.importKey('pkcs8', der, P256_KEY, extractable, ['sign']);
}

/** A random positive 126-bit serial number as hex (RFC 5280: positive, at most 20 octets). */
export function randomSerialHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] as number) & 0x3f) | 0x40;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The URI names of all subject-alternative-name extensions in a list of extensions. */
export function uriSans(extensions: readonly x509.Extension[]): string[] {
  const out: string[] = [];
  for (const ext of extensions) {
    if (!(ext instanceof x509.SubjectAlternativeNameExtension)) continue;
    for (const name of ext.names.items) if (name.type === 'url') out.push(name.value);
  }
  return out;
}

/** All names (of any type) in a list of subject-alternative-name extensions, as `type:value`. */
export function allSans(extensions: readonly x509.Extension[]): string[] {
  const out: string[] = [];
  for (const ext of extensions) if (ext instanceof x509.SubjectAlternativeNameExtension) for (const name of ext.names.items) out.push(`${name.type}:${name.value}`);
  return out;
}
