// X509Rotator with real certificates from core's CA (no control): the key is made locally, the
// answer is checked before anything changes, key file and material swap together, renewal at
// half life, problem() before expiry, and restore from disk only with the matching key.
import { beforeAll, describe, expect, it } from 'vitest';
import { issueX509Svid } from '../../../core/identity/x509-svid.ts';
import { X509Rotator } from '../../../sidecar/identity/x509-rotator.ts';
import { TlsMaterial } from '../../../sidecar/tls/svid-material.ts';
import type { WorkloadTls } from '../../../sidecar/types.ts';
import { testCa } from '../tls-certs.ts';
import type { TestCa } from '../tls-certs.ts';
import { FakeClock, logSink } from './fakes.ts';

const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const TTL = 3600_000;
let ca: TestCa;
let otherCa: TestCa;

beforeAll(async () => {
  ca = await testCa();
  otherCa = await testCa();
});

function setup() {
  const clock = new FakeClock(Date.now());
  const sink = logSink();
  const tls = new TlsMaterial();
  tls.setAuthorities([ca.certificatePem]);
  const disk: { key?: string; writes: number } = { writes: 0 };
  const keys = {
    file: '/state/svid-key.pem',
    read: () => Promise.resolve(disk.key),
    write: (pem: string) => {
      disk.key = pem;
      disk.writes++;
      return Promise.resolve();
    },
  };
  const rotator = new X509Rotator({ tls, keys, log: sink.log, now: clock.now });
  return { clock, sink, tls, disk, rotator };
}

async function issue(issuer: TestCa, csrPem: string, spiffeId = REVIEWS, now = Date.now()): Promise<string> {
  const r = await issueX509Svid(issuer.ca, { csrPem, spiffeId, ttlMs: TTL, now });
  if (!r.ok) throw new Error(r.message);
  return r.certificatePem;
}

describe('X509Rotator', () => {
  it('accepts the certificate for its own CSR: writes the key, then swaps key and certificate in together', async () => {
    const { clock, tls, disk, rotator } = setup();
    expect(rotator.problem()).toBe('no X.509-SVID yet');
    expect(rotator.renewAt()).toBe(clock.ms);
    const seen: (WorkloadTls | undefined)[] = [];
    tls.onChange((t) => seen.push(t));

    const csr = await rotator.csr(REVIEWS);
    expect(csr.csrPem).toContain('CERTIFICATE REQUEST');
    await rotator.accept(REVIEWS, { certificatePem: await issue(ca, csr.csrPem, REVIEWS, clock.ms) }, csr.privateKeyPem, [ca.certificatePem]);
    expect(disk.key).toBe(csr.privateKeyPem);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ spiffeId: REVIEWS, privateKeyPem: csr.privateKeyPem, issuedAt: clock.ms });
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(rotator.problem()).toBeUndefined();

    // Renewal: a new key and certificate replace the old ones in one new material.
    const svid = rotator.svid;
    expect(rotator.renewAt()).toBe((svid?.issuedAt ?? 0) + ((svid?.expiresAt ?? 0) - (svid?.issuedAt ?? 0)) / 2);
    clock.ms += TTL / 2;
    const next = await rotator.csr(REVIEWS);
    expect(next.privateKeyPem).not.toBe(csr.privateKeyPem);
    await rotator.accept(REVIEWS, { certificatePem: await issue(ca, next.csrPem, REVIEWS, clock.ms) }, next.privateKeyPem, [ca.certificatePem]);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.privateKeyPem).toBe(next.privateKeyPem);
    expect(seen[1]?.certificatePem).not.toBe(seen[0]?.certificatePem);
    expect(seen[0]?.privateKeyPem).toBe(csr.privateKeyPem); // the old material is untouched
  });

  it('refuses a certificate from a CA outside the bundle, for another SPIFFE ID, or for another key, and changes nothing', async () => {
    const { tls, disk, rotator } = setup();
    const csr = await rotator.csr(REVIEWS);
    const other = await rotator.csr(REVIEWS);
    await expect(rotator.accept(REVIEWS, { certificatePem: await issue(otherCa, csr.csrPem) }, csr.privateKeyPem, [ca.certificatePem])).rejects.toThrow(
      /does not verify against its own bundle \(untrusted\)/,
    );
    const ratings = 'spiffe://weft.local/ns/default/sa/ratings';
    const forRatings = await rotator.csr(ratings);
    await expect(rotator.accept(REVIEWS, { certificatePem: await issue(ca, forRatings.csrPem, ratings) }, forRatings.privateKeyPem, [ca.certificatePem])).rejects.toThrow(
      `for ${ratings}, not ${REVIEWS}`,
    );
    await expect(rotator.accept(REVIEWS, { certificatePem: await issue(ca, other.csrPem) }, csr.privateKeyPem, [ca.certificatePem])).rejects.toThrow(/another key/);
    expect(disk.writes).toBe(0);
    expect(tls.svid).toBeUndefined();
  });

  it('stops insisting when control answers a CSR without an X.509-SVID (warned once)', async () => {
    const { sink, rotator } = setup();
    const csr = await rotator.csr(REVIEWS);
    await rotator.accept(REVIEWS, undefined, csr.privateKeyPem, [ca.certificatePem]);
    await rotator.accept(REVIEWS, {}, csr.privateKeyPem, [ca.certificatePem]);
    expect(rotator.renewAt()).toBeUndefined();
    expect(rotator.problem()).toBeUndefined();
    expect(sink.lines.filter((l) => String(l.msg).includes('without an X.509-SVID'))).toHaveLength(1);
  });

  it('goes not-ready with under a quarter of its life left while renewals fail, saying since when and why', async () => {
    const { clock, rotator } = setup();
    const csr = await rotator.csr(REVIEWS);
    await rotator.accept(REVIEWS, { certificatePem: await issue(ca, csr.csrPem, REVIEWS, clock.ms) }, csr.privateKeyPem, [ca.certificatePem]);
    const failedAt = clock.ms + TTL / 2;
    clock.ms = failedAt;
    rotator.failed('control unreachable');
    clock.ms += TTL / 4 - 1_000;
    expect(rotator.problem()).toBeUndefined();
    rotator.failed('still unreachable');
    clock.ms += 2_000;
    expect(rotator.problem()).toMatch(
      new RegExp(`^the X\\.509-SVID expires at .* and could not be renewed; renewal failing since ${new Date(failedAt).toISOString()}: still unreachable$`),
    );
    clock.ms += TTL;
    expect(rotator.problem()).toMatch(/^the X\.509-SVID expired at /);
    rotator.renewed();
    expect(rotator.problem()).not.toMatch(/renewal failing/);
  });

  it('stores the certificate (never the key) and restores it only with the matching key file', async () => {
    const a = setup();
    const csr = await a.rotator.csr(REVIEWS);
    await a.rotator.accept(REVIEWS, { certificatePem: await issue(ca, csr.csrPem, REVIEWS, a.clock.ms) }, csr.privateKeyPem, [ca.certificatePem]);
    const stored = a.rotator.stored();
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');
    expect(stored?.issuedAt).toBe(new Date(a.clock.ms).toISOString());

    const b = setup();
    b.disk.key = (await b.rotator.csr(REVIEWS)).privateKeyPem; // another key
    expect(await b.rotator.restore(REVIEWS, stored!)).toBe(false);
    expect(b.sink.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'stored X.509-SVID has no matching key; a new one is requested', file: '/state/svid-key.pem' }));
    b.disk.key = csr.privateKeyPem;
    expect(await b.rotator.restore(REVIEWS, stored!)).toBe(true);
    expect(b.tls.svid).toMatchObject({ spiffeId: REVIEWS, privateKeyPem: csr.privateKeyPem, issuedAt: a.clock.ms });

    b.clock.ms += TTL;
    expect(b.rotator.stored()).toBeUndefined();
    const c = setup();
    c.clock.ms += TTL;
    c.disk.key = csr.privateKeyPem;
    expect(await c.rotator.restore(REVIEWS, stored!)).toBe(false); // expired
  });
});
