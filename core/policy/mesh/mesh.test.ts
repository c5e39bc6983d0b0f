import { describe, expect, it } from 'vitest';
import { compileValid, doc, errorLines } from '../../../test/support/compile-yaml.ts';

describe('Mesh', () => {
  it('applies built-in defaults when there is no Mesh document', () => {
    const body = compileValid(doc('Service', 'a', 'port: 8080'));
    expect(body.mesh).toMatchObject({
      trustDomain: 'weft.local',
      identity: { jwtSvidTtlMs: 300_000, x509SvidTtlMs: 3_600_000 },
      mtls: { mode: 'strict' },
      defaults: { timeoutMs: 15_000, maxRequestBytes: 33_554_432 },
      pathNormalization: { escapedSlashes: 'reject', semicolons: 'reject' },
      telemetry: { maxRouteLabels: 100 },
    });
  });

  it('compiles the golden metrics route-label bound, and refuses one below 1', () => {
    expect(compileValid(doc('Mesh', 'm', 'telemetry: { maxRouteLabels: 20 }')).mesh.telemetry).toEqual({ maxRouteLabels: 20 });
    expect(errorLines(doc('Mesh', 'm', 'telemetry: { maxRouteLabels: 0 }'))).toEqual([expect.stringMatching(/spec\.telemetry\.maxRouteLabels: Too small/)]);
  });

  it('compiles durations to milliseconds and merges retry defaults field by field', () => {
    const body = compileValid(
      doc('Mesh', 'm', 'trustDomain: prod.example.org\nidentity: { jwtSvidTtl: 2m, x509SvidTtl: 1h30m }\nmtls: { mode: permissive }\ndefaults:\n  timeout: 20s\n  retries: { attempts: 4, retryOn: [5xx] }'),
    );
    expect(body.mesh.trustDomain).toBe('prod.example.org');
    expect(body.mesh.identity).toEqual({ jwtSvidTtlMs: 120_000, x509SvidTtlMs: 5_400_000 });
    expect(body.mesh.mtls.mode).toBe('permissive');
    expect(body.mesh.defaults.timeoutMs).toBe(20_000);
    expect(body.mesh.defaults.retries).toMatchObject({ attempts: 4, retryOn: ['5xx'], perTryTimeoutMs: 0 });
  });

  it('rejects a bad trust domain, a bad duration and an unknown mTLS mode, all at once', () => {
    const lines = errorLines(doc('Mesh', 'm', 'trustDomain: "Not A Domain"\nidentity: { jwtSvidTtl: 5 minutes }\nmtls: { mode: sometimes }'));
    expect(lines).toEqual([
      expect.stringMatching(/^test\.yaml:6:16: spec\.trustDomain: expected a lower-case DNS name/),
      expect.stringMatching(/^test\.yaml:7:27: spec\.identity\.jwtSvidTtl: expected a duration such as 250ms/),
      expect.stringMatching(/^test\.yaml:8:17: spec\.mtls\.mode: Invalid option: expected one of "strict"\|"permissive"/),
    ]);
  });

  it('allows only one Mesh document', () => {
    const lines = errorLines(`${doc('Mesh', 'a', 'trustDomain: a.org')}---\n${doc('Mesh', 'b', 'trustDomain: b.org')}`);
    expect(lines).toEqual([expect.stringMatching(/^test\.yaml:9:7: kind: only one Mesh document is allowed; "default\/a" is already defined/)]);
  });
});
