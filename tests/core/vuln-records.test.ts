// NVD and OSV records become vulnerabilities for the products a scan sees: ranges (including
// versionEndIncluding, versionStartExcluding, last_affected, several branches), exact versions,
// severities, known exploitation; malformed, rejected, withdrawn and foreign entries are left out.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cvss3BaseScore, severityOfScore } from '../../src/signatures/cvss.js';
import { loadProductMap, loadSignatures } from '../../src/signatures/load.js';
import { nvdRecord, osvRecord, parseCpe23 } from '../../src/signatures/vuln-records.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/vulns/${name}`, import.meta.url), 'utf8')) as unknown;
const map = loadProductMap();
const nvd = (fixture('nvd-page.json') as { vulnerabilities: unknown[] }).vulnerabilities;
const nvdById = (id: string) => nvd.find((item) => (item as { cve: { id: unknown } }).cve.id === id);
const osv = fixture('osv-records.json') as unknown[];

describe('the product map', () => {
  it('names only products some service rule emits', () => {
    const products = new Set(loadSignatures().services.map((rule) => rule.spec.service.product));
    const mapped = new Set([...map.cpe.values(), ...map.osv.values()]);
    expect([...mapped].filter((product) => !products.has(product))).toEqual([]);
    expect(mapped.size).toBeGreaterThanOrEqual(20);
  });

  it('agrees with the CPE each service rule gives its product', () => {
    for (const rule of loadSignatures().services) {
      const cpe = rule.spec.service.cpe === undefined ? undefined : parseCpe23(rule.spec.service.cpe);
      if (cpe === undefined || rule.spec.service.product === 'linux-kernel') continue;
      expect(map.cpe.get(cpe.slice(0, 3).join(':')), rule.spec.id).toBe(rule.spec.service.product);
    }
  });
});

describe('CPE 2.3 names', () => {
  it('split on unescaped colons only (NISTIR 7695, formatted string binding)', () => {
    expect(parseCpe23('cpe:2.3:a:openbsd:openssh:7.4:p1:*:*:*:*:*:*')?.slice(0, 5)).toEqual(['a', 'openbsd', 'openssh', '7.4', 'p1']);
    expect(parseCpe23('cpe:2.3:a:vendor:prod\\:uct:1.0\\-rc1:*:*:*:*:*:*:*')?.slice(2, 4)).toEqual(['prod:uct', '1.0-rc1']);
    expect(parseCpe23('cpe:/a:openbsd:openssh:7.4')).toBeUndefined();
    expect(parseCpe23('cpe:2.3:a:too:short')).toBeUndefined();
  });
});

describe('NVD records', () => {
  it('keep a range with its severity (the primary CVSS v3.1 score) and the known-exploited flag', () => {
    const result = nvdRecord(nvdById('CVE-2099-0001'), map);
    expect(result).toMatchObject({ skipped: 0, openEnded: 0 });
    expect(result.vulnerabilities).toEqual([
      {
        product: 'dnsmasq',
        id: 'CVE-2099-0001',
        cves: ['CVE-2099-0001'],
        ranges: [{ introduced: '2.0', fixed: '2.86' }],
        severity: 'critical',
        severityGiven: true,
        knownExploited: true,
        summary: 'Fixture: a heap overflow in dnsmasq before 2.86 lets a network attacker run code.',
        reference: 'https://nvd.nist.gov/vuln/detail/CVE-2099-0001',
      },
    ]);
  });

  it('read versionEndIncluding as the last affected version, and CVSS v4 when there is no v3.1', () => {
    const [v] = nvdRecord(nvdById('CVE-2099-0002'), map).vulnerabilities;
    expect(v).toMatchObject({ product: 'dropbear', ranges: [{ lastAffected: '2019.78' }], severity: 'high', knownExploited: false });
  });

  it('read an exact CPE version with its update as one version (7.4 + p1 = 7.4p1), severity from CVSS v2', () => {
    const [v] = nvdRecord(nvdById('CVE-2099-0003'), map).vulnerabilities;
    expect(v).toMatchObject({ product: 'openssh', ranges: [{ introduced: '7.4p1', lastAffected: '7.4p1' }], severity: 'medium' });
  });

  it('read versionStartExcluding, and only the vulnerable CPE of an AND configuration', () => {
    const result = nvdRecord(nvdById('CVE-2099-0007'), map);
    expect(result.vulnerabilities).toHaveLength(1);
    expect(result.vulnerabilities[0]).toMatchObject({ product: 'openssh', ranges: [{ introducedAfter: '8.0', fixed: '8.8' }], severity: 'high' });
  });

  it.each([
    ['a product no scan sees', 'CVE-2099-0004', { skipped: 0, openEnded: 0 }],
    ['a rejected CVE', 'CVE-2099-0005', { skipped: 0, openEnded: 0 }],
    ['a range with no upper bound', 'CVE-2099-0006', { skipped: 0, openEnded: 1 }],
    ['a negated node', 'CVE-2099-0008', { skipped: 0, openEnded: 0 }],
    ['a version no comparison can use', 'CVE-2099-0009', { skipped: 1, openEnded: 0 }],
  ])('give nothing for %s', (_name, id, counts) => {
    const result = nvdRecord(nvdById(id), map);
    expect(result.vulnerabilities).toEqual([]);
    expect(result).toMatchObject(counts);
  });

  it.each([[{ cve: { id: 42 } }], [null], ['text'], [{ cve: { id: 'CVE-2099-0010', configurations: {} } }], [{ cve: { id: 'CVE-2099-0011', configurations: [{ nodes: [7] }] } }]])(
    'count a malformed record as skipped, never throw: %j',
    (item) => {
      const result = nvdRecord(item, map);
      expect(result.vulnerabilities).toEqual([]);
      expect(result.skipped).toBe(1);
    },
  );

  it('stand in medium for a record without any score, and say so', () => {
    const item = { cve: { id: 'CVE-2099-0012', configurations: [{ nodes: [{ cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:a:eclipse:mosquitto:*:*:*:*:*:*:*:*', versionEndExcluding: '2.0.16' }] }] }] } };
    expect(nvdRecord(item, map).vulnerabilities[0]).toMatchObject({ product: 'mosquitto', severity: 'medium', severityGiven: false, summary: 'CVE-2099-0012' });
  });
});

describe('OSV records', () => {
  it('turn several introduced/fixed pairs into one range each, with the CVE alias as the id shown', () => {
    const [v] = osvRecord(fixture('osv-record.json'), map).vulnerabilities;
    expect(v).toEqual({
      product: 'nginx',
      id: 'BIT-nginx-2099-0101',
      cves: ['CVE-2099-0101'],
      ranges: [
        { introduced: '1.20.0', fixed: '1.20.3' },
        { introduced: '1.22.0', fixed: '1.22.1' },
      ],
      severity: 'high',
      severityGiven: true,
      knownExploited: false,
      summary: 'Fixture: nginx resolver off-by-one',
      reference: 'https://osv.dev/vulnerability/BIT-nginx-2099-0101',
    });
  });

  it('read last_affected as an inclusive bound, and the database severity word', () => {
    const [v] = osvRecord(osv[0], map).vulnerabilities;
    expect(v).toMatchObject({ product: 'apache-httpd', ranges: [{ introduced: '2.4.49', lastAffected: '2.4.49' }], severity: 'critical' });
  });

  it('rate a record by its CVSS v3 vector when that is all it has, and show its own id without a CVE alias', () => {
    const [v] = osvRecord(osv[4], map).vulnerabilities;
    expect(v).toMatchObject({ cves: ['BIT-nginx-2099-0203'], ranges: [{ fixed: '1.25.3' }], severity: 'high', severityGiven: true });
  });

  it('use the versions list when there is no SEMVER or ECOSYSTEM range', () => {
    const [v] = osvRecord(osv[5], map).vulnerabilities;
    expect(v).toMatchObject({
      ranges: [
        { introduced: '1.18.0', lastAffected: '1.18.0' },
        { introduced: '1.19.0', lastAffected: '1.19.0' },
      ],
      severity: 'medium',
      severityGiven: false,
    });
  });

  it.each([
    ['a withdrawn record', 1, { skipped: 0, openEnded: 0 }],
    ['a distribution package (versions are package revisions)', 2, { skipped: 0, openEnded: 0 }],
    ['a limit event', 6, { skipped: 1, openEnded: 0 }],
    ['a range never fixed', 7, { skipped: 0, openEnded: 1 }],
    ['a record without affected packages', 8, { skipped: 1, openEnded: 0 }],
    ['a number', 3, { skipped: 1, openEnded: 0 }],
  ])('give nothing for %s', (_name, index, counts) => {
    const result = osvRecord(osv[index], map);
    expect(result.vulnerabilities).toEqual([]);
    expect(result).toMatchObject(counts);
  });
});

describe('CVSS v3 base scores (FIRST CVSS v3.1 specification §7)', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'critical'],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:L', 7.7, 'high'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5, 'high'],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4, 'medium'],
    ['CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N', 0, 'info'],
  ])('%s = %f', (vector, score, severity) => {
    expect(cvss3BaseScore(vector)).toBe(score);
    expect(severityOfScore(score)).toBe(severity);
  });

  it.each(['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'CVSS:3.1/AV:N/AC:L', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'garbage'])('refuses %s', (vector) => {
    expect(cvss3BaseScore(vector)).toBeUndefined();
  });
});
