// W3C trace context: continue the caller's trace (a new span id for the gateway's hop) or
// start one; the upstream request carries it, the access log names it.
import { childTraceparent } from '../../core/http/traceparent.ts';

export function startTrace(incoming: string | null): string {
  return childTraceparent(incoming);
}
