import { describe, expect, it } from 'vitest';
import { compileValid, doc, errorLines, warningLines } from '../../../test/support/compile-yaml.ts';

const reviews = doc('Service', 'reviews', 'port: 9080\nsubsets:\n  - { name: v1, labels: { version: v1 } }\n  - { name: v2, labels: { version: v2 } }');
const withReviews = (route: string) => ({ 'services.yaml': reviews, 'route.yaml': route });

describe('Route', () => {
  it('compiles matches, weighted backends, header ops and Mesh defaults', () => {
    const body = compileValid({
      ...withReviews(
        doc(
          'Route',
          'reviews',
          [
            'mesh: { services: [reviews] }',
            'rules:',
            '  - name: jason',
            '    matches:',
            '      - headers: [{ name: End-User, exact: jason }]',
            '        methods: [get]',
            '    backends: [{ service: reviews, subset: v2 }]',
            '    requestHeaders: { set: { X-Canary: "yes" }, remove: [X-Debug] }',
            '  - backends:',
            '      - { service: reviews, subset: v1, weight: 90 }',
            '      - service: reviews',
            '        subset: v2',
            '        weight: 10',
            '        requestHeaders: { set: { X-Version: v2 } }',
            '        responseHeaders: { add: { X-Served-By: V2 }, remove: [Server] }',
            '    timeout: 3s',
            '    maxRequestBytes: 1048576',
          ].join('\n'),
        ),
      ),
      'mesh.yaml': doc('Mesh', 'm', 'defaults:\n  timeout: 9s\n  retries: { attempts: 1, perTryTimeout: 2s }\n  maxRequestBytes: 4096'),
    });
    const [route] = body.routes;
    expect(route?.meshServices).toEqual(['default/reviews']);
    expect(route?.rules[0]).toMatchObject({
      name: 'jason',
      matches: [{ path: { kind: 'prefix', value: '/' }, methods: ['GET'], headers: [{ name: 'end-user', kind: 'exact', value: 'jason' }], query: [] }],
      backends: [{ service: 'default/reviews', subset: 'v2', port: null, weight: 1, requestHeaders: { set: {}, add: {}, remove: [] }, responseHeaders: { set: {}, add: {}, remove: [] } }],
      requestHeaders: { set: { 'x-canary': 'yes' }, add: {}, remove: ['x-debug'] },
      timeoutMs: 9_000,
      retries: { attempts: 1, perTryTimeoutMs: 2_000 },
      maxRequestBytes: 4096,
    });
    expect(route?.rules[1]).toMatchObject({
      name: 'rule-1',
      timeoutMs: 3_000,
      maxRequestBytes: 1_048_576,
      backends: [
        { weight: 90, requestHeaders: { set: {}, add: {}, remove: [] } },
        { weight: 10, requestHeaders: { set: { 'x-version': 'v2' }, add: {}, remove: [] }, responseHeaders: { set: {}, add: { 'x-served-by': 'V2' }, remove: ['server'] } },
      ],
    });
  });

  it('refuses a body limit that is not a positive whole number of bytes', () => {
    const route = (limit: string) => doc('Route', 'r', `mesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews }]\n    maxRequestBytes: ${limit}`);
    for (const limit of ['0', '1.5', '32MiB'])
      expect(errorLines(withReviews(route(limit)))).toEqual(['route.yaml:9:24: spec.rules[0].maxRequestBytes: expected a positive whole number of bytes, such as 1048576 (1 MiB)']);
  });

  it('compiles WebSocket limits, with a one-hour idle timeout and no lifetime limit by default', () => {
    const body = compileValid(
      withReviews(
        doc(
          'Route',
          'r',
          'mesh: { services: [reviews] }\nrules:\n  - matches: [{ path: { prefix: /live } }]\n    backends: [{ service: reviews }]\n    websocket: { idleTimeout: 30s, maxLifetime: 8h }\n  - backends: [{ service: reviews }]',
        ),
      ),
    );
    expect(body.routes[0]?.rules.map((r) => r.websocket)).toEqual([
      { idleTimeoutMs: 30_000, maxLifetimeMs: 28_800_000 },
      { idleTimeoutMs: 3_600_000, maxLifetimeMs: 0 },
    ]);
  });

  it('refuses a WebSocket limit that is zero or not a duration', () => {
    const lines = errorLines(withReviews(doc('Route', 'r', 'mesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews }]\n    websocket: { idleTimeout: 0s, maxLifetime: forever }')));
    expect(lines).toEqual([
      'route.yaml:9:33: spec.rules[0].websocket.idleTimeout: expected a duration greater than zero',
      'route.yaml:9:50: spec.rules[0].websocket.maxLifetime: expected a duration such as 250ms, 5s, 1m or 1h30m',
    ]);
  });

  it('keeps relative weights as written (default 1, any sum, all 0 allowed)', () => {
    const body = compileValid(
      withReviews(
        doc(
          'Route',
          'r',
          'mesh: { services: [reviews] }\nrules:\n  - backends:\n      - { service: reviews, subset: v1, weight: 3 }\n      - { service: reviews, subset: v2 }\n  - matches: [{ path: { prefix: /off } }]\n    backends:\n      - { service: reviews, subset: v1, weight: 0 }\n      - { service: reviews, subset: v2, weight: 0 }',
        ),
      ),
    );
    expect(body.routes[0]?.rules.map((r) => r.backends.map((b) => b.weight))).toEqual([
      [3, 1],
      [0, 0],
    ]);
  });

  it('refuses a weight that is negative, fractional or over 1000000', () => {
    const route = (weight: string) => withReviews(doc('Route', 'r', `mesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews, weight: ${weight} }]`));
    expect(errorLines(route('1000000'))).toEqual([]);
    expect(errorLines(route('1000001'))).toEqual(['route.yaml:8:46: spec.rules[0].backends[0].weight: Too big: expected number to be <=1000000']);
    expect(errorLines(route('-1'))).toEqual(['route.yaml:8:46: spec.rules[0].backends[0].weight: Too small: expected number to be >=0']);
    expect(errorLines(route('1.5'))).toEqual(['route.yaml:8:46: spec.rules[0].backends[0].weight: expected int, received number']);
  });

  it('compiles one mirror or a list of them, each with its own percent (100 when omitted)', () => {
    const shadow = doc('Service', 'shadow', 'port: 80');
    const route = (mirror: string) => ({ ...withReviews(doc('Route', 'r', `mesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews }]\n    mirror: ${mirror}`)), 'shadow.yaml': shadow });
    expect(compileValid(route('{ service: shadow, percent: 5 }')).routes[0]?.rules[0]?.mirrors).toEqual([{ service: 'default/shadow', subset: null, percent: 5 }]);
    expect(compileValid(route('[{ service: shadow, percent: 5 }, { service: reviews, subset: v2 }]')).routes[0]?.rules[0]?.mirrors).toEqual([
      { service: 'default/shadow', subset: null, percent: 5 },
      { service: 'default/reviews', subset: 'v2', percent: 100 },
    ]);
    expect(compileValid(withReviews(doc('Route', 'r', 'mesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews }]'))).routes[0]?.rules[0]?.mirrors).toEqual([]);
    expect(errorLines(route('[{ service: shadow }, { service: gone }]'))).toEqual(['route.yaml:9:48: spec.rules[0].mirror[1].service: Service "default/gone" does not exist']);
    expect(errorLines(route('[]'))).toEqual(['route.yaml:9:15: spec.rules[0].mirror: Too small: expected array to have >=1 items']);
    expect(errorLines(route('shadow'))).toEqual(['route.yaml:9:15: spec.rules[0].mirror: expected a mirror ({ service, percent }) or a list of them']);
  });

  it('reports missing services and subsets with what exists', () => {
    const lines = errorLines(
      withReviews(doc('Route', 'r', 'mesh: { services: [ratings] }\nrules:\n  - backends: [{ service: reviews, subset: v9 }]\n    mirror: { service: shadow }')),
    );
    expect(lines).toEqual([
      'route.yaml:6:22: spec.mesh.services[0]: Service "default/ratings" does not exist',
      'route.yaml:8:46: spec.rules[0].backends[0].subset: Service "default/reviews" has no subset "v9" (it has: v1, v2)',
      'route.yaml:9:26: spec.rules[0].mirror.service: Service "default/shadow" does not exist',
    ]);
  });

  it('validates paths against the same normalization and regex rules the matcher uses', () => {
    const lines = errorLines(
      withReviews(
        doc(
          'Route',
          'r',
          [
            'edge: { hosts: [api.example.com] }',
            'rules:',
            '  - matches:',
            '      - path: { exact: "/a//b" }',
            '      - path: { prefix: "/x/../y" }',
            '      - path: { regex: "/users/(" }',
            '      - path: { template: "/users/{id" }',
            '      - path: { exact: "no-slash" }',
            '      - headers: [{ name: x-v, regex: "[" }]',
            '    backends: [{ service: reviews }]',
          ].join('\n'),
        ),
      ),
    );
    expect(lines).toEqual([
      'route.yaml:9:26: spec.rules[0].matches[0].path.exact: path "/a//b" is not in normalized form (requests are normalized before matching, so it would never match); write "/a/b"',
      'route.yaml:10:27: spec.rules[0].matches[1].path.prefix: path "/x/../y" is not in normalized form (requests are normalized before matching, so it would never match); write "/y"',
      expect.stringMatching(/^route\.yaml:11:26: spec\.rules\[0\]\.matches\[2\]\.path\.regex: invalid regex: /),
      expect.stringMatching(/^route\.yaml:12:29: spec\.rules\[0\]\.matches\[3\]\.path\.template: /),
      'route.yaml:13:26: spec.rules[0].matches[4].path.exact: expected a path starting with "/", got "no-slash"',
      expect.stringMatching(/^route\.yaml:14:41: spec\.rules\[0\]\.matches\[5\]\.headers\[0\]\.regex: invalid regex: /),
    ]);
  });

  it('needs exactly one path kind, one value condition, and edge or mesh', () => {
    const lines = errorLines(
      withReviews(doc('Route', 'r', 'rules:\n  - matches:\n      - path: { exact: /a, prefix: /b }\n        query: [{ name: q }]\n    backends: [{ service: reviews }]')),
    );
    expect(lines).toEqual([
      'route.yaml:6:3: spec: a route needs edge (hosts), mesh (services), or both',
      'route.yaml:8:17: spec.rules[0].matches[0].path: a path match takes only one of exact, prefix, template, regex, got exact and prefix',
      'route.yaml:9:19: spec.rules[0].matches[0].query[0]: a header/query match needs one of: exact, prefix, regex, present',
    ]);
  });

  it('compiles a grpc match to the method path, or to the service prefix without a method', () => {
    const body = compileValid(
      withReviews(
        doc(
          'Route',
          'r',
          [
            'mesh: { services: [reviews] }',
            'rules:',
            '  - name: say-hello',
            '    matches: [{ grpc: { service: helloworld.Greeter, method: SayHello }, headers: [{ name: x-tenant, exact: a }] }]',
            '    backends: [{ service: reviews, subset: v2 }]',
            '  - name: greeter',
            '    matches: [{ grpc: { service: helloworld.Greeter } }]',
            '    backends: [{ service: reviews, subset: v1 }]',
            '    rewrite: { pathPrefix: /helloworld.v2.Greeter }',
          ].join('\n'),
        ),
      ),
    );
    const [sayHello, greeter] = body.routes[0]?.rules ?? [];
    expect(sayHello?.matches).toEqual([{ path: { kind: 'exact', value: '/helloworld.Greeter/SayHello' }, methods: [], headers: [{ name: 'x-tenant', kind: 'exact', value: 'a' }], query: [] }]);
    expect(greeter?.matches).toEqual([{ path: { kind: 'prefix', value: '/helloworld.Greeter' }, methods: [], headers: [], query: [] }]);
  });

  it('refuses a grpc match beside a path, and names that are not protobuf names', () => {
    const lines = errorLines(
      withReviews(
        doc(
          'Route',
          'r',
          [
            'mesh: { services: [reviews] }',
            'rules:',
            '  - matches:',
            '      - { path: { prefix: /a }, grpc: { service: helloworld.Greeter } }',
            '      - grpc: { service: helloworld/Greeter, method: Say.Hello }',
            '    backends: [{ service: reviews }]',
          ].join('\n'),
        ),
      ),
    );
    expect(lines).toEqual([
      'route.yaml:9:41: spec.rules[0].matches[0].grpc: a match block takes path or grpc, not both (grpc is the path /package.Service/Method)',
      'route.yaml:10:28: spec.rules[0].matches[1].grpc.service: expected a gRPC service name as protobuf qualifies it, such as helloworld.Greeter',
      'route.yaml:10:56: spec.rules[0].matches[1].grpc.method: expected a gRPC method name such as SayHello',
    ]);
  });

  it('checks action combinations: backends xor redirect, pathPrefix only with prefixes, CORS only at the edge', () => {
    const lines = errorLines(
      withReviews(
        doc(
          'Route',
          'r',
          [
            'mesh: { services: [reviews] }',
            'rules:',
            '  - matches: [{ path: { exact: /a } }]',
            '    rewrite: { pathPrefix: /b }',
            '    backends: [{ service: reviews }]',
            '    redirect: { path: /c }',
            '  - cors: { allowOrigins: ["*"], allowCredentials: true }',
            '    backends: [{ service: reviews }]',
            '  - matches: [{ path: { prefix: /old } }]',
          ].join('\n'),
        ),
      ),
    );
    expect(lines).toEqual([
      'route.yaml:8:7: spec.rules[0]: a rule takes backends or redirect, not both',
      'route.yaml:9:30: spec.rules[0].rewrite.pathPrefix: pathPrefix replaces the matched prefix, so every match of this rule needs a prefix path',
      'route.yaml:12:13: spec.rules[1].cors: the mesh data plane cannot enforce CORS (browsers do not call mesh services; only the edge gateway answers preflights), and this route has no edge hosts',
    ]);
  });

  it('accepts a rule without backends (omitted or empty), as the Gateway API does, and warns that it answers 500', () => {
    const files = {
      'services.yaml': reviews,
      'r.yaml': doc('Route', 'r', 'edge: { hosts: [r.example.com] }\nrules:\n  - matches: [{ path: { exact: /a } }]\n  - matches: [{ path: { exact: /b } }]\n    backends: []'),
    };
    expect(errorLines(files)).toEqual([]);
    expect(warningLines(files)).toEqual([
      expect.stringMatching(/^r\.yaml:\d+:\d+: spec\.rules\[0\]: this rule has no backends and no redirect: every request it matches is answered 500 no_backend$/),
      expect.stringMatching(/^r\.yaml:\d+:\d+: spec\.rules\[1\]: this rule has no backends and no redirect/),
    ]);
  });

  it('warns at a rule whose match block is identical to an earlier one on the same host, which wins', () => {
    const route = (name: string, extra = '') =>
      doc('Route', name, `edge: { hosts: [API.example.com] }\nrules:\n  - matches: [{ path: { prefix: /v1/ }, methods: [GET, POST]${extra} }]\n    backends: [{ service: reviews }]`);
    const files = { 'services.yaml': reviews, 'a.yaml': route('a'), 'b.yaml': route('b').replace('[GET, POST]', '[POST, GET]').replace('/v1/', '/v1') };
    expect(errorLines(files)).toEqual([]);
    expect(warningLines(files)).toEqual([
      'b.yaml:8:17: spec.rules[0].matches[0]: matches exactly the same requests on host api.example.com as Route "default/a" rule "rule-0"; that rule wins and this one never matches there',
    ]);
    // One more condition makes them different matches: no warning.
    expect(warningLines({ 'services.yaml': reviews, 'a.yaml': route('a'), 'b.yaml': route('b', ', headers: [{ name: x, present: true }]') })).toEqual([]);
  });

  it('warns once per shadowed match block, naming every host and mesh service it loses, and not for two blocks of one rule', () => {
    const files = {
      ...withReviews(
        doc(
          'Route',
          'r',
          [
            'edge: { hosts: [a.example.com, b.example.com] }', // 6
            'mesh: { services: [reviews] }', // 7
            'rules:', // 8
            '  - name: first', // 9
            '    matches: [{ path: { exact: /x } }, { path: { exact: /x } }]', // 10
            '    backends: [{ service: reviews }]', // 11
            '  - name: second', // 12
            '    matches: [{ path: { prefix: /y } }, { path: { exact: /x } }]', // 13
            '    backends: [{ service: reviews, subset: v2 }]', // 14
          ].join('\n'),
        ),
      ),
    };
    expect(warningLines(files)).toEqual([
      'route.yaml:13:43: spec.rules[1].matches[1]: matches exactly the same requests on host a.example.com, host b.example.com, calls to Service "default/reviews" as Route "default/r" rule "first"; that rule wins and this one never matches there',
    ]);
  });

  it('reports an explicit per-try timeout longer than the rule timeout, but clamps an inherited one', () => {
    const mesh = doc('Mesh', 'm', 'defaults: { retries: { perTryTimeout: 5s } }');
    const route = (retries: string) =>
      doc('Route', 'r', `mesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews }]\n    timeout: 1s${retries}`);
    expect(errorLines({ ...withReviews(route('\n    retries: { perTryTimeout: 2s }')), 'mesh.yaml': mesh })).toEqual([
      'route.yaml:10:33: spec.rules[0].retries.perTryTimeout: perTryTimeout (2000ms) is longer than the overall timeout (1000ms)',
    ]);
    const body = compileValid({ ...withReviews(route('')), 'mesh.yaml': mesh });
    expect(body.routes[0]?.rules[0]?.retries.perTryTimeoutMs).toBe(1_000);
  });

  it('reads 0s as no timeout: a per-try timeout is never longer than none, nor cut to it', () => {
    const mesh = doc('Mesh', 'm', 'defaults: { retries: { perTryTimeout: 5s } }');
    const route = (rule: string) => ({ ...withReviews(doc('Route', 'r', `mesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews }]\n${rule}`)), 'mesh.yaml': mesh });
    const rule = (text: string) => compileValid(route(text)).routes[0]?.rules[0];
    expect(rule('    timeout: 0s')).toMatchObject({ timeoutMs: 0, retries: { perTryTimeoutMs: 5_000 } });
    expect(rule('    timeout: 0s\n    retries: { perTryTimeout: 1h }')).toMatchObject({ timeoutMs: 0, retries: { perTryTimeoutMs: 3_600_000 } });
    expect(rule('    timeout: 1s\n    retries: { perTryTimeout: 0s }')).toMatchObject({ timeoutMs: 1_000, retries: { perTryTimeoutMs: 0 } });
    expect(errorLines(route('    timeout: 0s\n    retries: { perTryTimeout: 1h }'))).toEqual([]);
  });

  it('accepts a Mesh default timeout of 0s (none) and inherits it', () => {
    const body = compileValid({ ...withReviews(doc('Route', 'r', 'mesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews }]')), 'mesh.yaml': doc('Mesh', 'm', 'defaults: { timeout: 0s }') });
    expect(body.mesh.defaults.timeoutMs).toBe(0);
    expect(body.routes[0]?.rules[0]?.timeoutMs).toBe(0);
  });

  it('refuses a backend port, which no data plane honours (each endpoint is called on its own port)', () => {
    const lines = errorLines(withReviews(doc('Route', 'r', 'edge: { hosts: [r.example.com] }\nmesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews, port: 9443 }]')));
    expect(lines).toEqual([
      'route.yaml:9:44: spec.rules[0].backends[0].port: no data plane enforces a backend port: the edge gateway and the mesh sidecar call each endpoint on its own port (the endpoint’s, else the Service’s); set the port on the Service',
    ]);
  });

  it('accepts CORS on a route that also has edge hosts (the gateway enforces it; mesh callers are not browsers)', () => {
    const body = compileValid(withReviews(doc('Route', 'r', 'edge: { hosts: [r.example.com] }\nmesh: { services: [reviews] }\nrules:\n  - backends: [{ service: reviews }]\n    cors: { allowOrigins: ["https://app.example.com"] }')));
    expect(body.routes[0]?.rules[0]?.cors?.allowOrigins).toEqual(['https://app.example.com']);
  });

  it('compiles a redirect’s pathPrefix, only where every match is a prefix and never with path', () => {
    const route = (rules: string) => withReviews(doc('Route', 'r', `edge: { hosts: [r.example.com] }\nrules:\n${rules}`));
    const body = compileValid(route('  - matches: [{ path: { prefix: /old } }, { grpc: { service: pkg.Svc } }]\n    redirect: { pathPrefix: /new, statusCode: 301 }'));
    expect(body.routes[0]?.rules[0]?.redirect).toEqual({ scheme: null, host: null, port: null, path: null, pathPrefix: '/new', statusCode: 301 });
    expect(errorLines(route('  - matches: [{ path: { prefix: /a } }, { path: { exact: /b } }]\n    redirect: { pathPrefix: /c }\n  - matches: [{ path: { prefix: /d } }]\n    redirect: { path: /e, pathPrefix: /f }'))).toEqual([
      'route.yaml:9:31: spec.rules[0].redirect.pathPrefix: pathPrefix replaces the matched prefix, so every match of this rule needs a prefix path',
      'route.yaml:11:17: spec.rules[1].redirect: redirect takes path or pathPrefix, not both',
    ]);
    expect(errorLines(route('  - redirect: { pathPrefix: c }'))).toEqual([expect.stringContaining('spec.rules[0].redirect.pathPrefix')]);
  });

  it('compiles CORS wildcards as the Gateway API has them, credentials with them, and a max age of 5s by default', () => {
    const cors = (text: string) =>
      compileValid(withReviews(doc('Route', 'r', `edge: { hosts: [r.example.com] }\nrules:\n  - backends: [{ service: reviews }]\n    cors: ${text}`))).routes[0]?.rules[0]?.cors;
    expect(cors('{ allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], exposeHeaders: ["*"], allowCredentials: true }')).toEqual({
      allowOrigins: ['*'],
      allowMethods: ['*'],
      allowHeaders: ['*'],
      exposeHeaders: ['*'],
      maxAgeSeconds: 5,
      allowCredentials: true,
    });
    expect(cors('{ allowOrigins: ["https://*", "HTTPS://App.example.com:8443"], maxAge: 1h }')).toMatchObject({ allowOrigins: ['https://*', 'https://app.example.com:8443'], maxAgeSeconds: 3600 });
  });

  it('refuses a CORS `*` listed beside other values, and an origin that is not one', () => {
    const lines = errorLines(
      withReviews(
        doc(
          'Route',
          'r',
          'edge: { hosts: [r.example.com] }\nrules:\n  - backends: [{ service: reviews }]\n    cors:\n      allowOrigins: ["*", "https://a.example.com"]\n      allowMethods: ["*", GET]\n      allowHeaders: ["*", x-a]\n      exposeHeaders: [x-b, "*"]',
        ),
      ),
    );
    const star = '"*" allows everything, so it cannot be listed with other values';
    expect(lines).toEqual([
      `route.yaml:10:23: spec.rules[0].cors.allowOrigins: ${star}`,
      `route.yaml:11:23: spec.rules[0].cors.allowMethods: ${star}`,
      `route.yaml:12:23: spec.rules[0].cors.allowHeaders: ${star}`,
      `route.yaml:13:24: spec.rules[0].cors.exposeHeaders: ${star}`,
    ]);
    expect(errorLines(withReviews(doc('Route', 'r', 'edge: { hosts: [r.example.com] }\nrules:\n  - backends: [{ service: reviews }]\n    cors: { allowOrigins: ["app.example.com"] }')))).toEqual([
      'route.yaml:9:30: spec.rules[0].cors.allowOrigins[0]: expected an origin such as https://app.example.com, https://*.example.com or *, got "app.example.com"',
    ]);
  });
});
