// A real OTLP/HTTP (JSON) trace collector for the gateway's tracing tests, on 127.0.0.1 only.
// POST /v1/traces records the body; GET /__spans returns the spans received (flattened, each
// with its resource's service.name and scope name) and the raw requests; /__reset clears them
// (and brings it back up). /__down makes every export fail by dropping the connection, until
// /__up.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpKeyValue {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  status?: { code?: number; message?: string };
}

/** A received span with where it came from. */
export interface CollectedSpan extends OtlpSpan {
  serviceName: string | undefined;
  scopeName: string | undefined;
}

export interface CollectedRequest {
  path: string;
  contentType: string | undefined;
  body: unknown;
}

interface ExportTraceServiceRequest {
  resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[] }[];
}

export interface OtlpCollector {
  port: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function flatten(body: ExportTraceServiceRequest): CollectedSpan[] {
  const out: CollectedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const serviceName = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
    for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) out.push({ ...span, serviceName, scopeName: ss.scope?.name });
  }
  return out;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const requests: CollectedRequest[] = [];
  const spans: CollectedSpan[] = [];
  let mode: { kind: 'up' } | { kind: 'down' } = { kind: 'up' };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://collector');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    switch (url.pathname) {
      case '/__spans':
        return json(200, { spans, requests });
      case '/__reset':
        spans.length = 0;
        requests.length = 0;
        mode = { kind: 'up' };
        return json(200, {});
      case '/__down':
        mode = { kind: 'down' };
        return json(200, {});
      case '/__up':
        mode = { kind: 'up' };
        return json(200, {});
    }
    if (url.pathname !== '/v1/traces' || req.method !== 'POST') return json(404, { error: 'not found' });
    if (mode.kind === 'down') return req.socket.destroy();
    const text = await readBody(req);
    let body: ExportTraceServiceRequest;
    try {
      body = JSON.parse(text) as ExportTraceServiceRequest;
    } catch {
      return json(400, { error: 'body is not JSON' });
    }
    requests.push({ path: url.pathname, contentType: req.headers['content-type'], body });
    spans.push(...flatten(body));
    return json(200, {});
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
