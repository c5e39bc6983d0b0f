import { describe, expect, it } from 'vitest';
import { Base64StreamDecoder, base64Piece, grpcWebContentType, grpcWebTrailerFrame, isGrpcWebText, nativeGrpcContentType } from './grpc-web.ts';

const bytes = (...b: number[]) => new Uint8Array(b);
const ascii = (s: string) => new TextEncoder().encode(s);

describe('gRPC-Web content types', () => {
  it('map to and from native gRPC, keeping the codec suffix and the text encoding', () => {
    expect(nativeGrpcContentType('application/grpc-web')).toBe('application/grpc');
    expect(nativeGrpcContentType('application/grpc-web+proto')).toBe('application/grpc+proto');
    expect(nativeGrpcContentType('application/grpc-web-text+proto')).toBe('application/grpc+proto');
    expect(isGrpcWebText('application/grpc-web-text')).toBe(true);
    expect(isGrpcWebText('application/grpc-web+proto')).toBe(false);
    expect(grpcWebContentType('application/grpc+proto', 'application/grpc-web-text')).toBe('application/grpc-web-text+proto');
    expect(grpcWebContentType('application/grpc', 'application/grpc-web+proto')).toBe('application/grpc-web');
  });
});

describe('gRPC-Web trailer frame', () => {
  it('is flag 0x80, a big-endian length, and name: value lines with lower-case names', () => {
    const frame = grpcWebTrailerFrame([
      ['grpc-status', '0'],
      ['Grpc-Message', 'ok'],
    ]);
    const block = 'grpc-status: 0\r\ngrpc-message: ok\r\n';
    expect([...frame.subarray(0, 5)]).toEqual([0x80, 0, 0, 0, block.length]);
    expect(new TextDecoder().decode(frame.subarray(5))).toBe(block);
  });
});

describe('base64 bodies (application/grpc-web-text)', () => {
  it('decode across arbitrary chunk boundaries and independently padded pieces', () => {
    const a = bytes(0, 0, 0, 0, 2, 8, 1);
    const b = bytes(0x80, 0, 0, 0, 1, 7);
    const text = new TextDecoder().decode(base64Piece(a)) + new TextDecoder().decode(base64Piece(b));
    const d = new Base64StreamDecoder();
    const out: number[] = [];
    for (let i = 0; i < text.length; i += 3) out.push(...d.push(ascii(text.slice(i, i + 3))));
    d.end();
    expect(out).toEqual([...a, ...b]);
  });

  it('refuses characters that are not base64, and a body cut mid-group', () => {
    expect(() => new Base64StreamDecoder().push(ascii('ab$d'))).toThrow(/not base64/);
    const d = new Base64StreamDecoder();
    d.push(ascii('QUJD' + 'QQ'));
    expect(() => d.end()).toThrow(/incomplete/);
  });
});
