// One request through a sidecar listener's stage list: the Node request as core's request
// view, this hop's trace, the context, the stages, and a stage's answer written out (the
// tries write their own responses). Inbound and outbound differ only in the arguments.
import { continueTrace } from '../../core/http/traceparent.ts';
import type { Plane, Stage } from '../../core/pipeline/context.ts';
import { createContext } from '../../core/pipeline/create-context.ts';
import { runStages } from '../../core/pipeline/pipelines.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { writeAnswer } from './answer-writer.ts';
import { headerView, lazyQuery } from './header-view.ts';
import type { MeshPieces } from './mesh-pieces.ts';
import type { EntrySource } from './request-entry.ts';
import { upgradeAsked } from './upgrade-entry.ts';

export interface MeshRequest {
  plane: Plane;
  runtime: SnapshotRuntime;
  /** What routes match on (outbound: the destination's host; inbound: this workload's mesh host). */
  host: string;
  authority: string;
  /** The port of the listener that took the request (RequestView.listenerPort). */
  listenerPort: number | null;
  rawPath: string;
  query: string;
  tlsPeer: string | null;
  /** Inbound: this workload's service id. */
  service?: string;
}

export async function runMeshPipeline(stages: readonly Stage[], r: MeshRequest, pieces: MeshPieces, source: EntrySource): Promise<void> {
  const { req, res } = pieces;
  const headers = headerView(req);
  // A caller's sampled flag is followed; a trace that starts here is sampled only when this
  // sidecar records traces, so the hops after it record the same trace or none of it.
  const trace = continueTrace(headers, { sampled: pieces.plane.observer.samplesNewTraces === true });
  source.trace = trace;
  const c = createContext<void>({
    plane: r.plane,
    runtime: r.runtime,
    request: {
      method: req.method ?? 'GET',
      host: r.host,
      rawPath: r.rawPath,
      rawQuery: r.query,
      query: lazyQuery(r.query),
      headers,
      clientIp: req.socket.remoteAddress ?? null,
      scheme: 'http',
      authority: r.authority,
      listenerPort: r.listenerPort,
      tlsPeer: r.tlsPeer,
      upgrade: upgradeAsked(req),
    },
    pieces,
    upstreamHeaders: pieces.headers,
    traceparent: trace.traceparent,
    startedAt: Date.now(),
    ...(r.service !== undefined ? { service: r.service } : {}),
  });
  pieces.c = c;
  source.c = c;
  const answer = await runStages(stages, c);
  if (answer) {
    c.reason = answer.code;
    writeAnswer(res, answer, c.responseHeaders);
  }
}
