// Inbound: who is calling. Over mutual TLS the peer is the SPIFFE ID of the verified client
// certificate (an x-weft-svid header is then ignored); otherwise the caller's JWT-SVID
// (audience = this workload) names it. The edge token names the end user; it is accepted when
// addressed to this workload, or, one-hop delegation, to the verified caller, which passes it
// on as apps propagate traceparent. Without an SVID, a valid edge token also proves a gateway
// peer (its issuer). A credential that is present and invalid is always refused; a missing
// one is refused in strict mTLS mode only. When this sidecar can do mTLS, strict mode takes
// plaintext only from the edge gateway (a Worker cannot present a client certificate).
import { EDGE_TOKEN_HEADER } from '../../identity/edge-token.ts';
import { SVID_HEADER } from '../../identity/jwt-svid.ts';
import { effectiveMtlsMode } from '../../policy/service/mtls-mode.ts';
import { refuse } from '../answer.ts';
import type { Answer } from '../answer.ts';
import type { PipelineContext, Stage } from '../context.ts';
import type { InboundPieces } from '../pieces.ts';

export const callerIdentityStage: Stage = (c) => {
  const inbound = c.pieces.inbound as InboundPieces;
  const svid = c.request.tlsPeer === null ? c.request.headers.get(SVID_HEADER) : null;
  const edgeToken = c.request.headers.get(EDGE_TOKEN_HEADER);
  if (svid === null && edgeToken === null) return decide(c, inbound, c.request.tlsPeer, null);
  return verified(c, inbound, svid, edgeToken);
};

async function verified(c: PipelineContext, inbound: InboundPieces, svid: string | null, edgeToken: string | null): Promise<Answer | undefined> {
  let peer = c.request.tlsPeer;
  if (svid !== null) {
    const v = await inbound.verifySvid(svid);
    if (!v.ok) return refuse('unauthenticated', `JWT-SVID refused (${v.code}): ${v.message}`);
    peer = v.value;
  }
  let user: { requestPrincipal: string; claims: Record<string, unknown> } | null = null;
  if (edgeToken !== null) {
    const v = await inbound.verifyEdgeToken(edgeToken, peer);
    if (!v.ok) return refuse('unauthenticated', `edge token refused (${v.code}): ${v.message}`);
    user = v.value;
    // A valid edge token without an SVID proves the gateway as the peer (when the bundle names one).
    peer ??= inbound.edgeIssuer() || null;
  }
  return decide(c, inbound, peer, user);
}

function decide(c: PipelineContext, inbound: InboundPieces, peer: string | null, user: { requestPrincipal: string; claims: Record<string, unknown> } | null): Answer | undefined {
  const strict = effectiveMtlsMode(c.runtime.snapshot.body.mesh, c.runtime.services.get(c.service as string)) === 'strict';
  if (strict) {
    const issuer = inbound.edgeIssuer();
    if (inbound.mtlsCapable() && c.request.tlsPeer === null && (peer === null || peer !== issuer || issuer === ''))
      return refuse('mtls_required', 'mTLS mode is strict: callers must use mutual TLS (plaintext is accepted from the edge gateway only)');
    if (peer === null) return refuse('unauthenticated', 'mTLS mode is strict: the request carries no caller identity (x-weft-svid)');
  }
  c.peer = peer;
  if (user) c.user = { requestPrincipal: user.requestPrincipal, claims: user.claims, apiKey: null };
  return undefined;
}
