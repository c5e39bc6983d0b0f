// Fault injection (a route rule's `fault`): which of this request's faults fire. Each one is
// drawn on its own share of requests; the data plane waits `delayMs`, then answers
// `abortStatus` instead of calling upstream when it is set.
import type { CompiledRule } from '../policy/route/compile.ts';

export interface FaultDecision {
  delayMs: number;
  abortStatus: number | null;
}

export function decideFault(fault: NonNullable<CompiledRule['fault']>, random: () => number): FaultDecision {
  return {
    delayMs: fault.delay && random() * 100 < fault.delay.percent ? fault.delay.fixedMs : 0,
    abortStatus: fault.abort && random() * 100 < fault.abort.percent ? fault.abort.status : null,
  };
}
