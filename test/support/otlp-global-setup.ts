// Global setup for the gateway's workerd tests: a real OTLP/HTTP collector on 127.0.0.1. Its
// port is provided as `otlpCollectorPort`; vitest.config.ts points the gateway's
// OTEL_EXPORTER_OTLP_ENDPOINT at it. Stopped at the end of the run.
import type { TestProject } from 'vitest/node';
import { startOtlpCollector } from './otlp-collector.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    otlpCollectorPort: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const collector = await startOtlpCollector();
  project.provide('otlpCollectorPort', collector.port);
  return () => collector.close();
}
