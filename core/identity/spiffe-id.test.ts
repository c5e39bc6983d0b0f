// SPIFFE IDs as the spec defines them, and principal patterns as access policies write them:
// what parses, what is refused, and what a `*` pattern does (and does not) match.
import { describe, expect, it } from 'vitest';
import { checkSpiffeId, formatSpiffeId, parseSpiffeId, principalMatches, trustDomainId } from './spiffe-id.ts';

describe('parseSpiffeId', () => {
  it.each([
    ['spiffe://weft.local/ns/prod/sa/web', { trustDomain: 'weft.local', path: '/ns/prod/sa/web', namespace: 'prod', service: 'web' }],
    ['spiffe://weft.local', { trustDomain: 'weft.local', path: '' }],
    ['spiffe://td/a', { trustDomain: 'td', path: '/a' }],
    ['spiffe://my_td-1.example.org/x/y.z/A-B_c', { trustDomain: 'my_td-1.example.org', path: '/x/y.z/A-B_c' }],
    ['spiffe://td/ns/prod/sa/web/extra', { trustDomain: 'td', path: '/ns/prod/sa/web/extra' }],
    ['spiffe://td/ns/prod/svc/web', { trustDomain: 'td', path: '/ns/prod/svc/web' }],
    ['spiffe://td/ns/.../sa/x', { trustDomain: 'td', path: '/ns/.../sa/x', namespace: '...', service: 'x' }],
  ])('accepts %s', (id, expected) => {
    expect(parseSpiffeId(id)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['http://td/ns/a/sa/b', 'another scheme'],
    ['SPIFFE://td/ns/a/sa/b', 'upper-case scheme'],
    ['spiffe:/td/a', 'one slash'],
    ['spiffe://', 'no trust domain'],
    ['spiffe:///ns/a', 'empty trust domain'],
    ['spiffe://Weft.local/a', 'upper-case trust domain'],
    ['spiffe://td:8443/a', 'port'],
    ['spiffe://user@td/a', 'user info'],
    ['spiffe://td/a?x=1', 'query'],
    ['spiffe://td/a#frag', 'fragment'],
    ['spiffe://td/', 'trailing slash on the trust domain'],
    ['spiffe://td/a/', 'trailing slash'],
    ['spiffe://td//a', 'empty segment'],
    ['spiffe://td/./a', '"." segment'],
    ['spiffe://td/a/..', '".." segment'],
    ['spiffe://td/a%20b', 'percent-encoding'],
    ['spiffe://td/a b', 'space'],
    ['spiffe://td/ns/é/sa/x', 'non-ASCII'],
    [`spiffe://${'a'.repeat(256)}/x`, 'trust domain over 255 characters'],
    [`spiffe://td/${'a'.repeat(2040)}`, 'ID over 2048 bytes'],
  ])('refuses %s (%s)', (id) => {
    expect(parseSpiffeId(id)).toBeUndefined();
    const checked = checkSpiffeId(id);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).not.toBe('');
  });

  it('says why an ID is refused', () => {
    expect(checkSpiffeId('spiffe://td:8443/a')).toMatchObject({ ok: false, reason: expect.stringContaining('no port') });
    expect(checkSpiffeId('spiffe://td/a/')).toEqual({ ok: false, reason: 'SPIFFE ID path must not end with "/"' });
    expect(checkSpiffeId('spiffe://td/a/../b')).toEqual({ ok: false, reason: 'SPIFFE ID path must not contain ".." segments' });
  });
});

describe('formatSpiffeId', () => {
  it('builds the Weft form, which parses back to the same parts', () => {
    const id = formatSpiffeId('weft.local', 'prod', 'checkout');
    expect(id).toBe('spiffe://weft.local/ns/prod/sa/checkout');
    expect(parseSpiffeId(id)).toMatchObject({ trustDomain: 'weft.local', namespace: 'prod', service: 'checkout' });
  });

  it.each([
    ['Weft.local', 'prod', 'web'],
    ['td:1', 'prod', 'web'],
    ['td', 'a/b', 'web'],
    ['td', 'prod', ''],
    ['td', '..', 'web'],
    ['td', 'prod', 'we b'],
  ])('refuses parts that would not make a valid ID (%s, %s, %s)', (td, ns, svc) => {
    expect(() => formatSpiffeId(td, ns, svc)).toThrow(TypeError);
  });

  it('names a trust domain', () => {
    expect(trustDomainId('weft.local')).toBe('spiffe://weft.local');
    expect(() => trustDomainId('weft.local/x')).toThrow(TypeError);
    expect(() => trustDomainId('WEFT')).toThrow(TypeError);
  });
});

describe('principalMatches', () => {
  const web = 'spiffe://td/ns/prod/sa/web';
  it.each([
    ['*', web, true],
    ['*', '', true],
    [web, web, true],
    [web, 'spiffe://td/ns/prod/sa/web2', false],
    ['spiffe://td/ns/prod/sa/*', web, true],
    ['spiffe://td/ns/prod/sa/*', 'spiffe://td/ns/dev/sa/web', false],
    ['spiffe://td/ns/*/sa/web', web, true],
    ['spiffe://td/ns/*/sa/web', 'spiffe://td/ns/prod/sa/api', false],
    ['spiffe://td/*', web, true],
    ['spiffe://other/*', web, false],
    ['*/sa/web', web, true],
    ['*/sa/api', web, false],
    ['spiffe://td/ns/prod/sa/w*b', web, true],
    ['spiffe://td/ns/prod/sa/w**', web, true],
    ['spiffe://td/ns/*/sa/*', web, true],
    ['spiffe://td/ns/prod/*/*/web', web, false],
    ['spiffe://td/ns/prod/sa/web*', web, true],
    ['spiffe://td/ns/prod/sa/web*x', web, false],
    ['*web*web', web, false],
    // regex metacharacters match only themselves
    ['spiffe://td/ns/prod/sa/w.b', web, false],
    ['spiffe://td/ns/prod/sa/w.b', 'spiffe://td/ns/prod/sa/w.b', true],
    ['spiffe://td/ns/prod/sa/.*', web, false],
    ['spiffe://td/ns/(prod|dev)/sa/*', web, false],
    ['spiffe://td/ns/[a-z]+/sa/web', web, false],
    ['spiffe://td/ns/prod/sa/we?', web, false],
    ['^spiffe://td/ns/prod/sa/web$', web, false],
    ['spiffe://td/ns/prod/sa/web\\', web, false],
    ['spiffe://td/ns/prod/sa/a+', 'spiffe://td/ns/prod/sa/aa', false],
    ['spiffe://td/ns/prod/sa/a+', 'spiffe://td/ns/prod/sa/a+', true],
    ['spiffe://td/ns/prod/sa/{web}', web, false],
  ])('%s against %s → %s', (pattern, id, expected) => {
    expect(principalMatches(pattern, id)).toBe(expected);
  });
});
