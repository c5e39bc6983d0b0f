// The gateway's edge-token key: GATEWAY_SIGNING_KEY (a Worker secret, private JWK) in
// production; outside production an ephemeral key per isolate is generated when the secret is
// absent. Control certifies the public part once per isolate (it then appears in the trust
// bundle); the gateway never holds a CA or a control key.
import type { JWK } from 'jose';
import { generateSigningKeyPair, importSigningKey } from '../../core/keys/signing-key.ts';
import type { SigningKey } from '../../core/keys/signing-key.ts';
import type { GatewayEnv } from '../env.ts';

export interface EdgeSigner {
  key: SigningKey;
  /** The gateway's SPIFFE ID, as control certified it: the `iss` of edge tokens. */
  gatewayId: string;
}

let signer: Promise<EdgeSigner> | undefined;
let certifiedAt = 0;
/** Control drops edge keys not seen for a day; re-certify well before that. */
const RECERTIFY_MS = 3600 * 1000;

async function load(env: GatewayEnv): Promise<EdgeSigner> {
  let privateJwk: JWK;
  if (env.GATEWAY_SIGNING_KEY) privateJwk = JSON.parse(env.GATEWAY_SIGNING_KEY) as JWK;
  else if (env.WEFT_ENV === 'production') throw new Error('GATEWAY_SIGNING_KEY is not set (wrangler secret put GATEWAY_SIGNING_KEY); edge tokens cannot be signed');
  else privateJwk = (await generateSigningKeyPair('ES256')).privateJwk;
  const key = await importSigningKey(privateJwk);
  const { d: _d, ...publicJwk } = { ...privateJwk, kid: key.kid };
  const { issuer } = await env.CONTROL.certifyGatewayKey(publicJwk);
  return { key, gatewayId: issuer };
}

/** The last signer loaded and certified, with when its certification was asked for. */
let ready: { signer: EdgeSigner; certifiedAt: number } | undefined;

/** That signer, synchronously, while it needs no re-certification; else undefined (use edgeSigner). */
export function readyEdgeSigner(): EdgeSigner | undefined {
  return ready && Date.now() - ready.certifiedAt <= RECERTIFY_MS ? ready.signer : undefined;
}

export function edgeSigner(env: GatewayEnv): Promise<EdgeSigner> {
  if (!signer || Date.now() - certifiedAt > RECERTIFY_MS) {
    const startedAt = Date.now();
    certifiedAt = startedAt;
    const loading = load(env);
    signer = loading;
    loading.then(
      (loaded) => {
        if (signer === loading) ready = { signer: loaded, certifiedAt: startedAt };
      },
      () => {
        if (signer === loading) signer = undefined;
      },
    );
  }
  return signer;
}
