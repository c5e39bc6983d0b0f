// The port of the listener that took a request: what a redirect that sets neither scheme nor
// port keeps (Gateway API HTTPRequestRedirectFilter), rather than whatever port the client's
// Host header names.

/** 80 for `http`, 443 for `https`; undefined for a scheme without one. */
export function wellKnownPort(scheme: string): number | undefined {
  return scheme === 'http' ? 80 : scheme === 'https' ? 443 : undefined;
}

function portNumber(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/**
 * The port `authority` (`host[:port]`, `[v6]:port`) names, else the scheme's well-known one;
 * null when it names a port no URL can hold (`reviews:abc`). A sidecar's outbound listener
 * for a service is the port the app addressed it on.
 */
export function authorityPort(authority: string, scheme: string): number | null {
  const close = authority.startsWith('[') ? authority.indexOf(']') : -1;
  const colon = authority.indexOf(':', close + 1);
  if (colon < 0) return wellKnownPort(scheme) ?? null;
  return portNumber(authority.slice(colon + 1));
}

/**
 * The gateway's listener port: `configured` (the LISTENER_PORT binding, which `weft dev`
 * sets to the port it serves on) when it is a port, else the well-known port of the scheme
 * the client used; Cloudflare's edge takes HTTPS on 443 and HTTP on 80, and a Worker sees
 * nothing of the socket.
 */
export function edgeListenerPort(configured: string | undefined, scheme: string): number {
  const port = configured === undefined ? null : portNumber(configured.trim());
  return port ?? wellKnownPort(scheme) ?? 443;
}
