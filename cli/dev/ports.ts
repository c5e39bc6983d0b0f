// The ports `weft dev` uses, all on 127.0.0.1: the gateway, control, and from --base-port up
// four per demo instance (app, sidecar inbound, outbound, admin). Every one is checked before
// anything starts, so a busy port is one clear error naming the flag that moves it.
import { assertPortFree } from '../control/local-control.ts';

export interface InstancePorts {
  app: number;
  inbound: number;
  outbound: number;
  admin: number;
}

export function instancePorts(basePort: number, index: number): InstancePorts {
  const app = basePort + index * 4;
  return { app, inbound: app + 1, outbound: app + 2, admin: app + 3 };
}

export async function assertPortsFree(ports: { port: number; flag: string }[]): Promise<void> {
  for (const { port, flag } of ports) await assertPortFree(port, flag);
}
