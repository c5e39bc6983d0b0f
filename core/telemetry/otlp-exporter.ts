// OTLP/HTTP with JSON bodies: the OpenTelemetry exporter (@opentelemetry/exporter-trace-otlp-http).
// It POSTs `{ resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }] }` as
// application/json to `<endpoint>/v1/traces`, with hex ids and unix-nano string times. In
// workerd (and browsers) its transport is `fetch`; in Node, node:http. It retries a
// retryable failure (network error, 429, 502-504) with backoff within its timeout.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * The traces URL for an `OTEL_EXPORTER_OTLP_ENDPOINT` base URL, as the OTLP exporter spec
 * says: `/v1/traces` appended to the base path. Throws on anything but an http(s) URL.
 */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint.trim());
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`OTLP endpoint must be http(s), got ${url.protocol}`);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.href;
}

/** `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs, comma-separated, values percent-encoded. */
export function parseOtlpHeaders(value: string | undefined): Record<string, string> {
  return value?.trim() ? parseKeyPairsIntoRecord(value) : {};
}

export interface OtlpExporterOptions {
  /** The base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`); `/v1/traces` is appended. */
  endpoint: string;
  headers?: Record<string, string>;
  /** Per export, retries included (default 5000 ms). */
  timeoutMillis?: number;
}

export function otlpHttpJsonExporter(options: OtlpExporterOptions): SpanExporter {
  return new OTLPTraceExporter({ url: otlpTracesUrl(options.endpoint), headers: options.headers ?? {}, timeoutMillis: options.timeoutMillis ?? 5000 });
}
