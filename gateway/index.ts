// Edge gateway Worker: north-south enforcement of the signed snapshot. Each request runs the
// pipeline below, in order; any stage may answer (and end it). With no valid snapshot the
// gateway answers 503: it never allows everything.
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { SnapshotRuntime } from '../core/runtime/snapshot-runtime.ts';
import { refuse, renderAnswer } from '../core/pipeline/answer.ts';
import type { GatewayEnv } from './env.ts';
import { runPipeline } from './pipeline/pipeline.ts';
import { currentSnapshot } from './snapshot/snapshot-holder.ts';

export { GlobalRateLimiter } from './rate-limit/global-rate-limiter.ts';

const app = new Hono<{ Bindings: GatewayEnv }>();

app.get('/__weft/health', async (c) => {
  const runtime = await currentSnapshot(c.env, c.executionCtx as ExecutionContext);
  return c.json({ status: runtime ? 'ready' : 'starting', snapshot: runtime?.version ?? null }, runtime ? 200 : 503);
});

/** 503 no_snapshot, in the form the caller reads (a gRPC-Web caller gets UNAVAILABLE). */
function noSnapshot(request: Request): Response {
  const r = renderAnswer(refuse('no_snapshot', 'the gateway has no valid policy snapshot yet'), request.headers.get('content-type'));
  return new Response(r.body, { status: r.status, headers: r.headers });
}

function serve(c: Context<{ Bindings: GatewayEnv }>, runtime: SnapshotRuntime | undefined): Response | Promise<Response> {
  if (!runtime) return noSnapshot(c.req.raw);
  return runPipeline(c.req.raw, c.env, c.executionCtx as ExecutionContext, runtime);
}

app.all('*', (c): Response | Promise<Response> => {
  // Synchronous once the isolate holds a snapshot; only its first request waits for KV.
  const runtime = currentSnapshot(c.env, c.executionCtx as ExecutionContext);
  return runtime instanceof Promise ? runtime.then((r) => serve(c, r)) : serve(c, runtime);
});

export default app;
