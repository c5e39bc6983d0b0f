// Inbound's last stage: the request to the app beside the sidecar, once (the caller's
// sidecar owns retries). An app that does not answer is 502. A WebSocket handshake goes to the
// app as an upgrade, and the open socket lives under the matched rule's websocket limits.
import { DEFAULT_TUNNEL_LIMITS } from '../../http/websocket-upgrade.ts';
import { refuse } from '../answer.ts';
import type { Answer } from '../answer.ts';
import type { PipelineContext, Stage } from '../context.ts';
import type { InboundPieces } from '../pieces.ts';
import { bodyTooLarge } from './request-size.ts';

export const toAppStage: Stage = (c) => forward(c, c.pieces.inbound as InboundPieces);

async function forward(c: PipelineContext, inbound: InboundPieces): Promise<Answer | undefined> {
  const outcome = await (c.upgrade ? inbound.upgradeToApp(c.match?.rule.websocket ?? DEFAULT_TUNNEL_LIMITS) : inbound.toApp());
  if (outcome.kind === 'committed') {
    c.delivered = outcome.value;
    return undefined;
  }
  if (outcome.kind === 'abandoned') {
    c.reason = 'client_closed';
    return undefined;
  }
  if (outcome.kind === 'oversize') return bodyTooLarge(outcome.limit);
  if (outcome.kind === 'dropped') return refuse('app_unavailable', 'the app answered, but its response was dropped');
  c.pieces.observer.upstreamError?.(c, c.service as string, outcome.error, false);
  return refuse('app_unavailable', `the app at ${c.upstream ?? 'its port'} did not answer (${outcome.error}: ${outcome.message})`);
}
