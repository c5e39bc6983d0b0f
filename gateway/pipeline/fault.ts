// Stage 7: fault injection, for testing resilience: delay and/or abort a share of requests.
import { decideFault } from '../../core/resilience/fault.ts';
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

function aborted(abortStatus: number | null): Response | undefined {
  return abortStatus === null ? undefined : jsonError(abortStatus, 'fault_injected', 'fault injected by route policy');
}

async function delayed(ms: number, abortStatus: number | null): Promise<Response | undefined> {
  await new Promise((r) => setTimeout(r, ms));
  return aborted(abortStatus);
}

export const faultStage: Stage = (c) => {
  const fault = c.match?.rule.fault;
  if (!fault) return undefined;
  const { delayMs, abortStatus } = decideFault(fault, Math.random);
  return delayMs > 0 ? delayed(delayMs, abortStatus) : aborted(abortStatus);
};
