// Outbound: the destination service the app named (registry-only; an unknown name is 502).
import { refuse } from '../answer.ts';
import type { Stage } from '../context.ts';
import { destinationService } from '../destination.ts';

export function destinationStage(namespace: string): Stage {
  return (c) => {
    const id = destinationService(c.runtime, c.request.host, namespace);
    if (!id) return refuse('unknown_service', `"${c.request.authority}" is not a service of the mesh (outbound traffic is registry-only)`);
    c.service = id;
    return undefined;
  };
}
