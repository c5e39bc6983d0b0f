// Stage 7: fault injection, for testing resilience: delay and/or abort a share of requests.
import { decideFault } from '../../core/resilience/fault.ts';
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

export const faultStage: Stage = async (c) => {
  const fault = c.match?.rule.fault;
  if (!fault) return undefined;
  const { delayMs, abortStatus } = decideFault(fault, Math.random);
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  if (abortStatus !== null) return jsonError(abortStatus, 'fault_injected', 'fault injected by route policy');
  return undefined;
};
