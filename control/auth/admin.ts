// Admin authentication: `Authorization: Bearer <token>`, checked against SHA-256 hashes held
// in the ADMIN_TOKENS secret (the tokens themselves are never stored). Two roles: `admin`
// (push, rollback, join tokens) and `read` (history, status). No or unknown token → 401;
// a known token without the needed role → 403.
import { sha256Hex } from '../../core/snapshot/canonical-json.ts';
import { HttpError } from '../http/http-error.ts';

export type AdminRole = 'admin' | 'read';

interface AdminTokenEntry {
  sha256: string;
  role: AdminRole;
  name?: string;
}

const cache = new Map<string, AdminTokenEntry[]>();

export function parseAdminTokens(secret: string | undefined): AdminTokenEntry[] {
  if (!secret) return [];
  const hit = cache.get(secret);
  if (hit) return hit;
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new HttpError('misconfigured', 'ADMIN_TOKENS secret is not JSON');
  }
  if (!Array.isArray(parsed)) throw new HttpError('misconfigured', 'ADMIN_TOKENS secret must be a JSON array');
  const entries = parsed.filter(
    (e): e is AdminTokenEntry => typeof e === 'object' && e !== null && /^[0-9a-f]{64}$/.test(String(e.sha256)) && (e.role === 'admin' || e.role === 'read'),
  );
  cache.set(secret, entries);
  return entries;
}

export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

/** Constant-time compare of two equal-length hex strings. */
function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The role of an admin token, or undefined when the token is not an admin token. */
export async function adminRole(token: string, secret: string | undefined): Promise<AdminRole | undefined> {
  const hash = await sha256Hex(token);
  let role: AdminRole | undefined;
  for (const entry of parseAdminTokens(secret)) if (sameHex(hash, entry.sha256) && (role === undefined || entry.role === 'admin')) role = entry.role;
  return role;
}

export const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="weft-control"' };
