// Route: where requests go. Applies at the edge (hosts of the gateway), in the mesh (calls to
// named services), or both, with one rule language for matching and actions.
import { z } from 'zod';
import { dnsLabel, documentSchema } from '../shared/envelope.ts';
import { duration, positiveDuration } from '../shared/duration.ts';
import { headerName, headerOps } from '../shared/header-ops.ts';
import { maxRequestBytes } from '../shared/request-size.ts';
import { retries } from '../shared/resilience.ts';
import { GRPC_METHOD_NAME, GRPC_SERVICE_NAME } from '../../grpc/method-path.ts';

const percent = z.number().min(0).max(100);
const httpMethod = z
  .string()
  .regex(/^[A-Za-z]+$/, 'expected an HTTP method such as GET')
  .transform((m) => m.toUpperCase());

/** Exactly one of the listed keys may be set: `{exact: …}`, `{prefix: …}`… */
function exactlyOne(keys: readonly string[], what: string) {
  return (value: Record<string, unknown>, ctx: z.core.$RefinementCtx) => {
    const set = keys.filter((k) => value[k] !== undefined);
    if (set.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: set.length === 0 ? `${what} needs one of: ${keys.join(', ')}` : `${what} takes only one of ${keys.join(', ')}, got ${set.join(' and ')}`,
      });
  };
}

const valueMatch = z
  .strictObject({
    name: z.string().min(1).describe('Header or query parameter name.'),
    exact: z.string().optional().describe('Value equals this (case-sensitive).'),
    prefix: z.string().optional().describe('Value starts with this.'),
    regex: z.string().optional().describe('Value fully matches this regular expression (JavaScript syntax, `u` flag).'),
    present: z.literal(true).optional().describe('Present with any value.'),
  })
  .superRefine(exactlyOne(['exact', 'prefix', 'regex', 'present'], 'a header/query match'));

export const pathMatch = z
  .strictObject({
    exact: z.string().optional().describe('The whole path equals this.'),
    prefix: z.string().optional().describe('Segment-wise prefix: `/api` matches `/api` and `/api/x`, not `/apix`.'),
    template: z.string().optional().describe('Segments with `{name}` parameters: `/users/{id}`.'),
    regex: z.string().optional().describe('Full match against the normalized path.'),
  })
  .superRefine(exactlyOne(['exact', 'prefix', 'template', 'regex'], 'a path match'));

export const grpcMatch = z.strictObject({
  service: z
    .string()
    .regex(GRPC_SERVICE_NAME, 'expected a gRPC service name as protobuf qualifies it, such as helloworld.Greeter')
    .describe('Fully-qualified service name: the proto package, a dot, the service (`helloworld.Greeter`).'),
  method: z.string().regex(GRPC_METHOD_NAME, 'expected a gRPC method name such as SayHello').optional().describe('Method name (`SayHello`); every method of the service when omitted.'),
});

const routeMatch = z
  .strictObject({
    path: pathMatch.optional().describe('Path condition; `prefix: /` when neither path nor grpc is set.'),
    grpc: grpcMatch
      .optional()
      .describe('gRPC service and method: the path `/package.Service/Method` exactly, or the prefix `/package.Service` without a method (exclusive with path).'),
    methods: z.array(httpMethod).optional().describe('Any of these methods; any method when omitted.'),
    headers: z.array(valueMatch.safeExtend({ name: headerName.describe('Header name (case-insensitive).') })).optional().describe('All of these header conditions.'),
    query: z.array(valueMatch).optional().describe('All of these query-parameter conditions.'),
  })
  .superRefine((m, ctx) => {
    if (m.path && m.grpc)
      ctx.addIssue({ code: 'custom', message: 'a match block takes path or grpc, not both (grpc is the path /package.Service/Method)', path: ['grpc'] });
  });

/** The largest relative weight (Gateway API's bound). */
export const MAX_BACKEND_WEIGHT = 1_000_000;

const backendRef = z.strictObject({
  service: dnsLabel.describe('Service name (in the route’s namespace unless `namespace` is set).'),
  namespace: dnsLabel.optional().describe('Namespace of the service; the route’s own when omitted.'),
  subset: dnsLabel.optional().describe('Subset of that service; all endpoints when omitted.'),
  port: z.number().int().min(1).max(65535).optional().describe('Refused by the compiler: the backend is reached on its endpoints’ ports; name a subset instead.'),
  weight: z
    .number()
    .int()
    .min(0)
    .max(MAX_BACKEND_WEIGHT)
    .default(1)
    .describe('Relative share of traffic: a backend gets weight / (sum of the rule’s weights) of the requests (no need to sum to 100). 0 sends it nothing; a rule whose weights are all 0 answers 500 `no_backend`.'),
  requestHeaders: headerOps.optional().describe('Header operations on requests sent to this backend only, after the rule’s own `requestHeaders`.'),
  responseHeaders: headerOps.optional().describe('Header operations on responses from this backend only, after the rule’s own `responseHeaders`.'),
});

const mirrorTarget = z.strictObject({
  service: dnsLabel.describe('Service that receives the copies.'),
  namespace: dnsLabel.optional().describe('Its namespace; the route’s own when omitted.'),
  subset: dnsLabel.optional().describe('Subset of that service.'),
  percent: percent.default(100).describe('Share of requests copied to this mirror, drawn for each mirror on its own.'),
});

const hostPattern = z
  .string()
  .transform((h) => h.toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/,
        'expected a host name, `*.example.com` or `*` (no port, no scheme)',
      ),
  );

/** `['*']`: every value (Gateway API HTTPCORSFilter); a `*` stands alone in its list. */
function wildcardAlone(list: readonly string[], ctx: z.core.$RefinementCtx): void {
  if (list.includes('*') && list.length > 1) ctx.addIssue({ code: 'custom', message: '"*" allows everything, so it cannot be listed with other values' });
}

const corsMethod = z.union([z.literal('*'), httpMethod]);

const cors = z.strictObject({
  allowOrigins: z
    .array(z.string().min(1))
    .min(1)
    .superRefine(wildcardAlone)
    .describe('Exact origins (`https://app.example.com`), `https://*.example.com` (any depth of subdomain), `https://*` (any host of the scheme), or `*` alone (any origin; echoed back when `allowCredentials` is true).'),
  allowMethods: z
    .array(corsMethod)
    .default(['GET', 'HEAD', 'POST'])
    .superRefine(wildcardAlone)
    .describe('Methods a preflight may ask for, or `["*"]` for any (answered `*`, or the requested method when `allowCredentials` is true). GET, HEAD and POST are always allowed.'),
  allowHeaders: z
    .array(headerName)
    .default([])
    .superRefine(wildcardAlone)
    .describe('Request headers a preflight may ask for, or `["*"]` for any (answered `*`, or the requested headers when `allowCredentials` is true).'),
  exposeHeaders: z
    .array(headerName)
    .default([])
    .superRefine(wildcardAlone)
    .describe('Response headers exposed to the page, or `["*"]` for all (answered `*`, or the names of the response’s headers when `allowCredentials` is true).'),
  maxAge: duration.optional().describe('How long browsers may cache the preflight (whole seconds; 5s when omitted, as the Gateway API says).'),
  allowCredentials: z.boolean().default(false).describe('Allow cookies and credentials: the answer then names the request’s origin, method and headers instead of `*`.'),
});

export const routeRule = z.strictObject({
  name: dnsLabel.optional().describe('Rule name, shown in diffs, metrics and logs; `rule-<index>` when omitted.'),
  matches: z.array(routeMatch).default([{ path: { prefix: '/' } }]).describe('Any of these match blocks (OR); all conditions in a block must hold (AND). Everything when omitted.'),
  backends: z.array(backendRef).optional().describe('Where matched requests go, split by weight. A rule with none (and no redirect) answers 500 no_backend, with a compile warning.'),
  redirect: z
    .strictObject({
      scheme: z.enum(['http', 'https']).optional().describe('Scheme of the Location; the request’s when omitted.'),
      host: z.string().min(1).optional().describe('Host of the Location; the request’s when omitted.'),
      port: z
        .number()
        .int()
        .min(1)
        .max(65535)
        .optional()
        .describe('Port of the Location; when omitted, the well-known port of `scheme` if set, else the port of the listener that took the request (never the client’s Host port). 80 for http and 443 for https are not written.'),
      path: z.string().startsWith('/').optional().describe('Replace the whole path.'),
      pathPrefix: z
        .string()
        .startsWith('/')
        .optional()
        .describe('Replace the matched path prefix, the rest of the path kept (only with prefix matches; exclusive with path).'),
      statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).default(302).describe('Redirect status.'),
    })
    .optional()
    .describe('Answer with a redirect instead of forwarding (exclusive with backends).'),
  rewrite: z
    .strictObject({
      pathPrefix: z.string().startsWith('/').optional().describe('Replace the matched path prefix (only with prefix matches).'),
      path: z.string().startsWith('/').optional().describe('Replace the whole path.'),
      host: z.string().min(1).optional().describe('Replace the Host header sent upstream.'),
    })
    .optional()
    .describe('Rewrite the request before forwarding.'),
  requestHeaders: headerOps.optional().describe('Header operations on the request sent upstream.'),
  responseHeaders: headerOps.optional().describe('Header operations on the response sent back.'),
  mirror: z
    .union([mirrorTarget, z.array(mirrorTarget).min(1)], { error: 'expected a mirror ({ service, percent }) or a list of them' })
    .optional()
    .describe('Shadow traffic: copy requests to one backend, or to each of a list, by percent; their answers are discarded.'),
  timeout: duration.optional().describe('Overall timeout including retries; `0s` means none (Mesh default when omitted).'),
  retries: retries.optional().describe('Retry policy; fields merge over the Mesh defaults.'),
  maxRequestBytes: maxRequestBytes.optional().describe('Largest request body in bytes; a larger one is answered 413 before it reaches the backend (Mesh default when omitted).'),
  fault: z
    .strictObject({
      delay: z.strictObject({ fixed: positiveDuration.describe('How long to delay.'), percent: percent.describe('Share of requests delayed.') }).optional().describe('Delay a share of requests.'),
      abort: z.strictObject({ status: z.number().int().min(400).max(599).describe('Status to answer with.'), percent: percent.describe('Share of requests aborted.') }).optional().describe('Answer a share of requests with this status.'),
    })
    .optional()
    .describe('Fault injection, for testing resilience.'),
  cors: cors.optional().describe('CORS for browsers (edge only).'),
  websocket: z
    .strictObject({
      idleTimeout: positiveDuration.optional().describe('Close an open WebSocket after this long with no data either way (1h when omitted).'),
      maxLifetime: positiveDuration.optional().describe('Close an open WebSocket this long after its handshake, however busy (no limit when omitted).'),
    })
    .optional()
    .describe('Limits on WebSockets opened through this rule (the handshake itself is under `timeout`); closed with code 1001.'),
});

export const routeSpec = z
  .strictObject({
    edge: z
      .strictObject({ hosts: z.array(hostPattern).min(1).describe('Hosts the gateway serves this route on.') })
      .optional()
      .describe('Apply at the edge gateway.'),
    mesh: z
      .strictObject({ services: z.array(dnsLabel).min(1).describe('Services (in this namespace) whose callers this route governs.') })
      .optional()
      .describe('Apply to east-west calls to these services.'),
    rules: z.array(routeRule).min(1, 'expected at least one rule').describe('Rules, tried by match precedence (see docs/routing.md), not by order alone.'),
  })
  .superRefine((s, ctx) => {
    if (!s.edge && !s.mesh) ctx.addIssue({ code: 'custom', message: 'a route needs edge (hosts), mesh (services), or both' });
  });

export type RouteSpec = z.infer<typeof routeSpec>;
export type RouteRuleSpec = z.infer<typeof routeRule>;

export const routeDocument = documentSchema('Route', routeSpec, 'Routing rules at the edge, in the mesh, or both.');
