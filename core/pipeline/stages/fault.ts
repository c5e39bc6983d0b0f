// Fault injection, for testing resilience: delay and/or abort a share of requests.
import { decideFault } from '../../resilience/fault.ts';
import { refuse } from '../answer.ts';
import type { Answer } from '../answer.ts';
import type { PipelineContext, Stage } from '../context.ts';

function aborted(abortStatus: number | null): Answer | undefined {
  return abortStatus === null ? undefined : refuse('fault_injected', 'fault injected by route policy', {}, abortStatus);
}

async function delayed(c: PipelineContext, ms: number, abortStatus: number | null): Promise<Answer | undefined> {
  await c.pieces.sleep(ms);
  return aborted(abortStatus);
}

export const faultStage: Stage = (c) => {
  const fault = c.match?.rule.fault;
  if (!fault) return undefined;
  const { delayMs, abortStatus } = decideFault(fault, c.pieces.random);
  return delayMs > 0 ? delayed(c, delayMs, abortStatus) : aborted(abortStatus);
};
