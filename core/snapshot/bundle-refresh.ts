// Verifying a control-signed document against a trust bundle that may be behind: a key the
// bundle does not know may be a rotation, so the bundle is fetched once more and the document
// verified again before it is refused. Used for snapshots and endpoints documents alike.
import type { JSONWebKeySet } from 'jose';

/** The refusal when the key is unknown and a fresh bundle could not be had to look for it. */
export interface BundleRefreshFailed {
  ok: false;
  code: 'unknown_key';
  message: string;
  /** Set only here: the key may well be in the bundle control serves now; try again later. */
  bundleRefreshFailed: true;
}

type Verification = { ok: true } | { ok: false; code: string; message: string };

/**
 * `verify` against `keys`; on `unknown_key`, against what `refreshBundle` returns (once). With
 * no `refreshBundle` (nothing to ask, e.g. starting from disk), `unknown_key` stands.
 */
export async function verifyWithBundleRefresh<R extends Verification>(
  verify: (keys: JSONWebKeySet) => Promise<R>,
  keys: JSONWebKeySet,
  refreshBundle: (() => Promise<JSONWebKeySet>) | undefined,
): Promise<R | BundleRefreshFailed> {
  const first = await verify(keys);
  if (first.ok || first.code !== 'unknown_key' || !refreshBundle) return first;
  let fresh: JSONWebKeySet;
  try {
    fresh = await refreshBundle();
  } catch (e) {
    return { ok: false, code: 'unknown_key', message: `${first.message}, and the trust bundle could not be refreshed: ${(e as Error).message}`, bundleRefreshFailed: true };
  }
  return verify(fresh);
}
