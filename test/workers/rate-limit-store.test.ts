// The gateway's `global` counter store (one GlobalRateLimiter Durable Object per key, through
// the RATE_LIMITS binding of wrangler.toml) runs the same conformance suite in workerd as the
// memory store runs in Node. The object reads its own clock, not the caller's `now`; the
// objects run in this test's isolate, so the suite moves that clock with vi.setSystemTime
// (Date only: no timers are faked) to each take's `now`.
import { afterAll, vi } from 'vitest';
import { DurableObjectCounterStore } from '../../gateway/rate-limit/global-rate-limiter.ts';
import { describeCounterStoreConformance } from '../conformance/counter-store.cases.ts';
import { testEnv } from './gateway-support.ts';

// Gives Date back its real clock (useRealTimers also undoes setSystemTime).
afterAll(() => {
  vi.useRealTimers();
});

describeCounterStoreConformance('Durable Object (GlobalRateLimiter)', () => new DurableObjectCounterStore(testEnv.RATE_LIMITS), {
  setStoreClock: (now) => vi.setSystemTime(now),
  // Each take is an RPC to an object; the memory store runs the property 100 times.
  propertyRuns: 30,
});
