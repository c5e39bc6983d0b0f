// Service: a named destination: its port, subsets by labels, static endpoints (or endpoints
// that sidecars register), load balancing, connection limits and outlier detection.
import { z } from 'zod';
import { dnsLabel, documentSchema } from '../shared/envelope.ts';
import { positiveDuration } from '../shared/duration.ts';
import { headerName } from '../shared/header-ops.ts';
import { repeatedNames } from '../shared/duplicates.ts';
import { SERVICE_PROTOCOLS } from './protocol.ts';

const port = z.number().int().min(1).max(65535);
const labels = z.record(z.string(), z.string());

const hashOn = z.union(
  [
    z.strictObject({ header: headerName.describe('Hash on this request header.') }),
    z.strictObject({
      cookie: z.strictObject({
        name: z.string().min(1).describe('Cookie name.'),
        ttl: positiveDuration.optional().describe('Refused by the compiler: no data plane issues the cookie yet. Hash on a cookie the client already sends instead.'),
      }).describe('Hash on a cookie.'),
    }),
    z.strictObject({ sourceIp: z.literal(true).describe('Hash on the client IP.') }),
  ],
  { error: 'expected one of {header: NAME}, {cookie: {name, ttl}}, {sourceIp: true}' },
);

export const serviceSpec = z
  .strictObject({
    port: port.default(80).describe('Port the service instances listen on (the app port behind each sidecar).'),
    protocol: z
      .enum(SERVICE_PROTOCOLS)
      .default('http')
      .describe(
        'What the instances speak. `http`: HTTP/1.1. `https`: HTTP/1.1 over TLS to static endpoints. `http2`: HTTP/2 (cleartext h2c to the app and to static endpoints; h2 over mutual TLS between sidecars). `grpc`: gRPC over HTTP/2, as `http2`.',
      ),
    subsets: z
      .array(
        z.strictObject({
          name: dnsLabel.describe('Subset name, e.g. `v1`.'),
          labels: labels.refine((l) => Object.keys(l).length > 0, 'a subset needs at least one label').describe('Endpoints with all these labels belong to the subset.'),
        }),
      )
      .default([])
      .describe('Named groups of endpoints (versions), selected by labels.'),
    endpoints: z
      .array(
        z.strictObject({
          address: z.string().min(1).describe('IP address or host name.'),
          port: port.optional().describe('Port; the service port when omitted.'),
          labels: labels.default({}).describe('Labels that place this endpoint in subsets.'),
          weight: z.number().int().min(1).max(1000).default(1).describe('Relative load-balancing weight.'),
        }),
      )
      .default([])
      .describe('Static endpoints. Sidecars of this service also register their instances with the control plane.'),
    loadBalancer: z
      .strictObject({
        algorithm: z.enum(['round-robin', 'least-request', 'random', 'consistent-hash']).default('round-robin').describe('How an endpoint is picked.'),
        hashOn: hashOn.optional().describe('Key for `consistent-hash` (required there, refused elsewhere).'),
      })
      .default({ algorithm: 'round-robin' })
      .describe('Load balancing across the chosen endpoints.'),
    connectionLimits: z
      .strictObject({
        maxConnections: z.number().int().min(1).default(1024).describe('Connections per proxy to the whole service.'),
        maxPendingRequests: z.number().int().min(0).default(1024).describe('Requests waiting for a connection before the breaker answers 503.'),
        maxRequestsPerConnection: z.number().int().min(0).default(0).describe('Requests before a connection is recycled; 0 = unlimited.'),
      })
      .default({ maxConnections: 1024, maxPendingRequests: 1024, maxRequestsPerConnection: 0 })
      .describe('Circuit breaking: limits per proxy; over them requests fail fast with 503.'),
    mtls: z
      .strictObject({
        mode: z
          .enum(['strict', 'permissive'])
          .describe('`strict`: this service’s sidecars accept only mutual TLS from mesh callers. `permissive`: also plaintext (JWT-SVID or none), for migrating callers without sidecars.'),
      })
      .optional()
      .describe('Overrides the Mesh’s `mtls.mode` for the inbound side of this service’s sidecars; the Mesh’s applies when omitted.'),
    outlierDetection: z
      .strictObject({
        consecutive5xx: z.number().int().min(1).default(5).describe('5xx answers in a row that eject an endpoint.'),
        consecutiveGatewayErrors: z.number().int().min(1).default(5).describe('502/503/504 or connection failures in a row that eject an endpoint.'),
        interval: positiveDuration.default('10s').describe('How often ejections are reconsidered.'),
        baseEjectionTime: positiveDuration.default('30s').describe('First ejection time; grows linearly with each ejection of the same endpoint.'),
        maxEjectionPercent: z.number().int().min(0).max(100).default(50).describe('Never eject more than this share of endpoints.'),
      })
      .optional()
      .describe('Passive health checking; off when omitted.'),
  })
  .superRefine((s, ctx) => {
    if (s.loadBalancer.algorithm === 'consistent-hash' && !s.loadBalancer.hashOn)
      ctx.addIssue({ code: 'custom', path: ['loadBalancer', 'hashOn'], message: 'consistent-hash needs hashOn: {header}, {cookie} or {sourceIp: true}' });
    if (s.loadBalancer.algorithm !== 'consistent-hash' && s.loadBalancer.hashOn)
      ctx.addIssue({ code: 'custom', path: ['loadBalancer', 'hashOn'], message: `hashOn applies only to consistent-hash, not ${s.loadBalancer.algorithm}` });
    for (const r of repeatedNames(s.subsets.map((x) => x.name)))
      ctx.addIssue({ code: 'custom', path: ['subsets', r.index, 'name'], message: `duplicate subset "${r.name}"` });
  });

export type ServiceSpec = z.infer<typeof serviceSpec>;

export const serviceDocument = documentSchema('Service', serviceSpec, 'A named service: subsets, endpoints, load balancing and resilience settings.');
