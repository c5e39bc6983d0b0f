// The golden metrics in the Prometheus text exposition format (0.0.4): `weft_requests_total`
// and the `weft_request_duration_seconds` histogram, with the labels of GoldenLabels in a fixed
// order. Built only when scraped; the per-request path never formats a label.
import { GOLDEN_LATENCY_BUCKETS_SECONDS } from './golden-metrics.ts';
import type { GoldenLabels, GoldenMetrics } from './golden-metrics.ts';

export const GOLDEN_REQUESTS_METRIC = 'weft_requests_total';
export const GOLDEN_DURATION_METRIC = 'weft_request_duration_seconds';

/** Label order on every line (before `le` on the bucket lines). */
export const GOLDEN_LABEL_NAMES = ['direction', 'source', 'destination', 'route', 'status_class', 'grpc_status'] as const satisfies readonly (keyof GoldenLabels)[];

const REQUESTS_HELP = 'Requests that ended, by direction, source workload, destination service, route (compiled route#rule, or "other" beyond the Mesh telemetry.maxRouteLabels), status class (1xx…5xx, or abandoned when the client went away first) and gRPC status name.';
const DURATION_HELP = 'Time from request to response end (or to the client going away), in seconds, with the labels of weft_requests_total; WebSockets are counted in weft_requests_total only.';

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

function labelText(labels: GoldenLabels): string {
  return GOLDEN_LABEL_NAMES.map((n) => `${n}="${escapeLabelValue(labels[n])}"`).join(',');
}

/** Both families, HELP and TYPE first; an empty string adds nothing when no request was seen. */
export function goldenMetricsText(metrics: GoldenMetrics): string {
  const requests: string[] = [];
  const duration: string[] = [];
  for (const s of metrics.series()) {
    const labels = labelText(s.labels);
    requests.push(`${GOLDEN_REQUESTS_METRIC}{${labels}} ${s.requests}`);
    if (s.count === 0) continue;
    let acc = 0;
    for (let i = 0; i < GOLDEN_LATENCY_BUCKETS_SECONDS.length; i++) {
      acc += s.buckets[i] as number;
      duration.push(`${GOLDEN_DURATION_METRIC}_bucket{${labels},le="${GOLDEN_LATENCY_BUCKETS_SECONDS[i]}"} ${acc}`);
    }
    duration.push(`${GOLDEN_DURATION_METRIC}_bucket{${labels},le="+Inf"} ${s.count}`);
    duration.push(`${GOLDEN_DURATION_METRIC}_sum{${labels}} ${s.sum}`);
    duration.push(`${GOLDEN_DURATION_METRIC}_count{${labels}} ${s.count}`);
  }
  return [
    `# HELP ${GOLDEN_REQUESTS_METRIC} ${REQUESTS_HELP}`,
    `# TYPE ${GOLDEN_REQUESTS_METRIC} counter`,
    ...requests,
    `# HELP ${GOLDEN_DURATION_METRIC} ${DURATION_HELP}`,
    `# TYPE ${GOLDEN_DURATION_METRIC} histogram`,
    ...duration,
    '',
  ].join('\n');
}
