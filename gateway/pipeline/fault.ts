// Stage 7: fault injection, for testing resilience: delay and/or abort a share of requests.
import { decideFault } from '../../core/resilience/fault.ts';
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

async function delayed(ms: number, abortStatus: number | null): Promise<Response | undefined> {
  await new Promise((r) => setTimeout(r, ms));
  return abortStatus === null ? undefined : jsonError(abortStatus, 'fault_injected', 'fault injected by route policy');
}

export const faultStage: Stage = (c) => {
  const fault = c.match?.rule.fault;
  if (!fault) return undefined;
  const { delayMs, abortStatus } = decideFault(fault, Math.random);
  if (delayMs > 0) return delayed(delayMs, abortStatus);
  if (abortStatus !== null) return jsonError(abortStatus, 'fault_injected', 'fault injected by route policy');
  return undefined;
};
