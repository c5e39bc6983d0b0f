// Inbound's last stage: the request to the app beside the sidecar, once (the caller's
// sidecar owns retries). An app that does not answer is 502. A caller that said how long it
// waits (`x-weft-timeout-ms`, set by the gateway and every sidecar on each try) bounds the
// wait for the app's answer: past it nobody is waiting, so the app is cut off with 504; the
// app is told the time still left in the same header, to pass on to the calls it makes. A
// WebSocket handshake goes to the app as an upgrade, and the open socket lives under the
// matched rule's websocket limits.
import { DEFAULT_TUNNEL_LIMITS } from '../../http/websocket-upgrade.ts';
import { formatTimeoutHeader, parseTimeoutHeader, TIMEOUT_HEADER } from '../../resilience/caller-timeout.ts';
import { remainingMs } from '../../resilience/deadline.ts';
import { refuse } from '../answer.ts';
import type { Answer } from '../answer.ts';
import type { PipelineContext, Stage } from '../context.ts';
import type { InboundPieces } from '../pieces.ts';
import { bodyTooLarge } from './request-size.ts';

export const toAppStage: Stage = (c) => forward(c, c.pieces.inbound as InboundPieces);

async function forward(c: PipelineContext, inbound: InboundPieces): Promise<Answer | undefined> {
  const caller = c.upgrade ? null : parseTimeoutHeader(c.request.headers.get(TIMEOUT_HEADER));
  let timeoutMs = 0;
  if (caller !== null) {
    timeoutMs = remainingMs(c.startedAt + caller, c.pieces.now());
    if (timeoutMs <= 0) return refuse('upstream_timeout', `the caller's ${TIMEOUT_HEADER} of ${caller} ms passed before the app was called`);
    c.upstreamHeaders.set(TIMEOUT_HEADER, formatTimeoutHeader(timeoutMs) as string);
  }
  const outcome = await (c.upgrade ? inbound.upgradeToApp(c.match?.rule.websocket ?? DEFAULT_TUNNEL_LIMITS) : inbound.toApp(timeoutMs));
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
  if (outcome.error === 'timeout' && caller !== null) return refuse('upstream_timeout', `the app at ${c.upstream ?? 'its port'} did not answer within the caller's ${TIMEOUT_HEADER} of ${caller} ms`);
  return refuse('app_unavailable', `the app at ${c.upstream ?? 'its port'} did not answer (${outcome.error}: ${outcome.message})`);
}
