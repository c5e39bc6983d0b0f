// The sidecar's configuration: every flag and its environment variable, defaults, precedence,
// and clear errors for bad values; through the real CLI, a bad value exits 2 with one line.
import { describe, expect, it } from 'vitest';
import { FLAGS, parseFlags, resolveConfig } from '../../sidecar/config.ts';
import { weft } from '../fixtures/cli/weft.ts';

const machine = { hostname: 'node-1', pid: 4242 };
const base = { service: 'reviews', 'app-port': '9080' };

describe('sidecar configuration', () => {
  it('needs only --service and --app-port; everything else has the documented default', () => {
    expect(resolveConfig(base, {}, machine)).toEqual({
      service: 'reviews',
      namespace: 'default',
      labels: {},
      app: { host: '127.0.0.1', port: 9080 },
      controlUrl: 'http://127.0.0.1:8788',
      joinToken: undefined,
      inboundPort: 15006,
      outboundPort: 15001,
      adminPort: 15000,
      bind: '127.0.0.1',
      advertiseAddress: '127.0.0.1',
      instanceId: 'reviews-node-1-4242',
      stateDir: '.weft/sidecar/reviews-node-1-4242',
      drainSeconds: 10,
      otlpEndpoint: undefined,
      otlpHeaders: undefined,
      logLevel: 'info',
    });
  });

  it('reads every flag', () => {
    const { flags } = parseFlags([
      '--service', 'ratings', '--namespace', 'shop', '--labels', 'version=v2,zone=eu-1', '--app-port', '9090', '--app-host', 'localhost',
      '--control', 'https://control.example.com/', '--join-token', 'wjt_abc', '--inbound-port', '25006', '--outbound-port', '25001',
      '--admin-port', '25000', '--bind', '0.0.0.0', '--advertise-address', '10.0.0.12', '--instance-id', 'ratings-7d9f-1',
      '--state-dir', '/var/lib/weft', '--drain-seconds', '2.5', '--otlp-endpoint', 'http://collector:4318', '--log-level', 'debug',
    ]);
    expect(Object.keys(flags).sort()).toEqual(FLAGS.map((f) => f.flag).sort());
    expect(resolveConfig(flags, {}, machine)).toEqual({
      service: 'ratings',
      namespace: 'shop',
      labels: { version: 'v2', zone: 'eu-1' },
      app: { host: 'localhost', port: 9090 },
      controlUrl: 'https://control.example.com',
      joinToken: 'wjt_abc',
      inboundPort: 25006,
      outboundPort: 25001,
      adminPort: 25000,
      bind: '0.0.0.0',
      advertiseAddress: '10.0.0.12',
      instanceId: 'ratings-7d9f-1',
      stateDir: '/var/lib/weft',
      drainSeconds: 2.5,
      otlpEndpoint: 'http://collector:4318',
      otlpHeaders: undefined,
      logLevel: 'debug',
    });
  });

  it('reads every WEFT_SIDECAR_* variable, and a flag beats its variable', () => {
    const env = {
      WEFT_SIDECAR_SERVICE: 'details', WEFT_SIDECAR_NAMESPACE: 'ns1', WEFT_SIDECAR_LABELS: 'a=b', WEFT_SIDECAR_APP_PORT: '7000',
      WEFT_SIDECAR_APP_HOST: '10.1.1.1', WEFT_SIDECAR_CONTROL: 'http://ctl:8788', WEFT_SIDECAR_JOIN_TOKEN: 'wjt_env', WEFT_SIDECAR_INBOUND_PORT: '1',
      WEFT_SIDECAR_OUTBOUND_PORT: '2', WEFT_SIDECAR_ADMIN_PORT: '3', WEFT_SIDECAR_BIND: '::1', WEFT_SIDECAR_ADVERTISE_ADDRESS: 'pod.local',
      WEFT_SIDECAR_INSTANCE_ID: 'd-1', WEFT_SIDECAR_STATE_DIR: '/s', WEFT_SIDECAR_DRAIN_SECONDS: '0', WEFT_SIDECAR_OTLP_ENDPOINT: 'http://otel:4318',
      WEFT_SIDECAR_LOG_LEVEL: 'WARN', OTEL_EXPORTER_OTLP_HEADERS: 'x-key=1',
    };
    const c = resolveConfig({}, env, machine);
    expect(c).toMatchObject({
      service: 'details', namespace: 'ns1', labels: { a: 'b' }, app: { host: '10.1.1.1', port: 7000 }, controlUrl: 'http://ctl:8788', joinToken: 'wjt_env',
      inboundPort: 1, outboundPort: 2, adminPort: 3, bind: '::1', advertiseAddress: 'pod.local', instanceId: 'd-1', stateDir: '/s', drainSeconds: 0,
      otlpEndpoint: 'http://otel:4318', otlpHeaders: 'x-key=1', logLevel: 'warn',
    });
    expect(resolveConfig({ service: 'flagged', 'drain-seconds': '4' }, env, machine)).toMatchObject({ service: 'flagged', drainSeconds: 4 });
  });

  it('takes WEFT_JOIN_TOKEN and OTEL_EXPORTER_OTLP_ENDPOINT as fallbacks', () => {
    const c = resolveConfig(base, { WEFT_JOIN_TOKEN: 'wjt_shared', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/' }, machine);
    expect(c.joinToken).toBe('wjt_shared');
    expect(c.otlpEndpoint).toBe('http://otel:4318');
    expect(resolveConfig(base, { WEFT_JOIN_TOKEN: 'wjt_shared', WEFT_SIDECAR_JOIN_TOKEN: 'wjt_own' }, machine).joinToken).toBe('wjt_own');
  });

  it('advertises the bind address unless told otherwise; the instance id names the state dir', () => {
    expect(resolveConfig({ ...base, bind: '10.0.0.5' }, {}, machine).advertiseAddress).toBe('10.0.0.5');
    expect(resolveConfig({ ...base, 'instance-id': 'r-1' }, {}, machine).stateDir).toBe('.weft/sidecar/r-1');
    // a wildcard bind advertises the host's own address (a container's IP)
    expect(resolveConfig({ ...base, bind: '0.0.0.0' }, {}, { ...machine, address: '172.17.0.5' }).advertiseAddress).toBe('172.17.0.5');
  });

  it.each([
    [{ 'app-port': '9080' }, '--service is required (or set WEFT_SIDECAR_SERVICE)'],
    [{ service: 'reviews' }, '--app-port is required (or set WEFT_SIDECAR_APP_PORT)'],
    [{ ...base, service: 'Reviews_1' }, '--service must be a DNS label'],
    [{ ...base, namespace: 'a.b' }, '--namespace must be a DNS label'],
    [{ ...base, 'app-port': '0' }, '--app-port must be a port 1-65535, got "0"'],
    [{ ...base, 'app-port': 'http' }, '--app-port must be a port 1-65535, got "http"'],
    [{ ...base, 'inbound-port': '70000' }, '--inbound-port must be a port 0-65535, got "70000"'],
    [{ ...base, 'admin-port': '15001' }, '--inbound-port, --outbound-port and --admin-port must differ'],
    [{ ...base, labels: 'version' }, '--labels must be k=v,k=v pairs, got "version"'],
    [{ ...base, labels: 'a=1,a=2' }, '--labels names label "a" twice'],
    [{ ...base, control: 'ftp://x' }, '--control must be an http(s) URL, got "ftp://x"'],
    [{ ...base, control: 'not a url' }, '--control must be an http(s) URL'],
    [{ ...base, 'drain-seconds': '-1' }, '--drain-seconds must be a number of seconds 0-3600, got "-1"'],
    [{ ...base, 'log-level': 'loud' }, '--log-level must be one of debug, info, warn, error, got "loud"'],
    [{ ...base, 'instance-id': 'has space' }, '--instance-id must be 1-128 characters'],
    [{ ...base, bind: '0.0.0.0' }, '--advertise-address must be an address other sidecars can reach, not 0.0.0.0 (this host has no non-loopback IPv4 address'],
    [{ ...base, 'otlp-endpoint': 'grpc://x:4317' }, '--otlp-endpoint must be an http(s) URL'],
    [{ ...base, 'app-host': 'bad host!' }, '--app-host must be an IP address or host name'],
  ])('refuses %j: %s', (flags, message) => {
    expect(() => resolveConfig(flags, {}, machine)).toThrow(message);
  });

  it('names the environment variable at fault', () => {
    expect(() => resolveConfig(base, { WEFT_SIDECAR_OUTBOUND_PORT: 'x' }, machine)).toThrow('WEFT_SIDECAR_OUTBOUND_PORT must be a port 0-65535, got "x"');
  });

  it('refuses unknown flags and stray arguments', () => {
    expect(() => parseFlags(['--service', 'a', '--nope', '1'])).toThrow(/--nope/);
    expect(() => parseFlags(['--service', 'a', 'extra'])).toThrow('unexpected argument "extra"');
  });
});

describe('weft sidecar (CLI)', () => {
  it('--help lists every flag and its environment variable', async () => {
    const r = await weft(['sidecar', '--help']);
    expect(r.status).toBe(0);
    for (const f of FLAGS) {
      expect(r.stdout).toContain(`--${f.flag} <value>`);
      for (const env of f.env) expect(r.stdout).toContain(env);
    }
  });

  it('a bad value exits 2 with one clear line', async () => {
    const r = await weft(['sidecar', '--service', 'reviews', '--app-port', '99999']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('weft: --app-port must be a port 1-65535, got "99999"\n');
  });

  it('a missing required flag and an unknown flag exit 2', async () => {
    const missing = await weft(['sidecar', '--app-port', '9080']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--service is required');
    const unknown = await weft(['sidecar', '--service', 'reviews', '--app-port', '9080', '--bogus', '1']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
  });
});
