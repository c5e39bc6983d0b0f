// The sidecar's configuration: one table of flags, each with its environment variable and
// default, read by both `node weft-sidecar.mjs` (node:util parseArgs) and `weft sidecar`
// (commander). A flag beats its environment variable, which beats the default. Every value is
// checked here, so a mistake is one clear line before anything listens.
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface SidecarConfig {
  service: string;
  namespace: string;
  labels: Record<string, string>;
  app: { host: string; port: number };
  controlUrl: string;
  joinToken: string | undefined;
  inboundPort: number;
  outboundPort: number;
  adminPort: number;
  bind: string;
  advertiseAddress: string;
  instanceId: string;
  stateDir: string;
  drainSeconds: number;
  otlpEndpoint: string | undefined;
  /** `OTEL_EXPORTER_OTLP_HEADERS`, passed through to the exporter. */
  otlpHeaders: string | undefined;
  logLevel: LogLevel;
}

export interface FlagSpec {
  /** The flag without dashes, e.g. `app-port`. */
  flag: string;
  /** Environment variables read when the flag is absent, first wins. */
  env: string[];
  /** Shown in --help; undefined when there is none or it is derived. */
  defaultText?: string;
  description: string;
  required?: boolean;
}

export const FLAGS: readonly FlagSpec[] = [
  { flag: 'service', env: ['WEFT_SIDECAR_SERVICE'], description: 'the service this sidecar fronts (a DNS label)', required: true },
  { flag: 'namespace', env: ['WEFT_SIDECAR_NAMESPACE'], defaultText: 'default', description: "the service's namespace (a DNS label)" },
  { flag: 'labels', env: ['WEFT_SIDECAR_LABELS'], description: 'instance labels, k=v,k=v (subsets select on them)' },
  { flag: 'app-port', env: ['WEFT_SIDECAR_APP_PORT'], description: 'port of the app beside the sidecar (inbound traffic goes there)', required: true },
  { flag: 'app-host', env: ['WEFT_SIDECAR_APP_HOST'], defaultText: '127.0.0.1', description: 'host of the app' },
  { flag: 'control', env: ['WEFT_SIDECAR_CONTROL'], defaultText: 'http://127.0.0.1:8788', description: 'control plane URL' },
  { flag: 'join-token', env: ['WEFT_SIDECAR_JOIN_TOKEN', 'WEFT_JOIN_TOKEN'], description: 'join token for the first identity (not needed when a still-valid one is in --state-dir)' },
  { flag: 'inbound-port', env: ['WEFT_SIDECAR_INBOUND_PORT'], defaultText: '15006', description: 'inbound listener (traffic to this app)' },
  { flag: 'outbound-port', env: ['WEFT_SIDECAR_OUTBOUND_PORT'], defaultText: '15001', description: "outbound listener (the app's HTTP proxy)" },
  { flag: 'admin-port', env: ['WEFT_SIDECAR_ADMIN_PORT'], defaultText: '15000', description: 'admin API: /live /ready /config /endpoints /metrics' },
  { flag: 'bind', env: ['WEFT_SIDECAR_BIND'], defaultText: '127.0.0.1', description: 'address the listeners bind to' },
  { flag: 'advertise-address', env: ['WEFT_SIDECAR_ADVERTISE_ADDRESS'], defaultText: "the --bind address; for 0.0.0.0, this host's first non-loopback IPv4", description: 'address registered with control (where other sidecars reach the inbound port)' },
  { flag: 'instance-id', env: ['WEFT_SIDECAR_INSTANCE_ID'], defaultText: '<service>-<hostname>-<pid>', description: 'this instance: endpoint registration and status node id' },
  { flag: 'state-dir', env: ['WEFT_SIDECAR_STATE_DIR'], defaultText: '.weft/sidecar/<instance-id>', description: 'last-known-good snapshot and identity' },
  { flag: 'drain-seconds', env: ['WEFT_SIDECAR_DRAIN_SECONDS'], defaultText: '10', description: 'on SIGTERM/SIGINT, how long in-flight requests may finish' },
  { flag: 'otlp-endpoint', env: ['WEFT_SIDECAR_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'], description: 'OTLP/HTTP collector base URL; tracing is off without it' },
  { flag: 'log-level', env: ['WEFT_SIDECAR_LOG_LEVEL'], defaultText: 'info', description: `one of ${LOG_LEVELS.join(', ')}` },
];

/** A configuration mistake: the CLI prints the message and exits 2. */
export class ConfigError extends Error {}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const INSTANCE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,252}[A-Za-z0-9])?$/;

type Raw = Record<string, string | undefined>;

/** What the defaults depend on: host name, PID, and the first non-loopback IPv4 address (if any). */
export interface Machine {
  hostname: string;
  pid: number;
  address?: string;
}

function thisMachine(): Machine {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  return { hostname: hostname(), pid: process.pid, address };
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** The flag's value, else the first set environment variable; the name it came from for messages. */
function pick(spec: FlagSpec, flags: Raw, env: NodeJS.ProcessEnv): { value: string; from: string } | undefined {
  const f = flags[spec.flag];
  if (f !== undefined) return { value: f, from: `--${spec.flag}` };
  for (const name of spec.env) {
    const v = env[name];
    if (v !== undefined && v !== '') return { value: v, from: name };
  }
  return undefined;
}

function port(v: { value: string; from: string } | undefined, fallback: number, min = 0): number {
  if (!v) return fallback;
  const n = Number(v.value);
  // 0 asks the OS for a free port (tests); the startup log line and /config tell which one was taken.
  if (!/^\d+$/.test(v.value.trim()) || !Number.isInteger(n) || n < min || n > 65535) throw new ConfigError(`${v.from} must be a port ${min}-65535, got "${v.value}"`);
  return n;
}

function labels(v: { value: string; from: string } | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || v.value.trim() === '') return out;
  for (const part of v.value.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 1 || !LABEL_KEY.test(key)) throw new ConfigError(`${v.from} must be k=v,k=v pairs, got "${part}"`);
    if (key in out) throw new ConfigError(`${v.from} names label "${key}" twice`);
    out[key] = value;
  }
  return out;
}

function dnsLabel(v: { value: string; from: string }): string {
  if (!DNS_LABEL.test(v.value)) throw new ConfigError(`${v.from} must be a DNS label (lowercase letters, digits, "-", at most 63), got "${v.value}"`);
  return v.value;
}

function host(v: { value: string; from: string }): string {
  const s = v.value.trim();
  if (isIP(s) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(s)) throw new ConfigError(`${v.from} must be an IP address or host name, got "${v.value}"`);
  return s;
}

function httpUrl(v: { value: string; from: string }): string {
  let url: URL;
  try {
    url = new URL(v.value.trim());
  } catch {
    throw new ConfigError(`${v.from} must be an http(s) URL, got "${v.value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${v.from} must be an http(s) URL, got "${v.value}"`);
  return url.href.replace(/\/+$/, '');
}

/**
 * The configuration from parsed flags (`{ 'app-port': '9080', … }`, absent flags undefined) and
 * the environment. Throws ConfigError naming the flag or variable at fault.
 */
export function resolveConfig(flags: Raw, env: NodeJS.ProcessEnv = process.env, machine: Machine = thisMachine()): SidecarConfig {
  const known = new Set(FLAGS.map((s) => s.flag));
  for (const k of Object.keys(flags)) if (flags[k] !== undefined && !known.has(k)) throw new ConfigError(`unknown flag --${k}`);
  const get = (flag: string) => pick(FLAGS.find((s) => s.flag === flag) as FlagSpec, flags, env);
  const required = (flag: string) => {
    const v = get(flag);
    const spec = FLAGS.find((s) => s.flag === flag) as FlagSpec;
    if (!v || v.value.trim() === '') throw new ConfigError(`--${flag} is required (or set ${spec.env.join(' or ')})`);
    return v;
  };

  const service = dnsLabel(required('service'));
  const appPort = port(required('app-port'), 0, 1);
  const ns = get('namespace');
  const bindRaw = get('bind');
  const bind = bindRaw ? host(bindRaw) : '127.0.0.1';
  const adv = get('advertise-address');
  const idRaw = get('instance-id');
  const sanitizedHost = machine.hostname.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 64) || 'host';
  const instanceId = idRaw ? idRaw.value : `${service}-${sanitizedHost}-${machine.pid}`;
  if (!INSTANCE_ID.test(instanceId)) throw new ConfigError(`${idRaw?.from ?? '--instance-id'} must be 1-128 characters of A-Z a-z 0-9 . _ : -, got "${instanceId}"`);
  const drainRaw = get('drain-seconds');
  let drainSeconds = 10;
  if (drainRaw) {
    drainSeconds = Number(drainRaw.value);
    if (drainRaw.value.trim() === '' || !Number.isFinite(drainSeconds) || drainSeconds < 0 || drainSeconds > 3600)
      throw new ConfigError(`${drainRaw.from} must be a number of seconds 0-3600, got "${drainRaw.value}"`);
  }
  const levelRaw = get('log-level');
  const logLevel = (levelRaw?.value.toLowerCase() ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`${levelRaw?.from} must be one of ${LOG_LEVELS.join(', ')}, got "${levelRaw?.value}"`);
  const otlp = get('otlp-endpoint');
  const join_ = get('join-token');
  const stateRaw = get('state-dir');

  const config: SidecarConfig = {
    service,
    namespace: ns ? dnsLabel(ns) : 'default',
    labels: labels(get('labels')),
    app: { host: (() => { const h = get('app-host'); return h ? host(h) : '127.0.0.1'; })(), port: appPort },
    controlUrl: (() => { const c = get('control'); return c ? httpUrl(c) : 'http://127.0.0.1:8788'; })(),
    joinToken: join_?.value.trim() || undefined,
    inboundPort: port(get('inbound-port'), 15006),
    outboundPort: port(get('outbound-port'), 15001),
    adminPort: port(get('admin-port'), 15000),
    bind,
    // A wildcard bind is not an address others can dial: advertise this host's own address.
    advertiseAddress: adv ? host(adv) : WILDCARDS.has(bind) ? (machine.address ?? bind) : bind,
    instanceId,
    stateDir: stateRaw?.value.trim() || join('.weft', 'sidecar', instanceId),
    drainSeconds,
    otlpEndpoint: otlp ? httpUrl(otlp) : undefined,
    otlpHeaders: env.OTEL_EXPORTER_OTLP_HEADERS,
    logLevel,
  };
  const ports = [config.inboundPort, config.outboundPort, config.adminPort].filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length) throw new ConfigError(`--inbound-port, --outbound-port and --admin-port must differ, got ${config.inboundPort}, ${config.outboundPort}, ${config.adminPort}`);
  if (WILDCARDS.has(config.advertiseAddress))
    throw new ConfigError(`--advertise-address must be an address other sidecars can reach, not ${config.advertiseAddress} (this host has no non-loopback IPv4 address to default to; set it)`);
  return config;
}

/** The --help text: every flag with its environment variables and default. */
export function helpText(command = 'weft-sidecar'): string {
  const lines = [`Usage: ${command} --service <name> --app-port <port> [options]`, '', 'The Weft sidecar: inbound and outbound proxy, identity and metrics for one service instance.', '', 'Options (a flag beats its environment variable):'];
  for (const s of FLAGS) {
    const def = s.defaultText ? ` [default: ${s.defaultText}]` : s.required ? ' (required)' : '';
    lines.push(`  --${s.flag} <value>`.padEnd(30) + `${s.description}${def}`, `${''.padEnd(30)}env: ${s.env.join(', ')}`);
  }
  lines.push('  --help'.padEnd(30) + 'show this help', '');
  return lines.join('\n');
}

/** Parses argv (without node and script) into raw flag values; throws ConfigError on unknown flags. */
export function parseFlags(argv: string[]): { flags: Record<string, string | undefined>; help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...Object.fromEntries(FLAGS.map((f) => [f.flag, { type: 'string' as const }])), help: { type: 'boolean' as const, short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new ConfigError(`unexpected argument "${positionals[0]}"`);
    const { help, ...flags } = values as Record<string, string | boolean | undefined>;
    return { flags: flags as Record<string, string | undefined>, help: help === true };
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError((e as Error).message.split('\n')[0] ?? String(e));
  }
}
