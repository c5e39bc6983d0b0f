// The Weft Services an import needs: one per Kubernetes Service a route names (backendRefs,
// mirrors, GAMMA parents). A Weft Service's port is the port its instances listen on, so
// a backendRef's Service port becomes the Kubernetes Service's targetPort when that Service
// is among the inputs. Endpoints are left to sidecar registration (or added by hand).
import type { PathSegment } from '../../core/policy/errors.ts';
import type { KubernetesService } from './gateway-api-schema.ts';
import type { ManifestObject } from './manifests.ts';
import { objectId } from './manifests.ts';
import type { NoteSink } from './notes.ts';
import type { ImportedDocument } from './weft-types.ts';

type Protocol = 'http' | 'http2' | 'grpc';

interface Entry {
  namespace: string;
  name: string;
  port: number | undefined;
  protocol: Protocol;
  /** How the port was found, for the comment above the document. */
  origin: string;
  /** Where it was first used, to note an unknown port there. */
  firstUse: { at: PathSegment[]; sink: NoteSink; unknownBecause: string | undefined };
}

interface Resolved extends Omit<Entry, 'namespace' | 'name' | 'firstUse'> {
  /** Why the port is unknown, when it is. */
  unknownBecause?: string;
}

export interface ServiceUse {
  namespace: string;
  name: string;
  /** The port the reference names (backendRef.port, parentRef.port). */
  port: number | undefined;
  /** `grpc` for the backends of a GRPCRoute. */
  protocol?: 'grpc';
}

export class ServiceCatalog {
  private readonly entries = new Map<string, Entry>();
  private readonly kubernetes: ReadonlyMap<string, ManifestObject<KubernetesService>>;

  constructor(kubernetes: ReadonlyMap<string, ManifestObject<KubernetesService>>) {
    this.kubernetes = kubernetes;
  }

  /** The port and protocol a reference implies, with the notes for what Weft cannot keep. */
  private resolve(use: ServiceUse, at: PathSegment[], sink: NoteSink): Resolved {
    const k8s = this.kubernetes.get(objectId(use.namespace, use.name));
    const grpc = use.protocol === 'grpc';
    if (!k8s) return { port: use.port, protocol: grpc ? 'grpc' : 'http', origin: use.port !== undefined ? `port ${use.port} from the reference` : 'port unknown' };
    const ports = k8s.value.spec?.ports ?? [];
    const port = use.port !== undefined ? ports.find((p) => p.port === use.port) : ports.length === 1 ? ports[0] : undefined;
    if (!port) {
      const listed = ports.map((p) => p.port).join(', ') || 'none';
      if (use.port !== undefined) sink.note(at, `port ${use.port} is not a port of Kubernetes Service ${objectId(use.namespace, use.name)} (it has: ${listed})`);
      return {
        port: use.port,
        protocol: grpc ? 'grpc' : 'http',
        origin: use.port !== undefined ? `port ${use.port} from the reference` : 'port unknown',
        ...(use.port === undefined ? { unknownBecause: `the reference names no port and Kubernetes Service ${objectId(use.namespace, use.name)} has several (${listed})` } : {}),
      };
    }
    const protocol: Protocol = grpc ? 'grpc' : port.appProtocol === 'kubernetes.io/h2c' ? 'http2' : 'http';
    const where = `${k8s.source.file}:${k8s.source.locate([]).line}`;
    if (typeof port.targetPort === 'string') {
      sink.note(at, `Kubernetes Service ${objectId(use.namespace, use.name)} port ${port.port} targets the container port named "${port.targetPort}", which import cannot resolve: using ${port.port} as the app port`);
      return { port: port.port, protocol, origin: `Kubernetes Service port ${port.port} (${where})` };
    }
    const target = port.targetPort ?? port.port;
    return { port: target, protocol, origin: `Kubernetes Service port ${port.port}${target !== port.port ? ` → targetPort ${target}` : ''} (${where})` };
  }

  /** Records that a route uses this Service; a later use that disagrees on port or protocol gets a note. */
  use(use: ServiceUse, at: PathSegment[], sink: NoteSink): void {
    const id = objectId(use.namespace, use.name);
    const resolved = this.resolve(use, at, sink);
    const known = this.entries.get(id);
    if (!known) {
      const { unknownBecause, ...entry } = resolved;
      this.entries.set(id, { namespace: use.namespace, name: use.name, ...entry, firstUse: { at, sink, unknownBecause } });
      return;
    }
    if (resolved.port !== undefined && known.port === undefined) known.port = resolved.port;
    else if (resolved.port !== undefined && resolved.port !== known.port)
      sink.note(at, `Service ${id} is used on port ${resolved.port} here and ${known.port} elsewhere: a Weft Service has one port (${known.port} is kept)`);
    if (resolved.protocol !== known.protocol)
      sink.note(at, `Service ${id} is used as ${resolved.protocol} here and ${known.protocol} elsewhere: a Weft Service has one protocol (${known.protocol} is kept)`);
  }

  /** The Service documents; a Service whose port no use revealed gets its note here. */
  documents(): ImportedDocument[] {
    for (const e of this.entries.values())
      if (e.port === undefined)
        e.firstUse.sink.note(
          e.firstUse.at,
          `Service ${objectId(e.namespace, e.name)}: port unknown (${e.firstUse.unknownBecause ?? 'the reference names no port and no Kubernetes Service of that name is among the inputs'}), so Weft's default 80 applies; set spec.port to the port its instances listen on`,
        );
    return [...this.entries.values()]
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
      .map((e) => ({
        comment: ` Service ${objectId(e.namespace, e.name)}: ${e.origin}; endpoints register from sidecars (or add spec.endpoints)`,
        document: {
          apiVersion: 'weft/v1',
          kind: 'Service',
          metadata: { name: e.name, namespace: e.namespace },
          spec: { ...(e.port !== undefined ? { port: e.port } : {}), ...(e.protocol !== 'http' ? { protocol: e.protocol } : {}) },
        },
      }));
  }
}
