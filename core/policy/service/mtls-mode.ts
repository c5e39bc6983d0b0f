// Which mTLS mode a service's sidecars enforce inbound: the Service's own `mtls.mode`, else the
// Mesh's. Its own file (type imports only), so data planes can use it without the compiler.
import type { CompiledService } from './compile.ts';

export function effectiveMtlsMode(mesh: { mtls: { mode: 'strict' | 'permissive' } }, service: Pick<CompiledService, 'mtls'> | undefined): 'strict' | 'permissive' {
  return service?.mtls?.mode ?? mesh.mtls.mode;
}
