// Where the gateway sends a try, and so the Host its backend sees. Workers write the Host of
// a subrequest from its URL and let no header change it (Cloudflare: a Worker must not send a
// Host its zone does not own). So a fetch to the endpoint's address gives the backend
// `Host: address:port`; the host the client asked for goes as X-Forwarded-Host. Within a
// Cloudflare zone there is a way to keep it: fetch `scheme://<host>/…` with
// `cf.resolveOverride` naming the endpoint's host name, which Cloudflare resolves in place of
// the URL's host, so the backend sees `Host: <host>`. Cloudflare ignores resolveOverride
// unless both names are in the zone (it would then fetch the client's host itself), so it is
// used only when the operator lists that zone (the ZONE_NAMES binding). docs/gateway.md.
import { wellKnownPort } from './listener-port.ts';

export interface EdgeUpstreamTarget {
  /** The URL to fetch. */
  url: string;
  /** `cf.resolveOverride` for the fetch: the endpoint's host name, or null for none. */
  resolveOverride: string | null;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const HOST_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The zones a ZONE_NAMES binding lists (`example.com, example.org`), lower-case, without dots around them. */
export function parseZoneNames(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/[\s,]+/)
    .map((z) => z.toLowerCase().replace(/^\*?\.+|\.+$/g, ''))
    .filter((z) => z !== '');
}

function inZone(host: string, zone: string): boolean {
  return host === zone || host.endsWith(`.${zone}`);
}

/**
 * The target of one try to endpoint `address:port` over `scheme`, for a backend that should
 * see `Host: host` (the rule's rewrite.host, else the host name the client asked for):
 * `scheme://host/…` resolved to `address` when `address` is a host name on the scheme's
 * well-known port and both names lie in one of `zones`; else `scheme://address:port/…`.
 */
export function edgeUpstreamTarget(args: { scheme: string; address: string; port: number; host: string; zones: readonly string[]; pathAndQuery: string }): EdgeUpstreamTarget {
  const { scheme, address, port, pathAndQuery } = args;
  const host = args.host.toLowerCase();
  const endpointName = address.toLowerCase().replace(/\.$/, '');
  const byName =
    port === wellKnownPort(scheme) &&
    !IPV4.test(endpointName) &&
    HOST_NAME.test(endpointName) &&
    HOST_NAME.test(host) &&
    args.zones.some((zone) => inZone(endpointName, zone) && inZone(host, zone));
  if (byName) return { url: `${scheme}://${host}${pathAndQuery}`, resolveOverride: endpointName };
  const literal = address.includes(':') ? `[${address}]` : address;
  return { url: `${scheme}://${literal}:${port}${pathAndQuery}`, resolveOverride: null };
}
