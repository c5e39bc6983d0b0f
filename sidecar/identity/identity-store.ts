// This workload's identity on disk, the last-known-good the sidecar starts from when control is
// down: identity.json (SPIFFE ID, controlToken, JWT-SVIDs, the X.509-SVID's certificate) and
// the X.509-SVID's key in its own file; both 0600, written atomically by LkgStore. A file that
// is not exactly the shape written here is refused as a whole, with one error line naming the
// file and what is wrong, and never used (the sidecar then joins as if there were none).
import { parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import type { Logger } from '../control/options.ts';
import { LKG_FILES } from '../state/lkg-store.ts';
import type { LkgStore } from '../state/lkg-store.ts';
import type { StoredX509Svid } from './x509-rotator.ts';

export interface StoredIdentity {
  spiffeId: string;
  controlToken: { token: string; expiresAt: string };
  jwtSvids: { audience: string; token: string; expiresAt: string }[];
  x509Svid?: StoredX509Svid;
}

type Parsed = { ok: true; identity: StoredIdentity } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isDate = (v: unknown): v is string => typeof v === 'string' && Number.isFinite(Date.parse(v));

/** The stored identity in `text`, or why it is refused. */
export function parseStoredIdentity(text: string): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON (${(e as Error).message})` };
  }
  if (!isObject(v)) return { ok: false, reason: 'not a JSON object' };
  if (!isText(v.spiffeId) || !parseSpiffeId(v.spiffeId)) return { ok: false, reason: 'spiffeId is not a SPIFFE ID' };
  const c = v.controlToken;
  if (!isObject(c) || !isText(c.token) || !isDate(c.expiresAt)) return { ok: false, reason: 'controlToken needs a token and an expiresAt date' };
  const jwts = v.jwtSvids ?? [];
  if (!Array.isArray(jwts)) return { ok: false, reason: 'jwtSvids is not a list' };
  for (const [i, j] of jwts.entries())
    if (!isObject(j) || !isText(j.audience) || !isText(j.token) || !isDate(j.expiresAt)) return { ok: false, reason: `jwtSvids[${i}] needs an audience, a token and an expiresAt date` };
  const x = v.x509Svid;
  if (x !== undefined && (!isObject(x) || !isText(x.certificatePem) || !isDate(x.expiresAt) || (x.issuedAt !== undefined && !isDate(x.issuedAt))))
    return { ok: false, reason: 'x509Svid needs a certificatePem and an expiresAt date' };
  return { ok: true, identity: { ...(v as unknown as StoredIdentity), jwtSvids: jwts as StoredIdentity['jwtSvids'] } };
}

export class IdentityStore {
  readonly #store: Pick<LkgStore, 'read' | 'write' | 'path'>;
  readonly #log: Logger;
  #writing: Promise<void> = Promise.resolve();
  /** The X.509-SVID's key, in its own file (never in identity.json). */
  readonly keys: { file: string; read(): Promise<string | undefined>; write(privateKeyPem: string): Promise<void> };

  constructor(store: Pick<LkgStore, 'read' | 'write' | 'path'>, log: Logger) {
    this.#store = store;
    this.#log = log;
    this.keys = {
      file: store.path(LKG_FILES.svidKey),
      read: () => store.read(LKG_FILES.svidKey),
      write: (privateKeyPem) => store.write(LKG_FILES.svidKey, privateKeyPem),
    };
  }

  /** The identity file's path. */
  get file(): string {
    return this.#store.path(LKG_FILES.identity);
  }

  /** The stored identity; undefined when there is none or it is refused (logged). */
  async read(): Promise<StoredIdentity | undefined> {
    const text = await this.#store.read(LKG_FILES.identity);
    if (text === undefined) return undefined;
    const parsed = parseStoredIdentity(text);
    if (parsed.ok) return parsed.identity;
    this.#log({ level: 'error', msg: 'stored identity is corrupt; refusing it (a new one is requested)', file: this.file, reason: parsed.reason });
    return undefined;
  }

  /** Writes `identity` after any write still under way (the newest wins); a failure is logged. */
  save(identity: StoredIdentity): void {
    const text = JSON.stringify(identity);
    this.#writing = this.#writing
      .then(() => this.#store.write(LKG_FILES.identity, text))
      .catch((e: unknown) => this.#log({ level: 'warn', msg: 'cannot persist the identity', error: String(e) }));
  }

  /** Resolves when pending writes are on disk. */
  flush(): Promise<void> {
    return this.#writing;
  }

}
