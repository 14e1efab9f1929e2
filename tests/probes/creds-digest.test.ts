import { describe, expect, it } from 'vitest';
import { digestAuthorization, offersScheme, parseChallenges, pickDigestChallenge } from '../../probes/creds/digest.js';

/** The worked examples of RFC 7616 §3.9.1 and RFC 2617 §3.5 (same user, uri and method). */
const MUFASA = { username: 'Mufasa', password: 'Circle of Life' };
const RFC7616_NONCE = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
const RFC7616_OPAQUE = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
const RFC7616_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
const rfc7616Challenge = (algorithm: string) =>
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="${RFC7616_NONCE}", opaque="${RFC7616_OPAQUE}"`;

function params(authorization: string): Record<string, string> {
  return parseChallenges(authorization)[0]?.params ?? {};
}

describe('digest challenges', () => {
  it('reads several challenges with quoted and bare values', () => {
    expect(parseChallenges('Digest realm="a, \\"b\\"", nonce=xyz, qop="auth", Basic realm="cam", Negotiate abc==')).toEqual([
      { scheme: 'digest', params: { realm: 'a, "b"', nonce: 'xyz', qop: 'auth' } },
      { scheme: 'basic', params: { realm: 'cam' } },
      { scheme: 'negotiate', params: {} },
    ]);
  });

  it('prefers SHA-256 when the server offers it next to MD5 (RFC 7616 §3.7)', () => {
    const challenge = pickDigestChallenge(`${rfc7616Challenge('MD5')}, ${rfc7616Challenge('SHA-256')}`);
    expect(challenge?.algorithm).toBe('SHA-256');
  });

  it('refuses what it cannot answer', () => {
    expect(pickDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"')).toBeUndefined();
    expect(pickDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-1')).toBeUndefined();
    expect(pickDigestChallenge('Digest realm="r"')).toBeUndefined();
    expect(pickDigestChallenge('Digest realm="r\r\nX-Injected: 1", nonce="n"')).toBeUndefined();
    expect(pickDigestChallenge('Basic realm="r"')).toBeUndefined();
    expect(offersScheme('Digest realm="basic"', 'basic')).toBe(false);
    expect(offersScheme('Digest realm="x", nonce="y", Basic realm="z"', 'basic')).toBe(true);
  });

  it('survives hostile headers', () => {
    expect(() => parseChallenges('"'.repeat(20_000))).not.toThrow();
    expect(() => parseChallenges('Digest realm="unterminated')).not.toThrow();
    const many = `Digest ${Array.from({ length: 200 }, (_, index) => `p${index}=v`).join(', ')}`;
    expect(Object.keys(parseChallenges(many)[0]?.params ?? {}).length).toBeLessThanOrEqual(32);
  });
});

describe('digest answers', () => {
  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ])('gives the RFC 7616 §3.9.1 response for %s', (algorithm, expected) => {
    const challenge = pickDigestChallenge(rfc7616Challenge(algorithm));
    if (challenge === undefined) throw new Error('challenge not parsed');
    const authorization = digestAuthorization(challenge, MUFASA, { method: 'GET', uri: '/dir/index.html', cnonce: RFC7616_CNONCE }) ?? '';
    expect(params(authorization)).toMatchObject({
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      uri: '/dir/index.html',
      algorithm,
      qop: 'auth',
      nc: '00000001',
      cnonce: RFC7616_CNONCE,
      opaque: RFC7616_OPAQUE,
      response: expected,
    });
  });

  it('gives the RFC 2617 §3.5 response', () => {
    const challenge = pickDigestChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    if (challenge === undefined) throw new Error('challenge not parsed');
    const authorization = digestAuthorization(challenge, { username: 'Mufasa', password: 'Circle Of Life' }, { method: 'GET', uri: '/dir/index.html', cnonce: '0a4f113b' }) ?? '';
    expect(params(authorization)['response']).toBe('6629fae49393a05397450978507c4ef1');
    expect(params(authorization)['algorithm']).toBeUndefined();
  });

  it('uses the RFC 2069 form without qop, and never puts the password in the header', () => {
    const challenge = pickDigestChallenge('Digest realm="r", nonce="n"');
    if (challenge === undefined) throw new Error('challenge not parsed');
    const authorization = digestAuthorization(challenge, { username: 'admin', password: 'hunter2' }, { method: 'GET', uri: '/' }) ?? '';
    expect(params(authorization)['qop']).toBeUndefined();
    expect(params(authorization)['cnonce']).toBeUndefined();
    expect(authorization).not.toContain('hunter2');
  });

  it('refuses a pair that would break the header line, and encodes non-ASCII user names', () => {
    const challenge = pickDigestChallenge('Digest realm="r", nonce="n", qop=auth');
    if (challenge === undefined) throw new Error('challenge not parsed');
    expect(digestAuthorization(challenge, { username: 'a\r\nX: 1', password: 'p' }, { method: 'GET', uri: '/' })).toBeUndefined();
    expect(digestAuthorization(challenge, { username: 'jäger', password: 'p' }, { method: 'GET', uri: '/' })).toContain("username*=UTF-8''j%C3%A4ger");
  });
});
