// `weft dev --otlp URL`: the base URL of an OTLP/HTTP collector (Jaeger, Tempo, an OpenTelemetry
// Collector), as OTEL_EXPORTER_OTLP_ENDPOINT takes it: the gateway and every sidecar append
// `/v1/traces`. Checked before anything starts, so a typo is one usage error, not a mesh whose
// exporters all fail quietly.
import { CliError, EXIT_USAGE } from '../exit-codes.ts';

/** The endpoint with no trailing slash, or a usage error naming the flag. */
export function parseOtlpFlag(value: string): string {
  const fail = (why: string) =>
    new CliError(`--otlp must be the http(s) base URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (${why}); nothing was started`, EXIT_USAGE);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw fail(`got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`got "${value}"`);
  if (url.username || url.password) throw fail('credentials in the URL would show in every process list; pass them in OTEL_EXPORTER_OTLP_HEADERS');
  if (url.search || url.hash) throw fail(`"/v1/traces" is appended to the path, so it cannot carry a query or fragment, got "${value}"`);
  return url.href.replace(/\/+$/, '');
}
