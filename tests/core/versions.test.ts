import { describe, expect, it } from 'vitest';
import { compareVersions, distributionRevision, inRange } from '../../src/core/versions.js';

describe('version comparison', () => {
  it.each([
    ['2014.63', '2016.74', -1],
    ['2016.74', '2016.74', 0],
    ['2017.75', '2016.74', 1],
    ['7.4p1', '9.8p1', -1],
    ['9.8p1', '9.8', 1],
    ['8.5p1', '8.5p1', 0],
    ['1.4.35', '1.4.4', 1],
    ['2.0.18-rc1', '2.0.18', -1],
    ['1.0rc1', '1.0', -1],
    ['1.6.19', '1.6.21', -1],
    ['10.2', '9.9p2', 1],
    ['1.3.5a', '1.3.5', 1],
    ['1.3.5b', '1.3.5a', 1],
    ['1.0b2', '1.0', -1],
    ['1.0a1', '1.0b1', -1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });

  it.each([
    ['2014.63', { fixed: '2016.74' }, true],
    ['2016.74', { fixed: '2016.74' }, false],
    ['9.7p1', { introduced: '8.5p1', fixed: '9.8p1' }, true],
    ['8.4p1', { introduced: '8.5p1', fixed: '9.8p1' }, false],
    ['1.2', { lastAffected: '1.2' }, true],
    ['1.3', { lastAffected: '1.2' }, false],
  ])('%s in %j: %s', (version, range, expected) => {
    expect(inRange(version, range)).toBe(expected);
  });

  it.each([
    ['SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', 'Debian-'],
    ['SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6', 'Ubuntu-3'],
    ['SSH-2.0-OpenSSH_10.2', undefined],
    ['SSH-2.0-dropbear_2014.63', undefined],
  ])('distribution revision in %s', (banner, expected) => {
    expect(distributionRevision(banner)).toBe(expected);
  });
});
