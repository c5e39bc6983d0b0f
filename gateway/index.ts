// Edge gateway Worker: north-south enforcement of the signed snapshot. Each request runs the
// pipeline below, in order; any stage may answer (and end it). With no valid snapshot the
// gateway answers 503: it never allows everything.
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { SnapshotRuntime } from '../core/runtime/snapshot-runtime.ts';
import { refuse, renderAnswer } from '../core/pipeline/answer.ts';
import type { Answer } from '../core/pipeline/answer.ts';
import type { GatewayEnv } from './env.ts';
import { runPipeline } from './pipeline/pipeline.ts';
import { currentSnapshot } from './snapshot/snapshot-holder.ts';

export { GlobalRateLimiter } from './rate-limit/global-rate-limiter.ts';

const app = new Hono<{ Bindings: GatewayEnv }>();

/** Answer `a` to `request` as core renders it (bodiless to HEAD; a gRPC status to a gRPC-Web caller). */
function answer(request: Request, a: Answer): Response {
  const r = renderAnswer(a, { method: request.method, contentType: request.headers.get('content-type') });
  return new Response(r.body, { status: r.status, headers: r.headers });
}

app.get('/__weft/health', async (c) => {
  const runtime = await currentSnapshot(c.env, c.executionCtx as ExecutionContext);
  const status = runtime ? 200 : 503;
  // Hono answers HEAD with this GET route's headers: no JSON content type without its JSON.
  if (c.req.method === 'HEAD') return c.body(null, status);
  return c.json({ status: runtime ? 'ready' : 'starting', snapshot: runtime?.version ?? null }, status);
});

// A thrown error is a bug; the client still gets the Weft error shape (and nothing it cannot read on HEAD).
app.onError((error, c) => {
  console.error(JSON.stringify({ level: 'error', msg: 'gateway request failed', error: String(error?.stack ?? error) }));
  return answer(c.req.raw, refuse('internal', 'the gateway failed to handle the request'));
});

/** 503 no_snapshot, in the form the caller reads (a gRPC-Web caller gets UNAVAILABLE). */
function noSnapshot(request: Request): Response {
  return answer(request, refuse('no_snapshot', 'the gateway has no valid policy snapshot yet'));
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
