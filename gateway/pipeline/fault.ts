// Stage 7: fault injection, for testing resilience: delay and/or abort a share of requests.
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

export const faultStage: Stage = async (c) => {
  const fault = c.match?.rule.fault;
  if (!fault) return undefined;
  if (fault.delay && Math.random() * 100 < fault.delay.percent) await new Promise((r) => setTimeout(r, fault.delay?.fixedMs));
  if (fault.abort && Math.random() * 100 < fault.abort.percent) return jsonError(fault.abort.status, 'fault_injected', 'fault injected by route policy');
  return undefined;
};
