// The sidecar's view of WebSocket framing, checked against frames made and read by `ws`: frame
// ends found however the bytes are split (7-, 16- and 64-bit lengths, masked or not), a Close
// noticed, the rest of a frame in flight measured, and the Close frames the sidecar sends
// read back by ws as the code and reason it meant.
import { describe, expect, it } from 'vitest';
import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { closeFrame, FrameBoundaries } from '../../sidecar/proxy/websocket-frames.ts';

// ws's own framing classes (its @types leave them out).
const { Sender, Receiver } = ws as unknown as {
  Sender: { frame(data: Buffer, o: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] };
  Receiver: new (o: { isServer: boolean }) => Writable;
};

function frame(payload: Buffer, o: { opcode?: number; mask?: boolean } = {}): Buffer {
  return Buffer.concat(Sender.frame(payload, { fin: true, rsv1: false, opcode: o.opcode ?? 2, mask: o.mask ?? false, readOnly: false }));
}

describe('FrameBoundaries', () => {
  const frames = [frame(Buffer.alloc(5, 1)), frame(Buffer.alloc(300, 2), { mask: true }), frame(Buffer.alloc(70_000, 3)), frame(Buffer.alloc(0), { opcode: 9 })];
  const stream = Buffer.concat(frames);
  const ends = new Set(frames.reduce<number[]>((acc, f) => [...acc, (acc.at(-1) ?? 0) + f.length], []));

  it('is at a boundary exactly where a frame ends, however the bytes arrive', () => {
    for (const size of [1, 3, 7, 126, 4096]) {
      const seen = new FrameBoundaries();
      const boundaries: number[] = [];
      for (let at = 0; at < stream.length; at += size) {
        seen.feed(stream.subarray(at, Math.min(at + size, stream.length)));
        if (seen.atBoundary()) boundaries.push(Math.min(at + size, stream.length));
      }
      expect(boundaries.every((b) => ends.has(b)), `chunks of ${size}`).toBe(true);
      expect(boundaries.at(-1)).toBe(stream.length);
      expect(seen.closeSeen).toBe(false);
    }
  });

  it('measures what is left of the frame in flight, and notices a Close', () => {
    const seen = new FrameBoundaries();
    const third = frames[0]!.length + frames[1]!.length;
    seen.feed(stream.subarray(0, third + 10));
    expect(seen.atBoundary()).toBe(false);
    const rest = stream.subarray(third + 10);
    expect(seen.feedToBoundary(rest)).toBe(frames[2]!.length - 10);
    expect(seen.atBoundary()).toBe(true);
    expect(seen.feedToBoundary(rest)).toBe(0);
    seen.feed(closeFrame(1000, 'done', true).subarray(0, 6));
    expect(seen.closeSeen).toBe(true);
    expect(seen.atBoundary()).toBe(false);
  });
});

describe('closeFrame', () => {
  it.each([
    ['to a client, unmasked', false],
    ['to a server, masked', true],
  ])('is read by ws as its code and reason (%s)', async (_what, masked) => {
    // A server reads masked frames from its clients; a client reads unmasked ones.
    const receiver = new Receiver({ isServer: masked });
    const got = new Promise<[number, string]>((resolve) => receiver.on('conclude', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
    receiver.write(closeFrame(1001, 'maximum lifetime', masked));
    expect(await got).toEqual([1001, 'maximum lifetime']);
  });
});
