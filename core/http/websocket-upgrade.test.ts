// Which requests open a WebSocket through Weft: a GET naming `upgrade` in Connection and
// `websocket` in Upgrade, whatever the case or the other tokens; never an h2c or TLS upgrade.
import { describe, expect, it } from 'vitest';
import { isWebSocketUpgrade } from './websocket-upgrade.ts';

const h = (o: Record<string, string>) => new Headers(o);

describe('isWebSocketUpgrade', () => {
  it('takes the RFC 6455 handshake, in any case and within token lists', () => {
    expect(isWebSocketUpgrade('GET', h({ connection: 'Upgrade', upgrade: 'websocket' }))).toBe(true);
    expect(isWebSocketUpgrade('get', h({ connection: 'keep-alive, Upgrade', upgrade: 'WebSocket' }))).toBe(true);
    expect(isWebSocketUpgrade('GET', h({ connection: 'upgrade', upgrade: 'foo/2, websocket' }))).toBe(true);
  });

  it('refuses other protocols, other methods, and an Upgrade that Connection does not name', () => {
    expect(isWebSocketUpgrade('GET', h({ connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c' }))).toBe(false);
    expect(isWebSocketUpgrade('GET', h({ connection: 'upgrade', upgrade: 'TLS/1.0' }))).toBe(false);
    expect(isWebSocketUpgrade('POST', h({ connection: 'upgrade', upgrade: 'websocket' }))).toBe(false);
    expect(isWebSocketUpgrade('GET', h({ upgrade: 'websocket' }))).toBe(false);
    expect(isWebSocketUpgrade('GET', h({ connection: 'upgrade' }))).toBe(false);
    expect(isWebSocketUpgrade('GET', h({ connection: 'upgrade', upgrade: 'websockets' }))).toBe(false);
  });
});
