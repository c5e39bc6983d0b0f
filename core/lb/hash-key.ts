// The consistent-hash key a Service asks for: a header, a cookie, or the client's address.
import { readCookie } from '../authn/authenticate.ts';
import type { CompiledService } from '../policy/service/compile.ts';

export function hashKeyOf(service: CompiledService, request: { headers: { get(name: string): string | null }; clientIp: string | null }): string | undefined {
  if (service.loadBalancer.algorithm !== 'consistent-hash') return undefined;
  const on = service.loadBalancer.hashOn;
  if (!on) return undefined;
  if ('header' in on) return request.headers.get(on.header) ?? undefined;
  if ('cookie' in on) return readCookie(request.headers.get('cookie'), on.cookie.name) ?? undefined;
  return request.clientIp ?? undefined;
}
