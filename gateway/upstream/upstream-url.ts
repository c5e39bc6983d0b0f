// The URL of one upstream try: the endpoint (IPv6 literals bracketed), the path after
// rewrite, the client's query string.
import type { LbEndpoint } from '../../core/lb/picker.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import type { GatewayContext } from '../pipeline/context.ts';

export function upstreamUrl(c: GatewayContext, service: CompiledService, ep: LbEndpoint): string {
  const host = ep.address.includes(':') ? `[${ep.address}]` : ep.address;
  return `${service.protocol}://${host}:${ep.port}${c.upstreamPath}${c.url.search}`;
}
