// ETag helpers: versions are sent quoted (`"<sha256>"`); clients may send them quoted or bare.

export function etag(version: string): string {
  return `"${version}"`;
}

/** The single version named by If-Match / If-None-Match, without quotes or W/ prefix. */
export function versionFromHeader(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  return v === '' ? undefined : v;
}

/** `?wait=N` in seconds, clamped to [0, max]; 0 when absent or not a number. */
export function waitSeconds(value: string | undefined, max = 60): number {
  const n = Number(value ?? '0');
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : 0;
}
