// The admin HTTP client the control-plane commands share (push, rollback, history, status,
// join-token): where control is (--control, $WEFT_CONTROL), which token to send (--token,
// $WEFT_ADMIN_TOKEN, .weft/control/admin-token), and one clear message per way a call fails.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError, EXIT_INVALID, EXIT_USAGE } from './exit-codes.ts';
import type { SemanticDiff } from '../core/diff/semantic-diff.ts';

export const DEFAULT_CONTROL = 'http://127.0.0.1:8788';
/** Where `weft control` writes the admin token (cli/control/local-control.ts). */
export const LOCAL_ADMIN_TOKEN_FILE = '.weft/control/admin-token';
const REQUEST_TIMEOUT_MS = 30_000;

export interface ControlFlags {
  control?: string;
  token?: string;
}

/** Adds --control and --token to a command. */
export function withControlOptions(command: Command): Command {
  return command
    .option('--control <url>', `control plane URL (default: $WEFT_CONTROL or ${DEFAULT_CONTROL})`)
    .option('--token <token>', `admin token (default: $WEFT_ADMIN_TOKEN, else ${LOCAL_ADMIN_TOKEN_FILE})`);
}

/** Control answered with an error other than 401/403 (those become a CliError at once). */
export class ControlApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface ControlResponse<T> {
  status: number;
  body: T;
}

export interface ControlApi {
  readonly url: string;
  call<T>(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<ControlResponse<T>>;
}

function controlUrl(flag: string | undefined): string {
  const raw = flag ?? process.env.WEFT_CONTROL ?? DEFAULT_CONTROL;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new CliError(`--control must be an http(s) URL, got "${raw}"`, EXIT_USAGE);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`--control must be an http(s) URL, got "${raw}"`, EXIT_USAGE);
  return raw.replace(/\/+$/, '');
}

async function adminToken(flag: string | undefined): Promise<string> {
  const given = flag ?? process.env.WEFT_ADMIN_TOKEN;
  if (given !== undefined && given.trim() !== '') return given.trim();
  try {
    const text = (await readFile(LOCAL_ADMIN_TOKEN_FILE, 'utf8')).trim();
    if (text !== '') return text;
  } catch {
    // no local control here; say what to do below
  }
  throw new CliError(`no admin token: pass --token, set WEFT_ADMIN_TOKEN, or run from the folder where \`weft control\` wrote ${LOCAL_ADMIN_TOKEN_FILE}`, EXIT_USAGE);
}

function errorOf(status: number, text: string): { code: string; message: string; details?: Record<string, unknown> } {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
    if (e && typeof e.code === 'string')
      return { code: e.code, message: typeof e.message === 'string' ? e.message : '', details: (e.details as Record<string, unknown> | undefined) ?? undefined };
  } catch {
    // not JSON: show the start of the body
  }
  return { code: `http_${status}`, message: text.slice(0, 300) };
}

/** The client for the control plane the flags name. */
export async function controlApi(flags: ControlFlags): Promise<ControlApi> {
  const url = controlUrl(flags.control);
  const token = await adminToken(flags.token);
  return {
    url,
    async call<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<ControlResponse<T>> {
      let res: Response;
      let text: string;
      try {
        res = await fetch(url + path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        text = await res.text();
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const why = (e as Error).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s` : (cause?.code ?? cause?.message ?? (e as Error).message);
        throw new CliError(`cannot reach control at ${url}: ${why} (is it running? set --control or WEFT_CONTROL)`, EXIT_INVALID);
      }
      if (res.status === 401 || res.status === 403) {
        const e = errorOf(res.status, text);
        const hint =
          res.status === 401
            ? 'the admin token is not valid for this control plane; check --token / WEFT_ADMIN_TOKEN'
            : 'the token is valid but may not make this call (a read token cannot push, roll back or make join tokens)';
        throw new CliError(`control at ${url} refused the token (${res.status} ${e.code}): ${hint}. Control said: ${e.message}`, EXIT_INVALID);
      }
      if (res.status >= 400) {
        const e = errorOf(res.status, text);
        throw new ControlApiError(res.status, e.code, e.message, e.details);
      }
      let body: unknown = undefined;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      return { status: res.status, body: body as T };
    },
  };
}

/** The current snapshot version (`GET /v1/snapshots?limit=1`), null before the first push. */
export async function currentVersion(api: ControlApi): Promise<string | null> {
  return (await api.call<{ current: string | null }>('GET', '/v1/snapshots?limit=1')).body.current;
}

/**
 * `PUT /v1/snapshot` based on `base` (If-Match; default: the current version, asked first), so a
 * push that crossed another one is refused (409, or 428 without a base while one exists).
 */
export async function pushSnapshot(api: ControlApi, body: { files: Record<string, string>; metadata?: Record<string, string> }, base?: string | null): Promise<PushAnswer> {
  const current = base === undefined ? await currentVersion(api) : base;
  return (await api.call<PushAnswer>('PUT', '/v1/snapshot', { body, headers: current ? { 'if-match': `"${current}"` } : {} })).body;
}

/** Control's lines for a push it refused as invalid (its details.lines, else its message); undefined for any other failure. */
export function invalidPolicyLines(e: unknown): string[] | undefined {
  if (!(e instanceof ControlApiError) || e.code !== 'invalid_policy') return undefined;
  return Array.isArray(e.details?.lines) ? (e.details.lines as string[]) : [e.message];
}

/** A ControlApiError as the one-line CLI failure (exit 1). */
export function controlFailure(e: unknown, what: string): unknown {
  if (e instanceof ControlApiError) return new CliError(`${what}: control answered ${e.status} ${e.code}: ${e.message}`, EXIT_INVALID);
  return e;
}

export function shortVersion(version: string | null | undefined): string {
  return version ? version.slice(0, 12) : '-';
}

/** "12s ago", "3m ago", "2h ago", "4d ago". */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** Rows as left-aligned columns separated by two spaces (the header is the first row). */
export function formatTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

/** What `PUT /v1/snapshot` answers (also for `?dryRun=1`). */
export interface PushAnswer {
  dryRun?: boolean;
  version: string;
  previous: string | null;
  unchanged: boolean;
  diff: SemanticDiff;
  /** Compile warnings as `file:line:col: path: message` (absent from an older control). */
  warnings?: string[];
}

/** What `GET /v1/snapshot/:version/convergence` answers. */
export interface Convergence {
  liveNodes: number;
  acked: { nodeId: string; kind: string; service: string }[];
  nacked: { nodeId: string; kind: string; service: string; reason: string }[];
  pending: { nodeId: string; kind: string; service: string; appliedVersion: string | null }[];
  converged: boolean;
}
