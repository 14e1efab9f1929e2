import { describe, expect, it } from 'vitest';
import { defaultTargetSpecs, isLocalAddress, resolveTargets, TargetError } from '../../src/core/policy.js';

const scope = { allowPublic: false, maxAddresses: 4096 };

describe('scope guard', () => {
  it.each([
    ['192.168.1.20', true],
    ['10.0.0.1', true],
    ['172.16.0.1', true],
    ['172.31.255.254', true],
    ['172.32.0.1', false],
    ['169.254.10.10', true],
    ['127.0.0.1', true],
    ['8.8.8.8', false],
    ['100.64.0.1', false],
    ['not-an-ip', false],
  ])('%s is local: %s', (address, local) => {
    expect(isLocalAddress(address)).toBe(local);
  });

  it.each([
    [['192.168.1.0/30'], ['192.168.1.1', '192.168.1.2']],
    [['192.168.1.10-12'], ['192.168.1.10', '192.168.1.11', '192.168.1.12']],
    [['192.168.1.5', '192.168.1.5'], ['192.168.1.5']],
    [['10.0.0.7/32'], ['10.0.0.7']],
  ])('expands %j', (specs, addresses) => {
    expect(resolveTargets(specs, scope).addresses).toEqual(addresses);
  });

  it.each([
    [['8.8.8.8'], /not on a home network.*--allow-public/],
    [['192.168.1.0/16', '1.1.1.1'], /more than 4096 addresses/],
    [['10.0.0.0/8'], /more than 4096 addresses/],
    [['example.com'], /host names are not resolved/],
    [['192.168.1.0/33'], /not a valid IPv4 range/],
    [['192.168.1.300'], /not an IPv4 address/],
    [['192.168.1.20-10'], /not a valid address range/],
    [['fe80::1'], /IPv6 targets are not supported yet/],
    [[], /no targets/],
  ])('refuses %j with one clear line', (specs, message) => {
    expect(() => resolveTargets(specs, scope)).toThrow(TargetError);
    expect(() => resolveTargets(specs, scope)).toThrow(message);
  });

  it('accepts a public target only when asked explicitly', () => {
    expect(resolveTargets(['8.8.8.8'], { ...scope, allowPublic: true }).addresses).toEqual(['8.8.8.8']);
  });

  it('defaults to the private /24s of the machine, never loopback or public ones', () => {
    const result = defaultTargetSpecs([
      { address: '192.168.1.23', netmask: '255.255.255.0', internal: false, family: 'IPv4' },
      { address: '10.1.2.3', netmask: '255.255.0.0', internal: false, family: 'IPv4' },
      { address: '127.0.0.1', netmask: '255.0.0.0', internal: true, family: 'IPv4' },
      { address: '203.0.113.5', netmask: '255.255.255.0', internal: false, family: 'IPv4' },
      { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', internal: false, family: 'IPv6' },
    ]);
    expect(result.specs).toEqual(['192.168.1.0/24', '10.1.2.0/24']);
    expect(result.narrowed).toEqual(['10.1.2.3/16']);
  });
});
