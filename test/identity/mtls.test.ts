// Real mutual TLS with issued X.509-SVIDs (node:tls on 127.0.0.1, as the sidecars will run
// it): both sides trust only the mesh CA, the handshake is TLS 1.3, each side reads the
// other's SPIFFE ID from the peer certificate, and a client SVID from another CA is refused.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import type { PeerCertificate, Server, TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadCsr } from '../../core/identity/csr.ts';
import { parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import { createCertificateAuthority, loadCertificateAuthority } from '../../core/identity/x509-ca.ts';
import type { CertificateAuthority } from '../../core/identity/x509-ca.ts';
import { issueX509Svid } from '../../core/identity/x509-svid.ts';

const TD = 'weft.local';
const SERVER_ID = `spiffe://${TD}/ns/prod/sa/api`;
const CLIENT_ID = `spiffe://${TD}/ns/prod/sa/web`;

interface Svid {
  cert: string;
  key: string;
}

async function issue(ca: CertificateAuthority, spiffeId: string): Promise<Svid> {
  const { csrPem, privateKeyPem } = await createWorkloadCsr({ spiffeId });
  const issued = await issueX509Svid(ca, { csrPem, spiffeId, ttlMs: 3_600_000 });
  if (!issued.ok) throw new Error(issued.message);
  return { cert: issued.certificatePem, key: privateKeyPem };
}

/** The peer's SPIFFE ID as Node reports it (`subjectaltname` is e.g. "URI:spiffe://…"). */
function peerSpiffeId(peer: PeerCertificate): string | undefined {
  const uris = (peer.subjectaltname ?? '')
    .split(', ')
    .filter((n) => n.startsWith('URI:'))
    .map((n) => n.slice(4));
  return uris.length === 1 && parseSpiffeId(uris[0] as string) ? uris[0] : undefined;
}

let ca: CertificateAuthority;
let server: Svid;
let client: Svid;
const open: { servers: Server[]; sockets: TLSSocket[] } = { servers: [], sockets: [] };

beforeAll(async () => {
  ca = await loadCertificateAuthority(await createCertificateAuthority({ trustDomain: TD, ttlMs: 86_400_000 }));
  server = await issue(ca, SERVER_ID);
  client = await issue(ca, CLIENT_ID);
});

afterEach(async () => {
  for (const s of open.sockets.splice(0)) s.destroy();
  await Promise.all(open.servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A server that requires a client SVID from the mesh CA and answers with the caller's SPIFFE ID. */
async function listen(): Promise<{ port: number; server: Server }> {
  const srv = createServer({ cert: server.cert, key: server.key, ca: [ca.certificatePem], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (socket) => {
    open.sockets.push(socket);
    socket.end(`hello ${peerSpiffeId(socket.getPeerCertificate()) ?? 'nobody'}`);
  });
  open.servers.push(srv);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { port: (srv.address() as AddressInfo).port, server: srv };
}

/** A client that trusts only the mesh CA and checks the server's SPIFFE ID instead of a host name. */
function dial(port: number, svid: Svid): TLSSocket {
  const socket = connect({
    host: '127.0.0.1',
    port,
    cert: svid.cert,
    key: svid.key,
    ca: [ca.certificatePem],
    minVersion: 'TLSv1.3',
    checkServerIdentity: (_host, cert) => (peerSpiffeId(cert) === SERVER_ID ? undefined : new Error(`server is ${peerSpiffeId(cert) ?? 'not a SPIFFE workload'}`)),
  });
  open.sockets.push(socket);
  return socket;
}

async function readAll(socket: TLSSocket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  for await (const chunk of socket) text += chunk as string;
  return text;
}

describe('mutual TLS with X.509-SVIDs', () => {
  it('completes a TLS 1.3 handshake where each side sees the other SPIFFE ID', async () => {
    const { port, server: srv } = await listen();
    const serverSaw = once(srv, 'secureConnection') as Promise<[TLSSocket]>;
    const socket = dial(port, client);
    await once(socket, 'secureConnect');
    expect(socket.authorized).toBe(true);
    expect(socket.getProtocol()).toBe('TLSv1.3');
    expect(socket.getPeerCertificate().subjectaltname).toBe(`URI:${SERVER_ID}`);
    const [serverSide] = await serverSaw;
    expect(serverSide.authorized).toBe(true);
    expect(serverSide.getProtocol()).toBe('TLSv1.3');
    expect(serverSide.getPeerCertificate().subjectaltname).toBe(`URI:${CLIENT_ID}`);
    expect(await readAll(socket)).toBe(`hello ${CLIENT_ID}`);
  });

  it('refuses a client whose SVID comes from another CA, even for the same trust domain', async () => {
    const rogueCa = await loadCertificateAuthority(await createCertificateAuthority({ trustDomain: TD, ttlMs: 86_400_000 }));
    const rogue = await issue(rogueCa, CLIENT_ID);
    const { port, server: srv } = await listen();
    const refused = once(srv, 'tlsClientError') as Promise<[Error, TLSSocket]>;
    let served = false;
    srv.on('secureConnection', () => (served = true));
    const socket = dial(port, rogue);
    const outcome = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('error', (e) => resolve(`error: ${e.message}`));
      socket.on('close', () => resolve(`closed: ${text}`));
    });
    const [, serverSide] = await refused;
    // Node verifies the client chain after the handshake and, with rejectUnauthorized, drops
    // the connection; the reason is on the server-side socket.
    expect(serverSide.authorizationError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(await outcome).not.toContain('hello');
    expect(served).toBe(false);
  });

  it('refuses a client that presents no certificate', async () => {
    const { port, server: srv } = await listen();
    const refused = once(srv, 'tlsClientError') as Promise<[Error]>;
    const socket = connect({ host: '127.0.0.1', port, ca: [ca.certificatePem], checkServerIdentity: () => undefined });
    open.sockets.push(socket);
    socket.on('error', () => {});
    const [error] = await refused;
    expect(error.message).toMatch(/certificate/i);
  });
});
