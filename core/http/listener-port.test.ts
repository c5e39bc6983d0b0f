import { describe, expect, it } from 'vitest';
import { authorityPort, edgeListenerPort, wellKnownPort } from './listener-port.ts';

describe('listener ports', () => {
  it('knows the well-known ports of http and https only', () => {
    expect([wellKnownPort('http'), wellKnownPort('https'), wellKnownPort('ftp')]).toEqual([80, 443, undefined]);
  });

  it('reads the port an authority names, else the scheme’s', () => {
    expect(authorityPort('reviews:9080', 'http')).toBe(9080);
    expect(authorityPort('reviews', 'http')).toBe(80);
    expect(authorityPort('reviews', 'https')).toBe(443);
    expect(authorityPort('[::1]:8080', 'http')).toBe(8080);
    expect(authorityPort('[::1]', 'http')).toBe(80);
  });

  it('is null for a port no URL can hold', () => {
    for (const authority of ['reviews:abc', 'reviews:', 'reviews:0', 'reviews:65536', 'reviews:80:80', '[::1]:x']) expect(authorityPort(authority, 'http'), authority).toBeNull();
  });

  it('the gateway’s: the configured port, else the scheme’s well-known one', () => {
    expect(edgeListenerPort('8787', 'http')).toBe(8787);
    expect(edgeListenerPort(undefined, 'https')).toBe(443);
    expect(edgeListenerPort(undefined, 'http')).toBe(80);
    expect(edgeListenerPort('not-a-port', 'https')).toBe(443);
  });
});
