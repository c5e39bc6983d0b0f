// Which requests open a WebSocket through Weft: a GET asking to switch to `websocket`, in any
// case and within a token list; never an h2c or TLS upgrade, never another method.
import { describe, expect, it } from 'vitest';
import { isWebSocketUpgrade } from './websocket-upgrade.ts';

describe('isWebSocketUpgrade', () => {
  it('takes the RFC 6455 handshake, in any case and within token lists', () => {
    expect(isWebSocketUpgrade('GET', 'websocket')).toBe(true);
    expect(isWebSocketUpgrade('get', 'WebSocket')).toBe(true);
    expect(isWebSocketUpgrade('GET', 'foo/2, websocket')).toBe(true);
  });

  it('refuses other protocols, other methods, and a request that asks for no upgrade', () => {
    expect(isWebSocketUpgrade('GET', 'h2c')).toBe(false);
    expect(isWebSocketUpgrade('GET', 'TLS/1.0')).toBe(false);
    expect(isWebSocketUpgrade('GET', 'websockets')).toBe(false);
    expect(isWebSocketUpgrade('POST', 'websocket')).toBe(false);
    expect(isWebSocketUpgrade('GET', null)).toBe(false);
  });
});
