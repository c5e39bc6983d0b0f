import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { childTraceparent, continueTrace, formatTraceparent, newSpanId, newTraceId, parseTraceparent } from './traceparent.ts';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceparent', () => {
  it('reads a valid version-00 header', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 });
  });

  it.each([
    ['absent', null],
    ['empty', ''],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with extra fields', `${VALID}-extra`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['bad separator', '00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['non-hex flags', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g'],
    ['two headers joined', `${VALID}, ${VALID}`],
    ['a later version run into more text', `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01xyz`],
  ])('rejects %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('reads the version-00 fields of a later version', () => {
    expect(parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future')?.spanId).toBe('00f067aa0ba902b7');
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.flags).toBe(0);
  });

  const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)).filter((s) => !/^0+$/.test(s));

  it('property: format ∘ parse and parse ∘ format are identities on valid headers', () => {
    fc.assert(
      fc.property(hex(32), hex(16), fc.integer({ min: 0, max: 255 }), (traceId, spanId, flags) => {
        const ctx = { traceId, spanId, flags };
        const header = formatTraceparent(ctx);
        expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
        expect(parseTraceparent(header)).toEqual(ctx);
        expect(formatTraceparent(parseTraceparent(header) as typeof ctx)).toBe(header);
      }),
    );
  });
});

describe('ids', () => {
  it('are lower-case hex of the right length', () => {
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
    expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('are never all zero, however unlucky the random source', () => {
    let calls = 0;
    const fill = (b: Uint8Array) => {
      calls++;
      if (calls > 2) b.fill(0xab);
      return b;
    };
    expect(newSpanId(fill)).toBe('abababababababab');
    expect(calls).toBe(3);
  });

  it('do not repeat across many refills of the random pool', () => {
    // 2 000 trace ids and 2 000 span ids draw 48 000 bytes: the 4 KiB pool is refilled a dozen times.
    const traces = new Set(Array.from({ length: 2000 }, () => newTraceId()));
    const spans = new Set(Array.from({ length: 2000 }, () => newSpanId()));
    expect(traces.size).toBe(2000);
    expect(spans.size).toBe(2000);
    for (const id of [...traces].slice(0, 50)) expect(id).toMatch(/^[0-9a-f]{32}$/);
    // Every hex digit turns up in every position of the trace ids: the bytes are spread, not stuck.
    for (let i = 0; i < 32; i++) expect(new Set([...traces].map((t) => t[i])).size).toBe(16);
  });
});

describe('continueTrace', () => {
  const fill = (b: Uint8Array) => b.fill(0x11);

  it('continues a valid trace: same trace id, new span, caller as parent, tracestate kept', () => {
    const t = continueTrace(new Headers({ traceparent: VALID, tracestate: 'vendor=abc,other=1' }), { fill });
    expect(t).toEqual({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01',
      tracestate: 'vendor=abc,other=1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '1111111111111111',
      parentSpanId: '00f067aa0ba902b7',
      sampled: true,
    });
  });

  it('carries only the sampled flag', () => {
    const t = continueTrace(new Headers({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe' }), { fill });
    expect(t.traceparent.endsWith('-00')).toBe(true);
    expect(t.sampled).toBe(false);
  });

  it('starts a new trace when traceparent is absent or invalid, and drops tracestate with it', () => {
    for (const headers of [new Headers(), new Headers({ traceparent: 'garbage', tracestate: 'vendor=abc' })]) {
      const t = continueTrace(headers, { fill });
      expect(t).toEqual({
        traceparent: '00-11111111111111111111111111111111-1111111111111111-00',
        tracestate: null,
        traceId: '11111111111111111111111111111111',
        spanId: '1111111111111111',
        parentSpanId: null,
        sampled: false,
      });
    }
    expect(continueTrace(new Headers(), { fill, sampled: true }).traceparent.endsWith('-01')).toBe(true);
  });

  it('property: the outgoing traceparent always parses, and keeps a valid caller’s trace id', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 70 })), (incoming) => {
        const headers = new Headers(incoming === null ? {} : { traceparent: incoming.replace(/[\r\n\0]/g, '') });
        const parent = parseTraceparent(headers.get('traceparent'));
        const t = continueTrace(headers);
        const out = parseTraceparent(t.traceparent);
        expect(out).toBeDefined();
        if (parent) expect(out?.traceId).toBe(parent.traceId);
        expect(out?.spanId).not.toBe(parent?.spanId);
      }),
    );
  });
});

describe('childTraceparent', () => {
  const fill = (b: Uint8Array) => b.fill(0x22);

  it('is continueTrace’s traceparent for a bare header value', () => {
    expect(childTraceparent(VALID, { fill })).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-2222222222222222-01');
    expect(childTraceparent(null, { fill })).toBe('00-22222222222222222222222222222222-2222222222222222-00');
  });
});
