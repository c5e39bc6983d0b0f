// The one call that gets SVIDs from control, POST /v1/identity/svid (SPIRE: the agent's node
// client), naming the workload it asks for, and what its answer must be: this workload's SPIFFE
// ID, a controlToken, JWT-SVIDs for the audiences asked, the X.509-SVID for the CSR sent, and
// the CA bundle.
import { parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import { ControlError } from '../control/control-http.ts';
import type { ControlLink } from '../control/control-http.ts';
import { IdentityError } from './control-token.ts';
import type { Csr } from './x509-rotator.ts';

export interface SvidAnswer {
  spiffeId: string;
  controlToken: { token: string; expiresAt: string };
  jwtSvids?: { audience: string; token: string; expiresAt: string }[];
  x509Svid?: { certificatePem?: unknown };
  /** The CA certificates, when control sent them. */
  authorities?: string[];
}

export interface SvidClientOptions {
  link: Pick<ControlLink, 'call'>;
  namespace: string;
  service: string;
}

export class SvidClient {
  readonly #o: SvidClientOptions;

  constructor(options: SvidClientOptions) {
    this.#o = options;
  }

  /**
   * Asks control with `credential`, naming the service this sidecar runs for: control refuses a
   * credential of another workload (wrong_service) before it uses a join token up, so a sidecar
   * started with another service's token fails with a clear error and the token stays good for
   * its own service.
   */
  async request(credential: string, ask: { csr?: Csr | undefined; audiences?: string[] }): Promise<{ text: string; csr: Csr | undefined }> {
    const { namespace, service } = this.#o;
    const body = { namespace, service, ...(ask.audiences ? { audiences: ask.audiences } : {}), ...(ask.csr ? { csr: ask.csr.csrPem } : {}) };
    try {
      return { text: (await this.#o.link.call('POST', '/v1/identity/svid', { token: credential, body })).text, csr: ask.csr };
    } catch (e) {
      if (e instanceof ControlError && (e.code === 'wrong_service' || e.code === 'wrong_spiffe_id'))
        throw new IdentityError(`control refused to issue an identity for ${namespace}/${service} (${e.code}): ${e.message}`);
      throw e;
    }
  }

  /** Control's answer, checked to be for this workload. */
  parse(text: string): SvidAnswer {
    type Raw = Partial<SvidAnswer> & { bundle?: { x509Authorities?: unknown } };
    let a: Raw | null = null;
    try {
      a = JSON.parse(text) as Raw | null;
    } catch {
      // said below
    }
    if (!a || typeof a.spiffeId !== 'string' || typeof a.controlToken?.token !== 'string' || typeof a.controlToken.expiresAt !== 'string' || (a.jwtSvids !== undefined && !Array.isArray(a.jwtSvids)))
      throw new Error('POST /v1/identity/svid: the answer has no spiffeId and controlToken');
    this.checkId(a.spiffeId);
    const pems = a.bundle?.x509Authorities;
    const authorities = Array.isArray(pems) ? pems.filter((p): p is string => typeof p === 'string') : [];
    const jwtSvids = (a.jwtSvids ?? []).filter((s) => typeof s?.audience === 'string' && typeof s.token === 'string' && typeof s.expiresAt === 'string');
    return { spiffeId: a.spiffeId, controlToken: a.controlToken, jwtSvids, x509Svid: a.x509Svid, ...(authorities.length > 0 ? { authorities } : {}) };
  }

  /** Throws IdentityError when `spiffeId` is not this workload's (control issued another one, or the disk holds another's). */
  checkId(spiffeId: string): void {
    const { namespace, service } = this.#o;
    const id = parseSpiffeId(spiffeId);
    if (!id || id.namespace !== namespace || id.service !== service)
      throw new IdentityError(
        `control issued the SPIFFE ID "${spiffeId}", but this sidecar is configured as ${namespace}/${service} (expected spiffe://<trust-domain>/ns/${namespace}/sa/${service}); is the join token for another service?`,
      );
  }
}
