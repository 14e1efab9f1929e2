import { describe, expect, it } from 'vitest';
import {
  canonicalScopedLinkLocal,
  createScopeGuard,
  defaultTargetSpecs,
  formatIpv6,
  isIpv6LinkLocal,
  isIpv6Multicast,
  isLocalAddress,
  linkLocalZonesInScope,
  onLinkIpv6Prefixes,
  parseIpv6,
  resolveTargets,
  TargetError,
} from '../../src/core/policy.js';

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
    [['fe80::1'], /needs the interface it is on, as in fe80::1%eth0/],
    [['ff02::fb%eth0'], /multicast group, not a device/],
    [['ff02::c'], /multicast group, not a device/],
    [['2001:db8::1'], /IPv6 targets other than link-local ones/],
    [['fe80::1%eth 0'], /"eth 0" is not an interface name/],
    [['fe80:::1%eth0'], /not a valid IPv6 address/],
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

  it('accepts a link-local IPv6 target with its zone, in one spelling', () => {
    const result = resolveTargets(['192.168.1.1', 'FE80::0:0:1%eth0', 'fe80::1%eth0'], scope);
    expect(result.addresses).toEqual(['192.168.1.1', 'fe80::1%eth0']);
    expect(result.specs).toEqual(['192.168.1.1', 'fe80::1%eth0']);
  });
});

describe('IPv6 addresses', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['FE80:0000:0000:0000:0202:B3FF:FE1E:8329', 'fe80::202:b3ff:fe1e:8329'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['ff02::fb', 'ff02::fb'],
  ])('%s is %s in RFC 5952 form', (text, canonical) => {
    const groups = parseIpv6(text);
    expect(groups).toHaveLength(8);
    expect(formatIpv6(groups ?? [])).toBe(canonical);
  });

  it.each(['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:2:3:4:5:6:7', '::1.2.3.256', 'fe80::1%eth0'])('%j is not an IPv6 address', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });

  it('knows multicast and link-local', () => {
    expect(isIpv6Multicast('ff02::fb')).toBe(true);
    expect(isIpv6Multicast('FF02::C%eth0')).toBe(true);
    expect(isIpv6Multicast('fe80::1')).toBe(false);
    expect(isIpv6Multicast('224.0.0.251')).toBe(false);
    expect(isIpv6LinkLocal('fe80::1%eth0')).toBe(true);
    expect(isIpv6LinkLocal('febf::1')).toBe(true);
    expect(isIpv6LinkLocal('fec0::1')).toBe(false);
    expect(canonicalScopedLinkLocal('FE80::0:1%wlp2s0')).toBe('fe80::1%wlp2s0');
    expect(canonicalScopedLinkLocal('fe80::1')).toBeUndefined();
    expect(canonicalScopedLinkLocal('ff02::1%eth0')).toBeUndefined();
    expect(canonicalScopedLinkLocal('fe80::1%')).toBeUndefined();
    expect(canonicalScopedLinkLocal('fe80::1%a-name-far-too-long')).toBeUndefined();
  });
});

describe('the scope guard with link-local neighbours', () => {
  const interfaces = [
    { name: 'eth0', address: '192.168.1.23', netmask: '255.255.255.0', internal: false, family: 'IPv4' },
    { name: 'eth0', address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', internal: false, family: 'IPv6' },
    { name: 'wlan0', address: '10.1.2.3', netmask: '255.255.0.0', internal: false, family: 'IPv4' },
    { name: 'lo', address: '127.0.0.1', netmask: '255.0.0.0', internal: true, family: 'IPv4' },
  ];

  it('puts a link in scope only when the targets cover its whole subnet (a /24 at most)', () => {
    const lan = resolveTargets(['192.168.1.0/24'], scope).addresses;
    expect(linkLocalZonesInScope(interfaces, lan)).toEqual(['eth0']);
    // A wide subnet counts as the /24 around the machine, as the default targets do.
    expect(linkLocalZonesInScope(interfaces, resolveTargets(['10.1.2.0/24'], scope).addresses)).toEqual(['wlan0']);
    // One named host does not bring in the link's other devices; neither does loopback.
    expect(linkLocalZonesInScope(interfaces, ['192.168.1.20'])).toEqual([]);
    expect(linkLocalZonesInScope(interfaces, resolveTargets(['127.0.0.0/24'], scope).addresses)).toEqual([]);
    // The machine's own address need not be among the targets.
    expect(linkLocalZonesInScope(interfaces, lan.filter((address) => address !== '192.168.1.23'))).toEqual(['eth0']);
  });

  it('says yes to IPv4 targets and link-local neighbours on links in scope, never to multicast', () => {
    const inScope = createScopeGuard(['192.168.1.20', 'fe80::99%wlan0', '224.0.0.251'], ['eth0']);
    expect(inScope('192.168.1.20')).toBe(true);
    expect(inScope('192.168.1.21')).toBe(false);
    expect(inScope('fe80::c0b0:1ff:fe1d:6a23%eth0')).toBe(true);
    expect(inScope('FE80::C0B0:1FF:FE1D:6A23%eth0')).toBe(true);
    expect(inScope('fe80::5%wlan0')).toBe(false);
    expect(inScope('fe80::99%wlan0')).toBe(true);
    expect(inScope('fe80::5')).toBe(false);
    expect(inScope('2001:db8::5')).toBe(false);
    expect(inScope('ff02::fb%eth0')).toBe(false);
    expect(inScope('ff02::c')).toBe(false);
    expect(inScope('224.0.0.251')).toBe(false);
    expect(inScope('239.255.255.250')).toBe(false);
  });
});

describe('global IPv6 addresses on the home link', () => {
  const interfaces = [
    { name: 'eth0', address: '192.168.1.10', netmask: '255.255.255.0', family: 'IPv4', internal: false },
    { name: 'eth0', address: '2001:db8:77::fe', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, cidr: '2001:db8:77::fe/64' },
    { name: 'eth0', address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, cidr: 'fe80::1/64' },
    { name: 'wg0', address: '2001:db8:99::2', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, cidr: '2001:db8:99::2/64' },
  ];

  it('takes the machine\'s own global prefixes on links in scope only', () => {
    expect(onLinkIpv6Prefixes(interfaces, ['eth0'])).toEqual(['2001:db8:77::fe/64']);
    expect(onLinkIpv6Prefixes(interfaces, [])).toEqual([]);
  });

  it('admits a global address inside such a prefix and nothing else of the public range', () => {
    const inScope = createScopeGuard(['192.168.1.20'], ['eth0'], ['2001:db8:77::fe/64']);
    expect(inScope('2001:db8:77::91')).toBe(true);
    expect(inScope('2001:db8:77:1::91')).toBe(false);
    expect(inScope('2606:4700::1111')).toBe(false);
    expect(createScopeGuard(['192.168.1.20'], [])('2001:db8:77::91')).toBe(false);
  });
});
