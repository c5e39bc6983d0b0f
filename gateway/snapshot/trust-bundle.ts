// Control's trust bundle as the gateway holds it, per isolate: the public keys that sign
// snapshots and endpoints documents, and the mesh's trust domain. Fetched over the service
// binding (`CONTROL.trustBundle()`) the first time one is needed, and again when a document
// names a key the bundle does not know (a rotation).
import type { JSONWebKeySet } from 'jose';
import type { GatewayEnv } from '../env.ts';

export interface GatewayTrustBundle {
  keys: JSONWebKeySet;
  /** Absent only from a control plane older than the field (then it is not checked). */
  trustDomain: string | undefined;
}

let held: GatewayTrustBundle | undefined;

async function fetchTrustBundle(env: GatewayEnv): Promise<GatewayTrustBundle> {
  const answer: { keys: JSONWebKeySet['keys']; trustDomain?: string } = await env.CONTROL.trustBundle();
  held = { keys: { keys: answer.keys }, trustDomain: typeof answer.trustDomain === 'string' ? answer.trustDomain : undefined };
  return held;
}

/** The bundle held, fetched first if there is none yet. */
export async function trustBundle(env: GatewayEnv): Promise<GatewayTrustBundle> {
  return held ?? fetchTrustBundle(env);
}

/** Fetches the bundle anew and holds it; its keys, for `refreshBundle` (core/snapshot/accept.ts). */
export async function refreshTrustBundle(env: GatewayEnv): Promise<JSONWebKeySet> {
  return (await fetchTrustBundle(env)).keys;
}
