// nmap's XML as the nmap engine reads it: a real -sV run against the lab (tests/fixtures/nmap/
// lab-sv.xml, made with `nmap -sT -sV -T4 -n -p <iotscan's ports> -oX` in the lab's scanner
// namespace), and hostile documents: entities, DTDs, garbage, truncation, oversize, escapes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_NMAP_XML_BYTES, NmapXmlError, nmapObservations, parseNmapXml, type NmapHost } from '../../src/engine/nmap-xml.js';
import { batchedNmapScanner } from '../../src/engine/nmap.js';

const fixture = readFileSync(new URL('../fixtures/nmap/lab-sv.xml', import.meta.url), 'utf8');

/** A minimal nmap document around the given <host> elements. */
const nmapRun = (hosts: string) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sT -sV" version="7.93" xmloutputversion="1.05">
${hosts}
<runstats><finished time="1" elapsed="1.0" exit="success"/></runstats>
</nmaprun>
`;

const host = (address: string, ports: string, state = 'up') =>
  `<host><status state="${state}" reason="arp-response"/><address addr="${address}" addrtype="ipv4"/><ports>${ports}</ports></host>`;

const openPort = (port: number, service: string) =>
  `<port protocol="tcp" portid="${port}"><state state="open" reason="syn-ack"/>${service}</port>`;

describe('parseNmapXml on a real nmap -sV run against the lab', () => {
  const hosts = parseNmapXml(fixture);

  it('reads every host with its address, MAC and MAC vendor', () => {
    expect(hosts.map((h) => h.addresses[0])).toEqual([
      '192.168.77.1',
      '192.168.77.20',
      '192.168.77.30',
      '192.168.77.40',
      '192.168.77.60',
      '192.168.77.70',
      '192.168.77.80',
      '192.168.77.95',
      '192.168.77.100',
    ]);
    const camera = hosts.find((h) => h.addresses[0] === '192.168.77.20');
    expect(camera?.mac).toBe('00:40:8c:1a:2b:3c');
    expect(camera?.macVendor).toBe('Axis Communications AB');
    // nmap names no vendor for this OUI: none is invented.
    const hardened = hosts.find((h) => h.addresses[0] === '192.168.77.80');
    expect(hardened?.mac).toBe('d8:3a:dd:44:55:66');
    expect(hardened?.macVendor).toBeUndefined();
  });

  it('reads each open port with service, product, version, extra info and CPEs', () => {
    const oldDevice = hosts.find((h) => h.addresses[0] === '192.168.77.70');
    expect(oldDevice?.ports).toEqual([
      {
        port: 22,
        protocol: 'tcp',
        state: 'open',
        service: 'ssh',
        product: 'Dropbear sshd',
        version: '2014.63',
        extrainfo: 'protocol 2.0',
        cpe: ['cpe:/a:matt_johnston:dropbear_ssh_server:2014.63', 'cpe:/o:linux:linux_kernel'],
      },
      { port: 80, protocol: 'tcp', state: 'open', service: 'http', product: 'lighttpd', version: '1.4.31', cpe: ['cpe:/a:lighttpd:lighttpd:1.4.31'] },
    ]);
  });

  it('keeps only open ports and never passes on nmap\'s raw service fingerprints', () => {
    const router = hosts.find((h) => h.addresses[0] === '192.168.77.1');
    // 35 closed ports are summarised in <extraports>; the three open ones remain.
    expect(router?.ports.map((p) => p.port)).toEqual([23, 80, 443]);
    expect(router?.ports.find((p) => p.port === 80)).toEqual({ port: 80, protocol: 'tcp', state: 'open', service: 'http', cpe: [] });
    expect(JSON.stringify(hosts)).not.toContain('SF-Port');
  });

  it('turns each open port into one observation with nmap.* fields', () => {
    const oldDevice = hosts.find((h) => h.addresses[0] === '192.168.77.70');
    expect(oldDevice && nmapObservations(oldDevice)).toEqual([
      {
        address: '192.168.77.70',
        port: 22,
        transport: 'tcp',
        fields: {
          'nmap.service': 'ssh',
          'nmap.product': 'Dropbear sshd',
          'nmap.version': '2014.63',
          'nmap.extrainfo': 'protocol 2.0',
          'nmap.cpe': 'cpe:/a:matt_johnston:dropbear_ssh_server:2014.63,cpe:/o:linux:linux_kernel',
        },
      },
      {
        address: '192.168.77.70',
        port: 80,
        transport: 'tcp',
        fields: { 'nmap.service': 'http', 'nmap.product': 'lighttpd', 'nmap.version': '1.4.31', 'nmap.cpe': 'cpe:/a:lighttpd:lighttpd:1.4.31' },
      },
    ]);
  });
});

describe('parseNmapXml on hostile documents', () => {
  it('refuses entity declarations, internal subsets and external entities', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><nmaprun>&c;</nmaprun>`;
    const external = `<?xml version="1.0"?><!DOCTYPE nmaprun SYSTEM "file:///etc/passwd"><nmaprun></nmaprun>`;
    const late = nmapRun(host('192.168.1.2', '')).replace('<nmaprun ', '<!ENTITY x SYSTEM "file:///etc/passwd"><nmaprun ');
    for (const xml of [laughs, external, late]) expect(() => parseNmapXml(xml)).toThrow(NmapXmlError);
  });

  it('leaves entity references in values as the text they stand for, never expanding anything else', () => {
    const xml = nmapRun(host('192.168.1.2', openPort(80, '<service name="http" product="AT&amp;T &lt;admin&gt; &quot;x&quot;" version="&#49;.&#x32;" extrainfo="&unknown; &c;"/>')));
    const [port] = parseNmapXml(xml)[0]?.ports ?? [];
    expect(port?.product).toBe('AT&T <admin> "x"');
    expect(port?.version).toBe('1.2');
    expect(port?.extrainfo).toBe('&unknown; &c;');
  });

  it('strips terminal escapes and control characters, and caps long values', () => {
    const xml = nmapRun(host('192.168.1.2', openPort(80, `<service name="http" product="&#x1b;[2J&#x1b;]0;owned&#x07;Evil&#x9b;31m httpd&#x0a;" version="${'9'.repeat(5000)}"/>`)));
    const [port] = parseNmapXml(xml)[0]?.ports ?? [];
    expect(port?.product).toBe('Evil httpd');
    expect(port?.version?.length).toBeLessThanOrEqual(256);
  });

  it('drops what is not an address, a MAC, a port or a CPE, and caps CPE lists', () => {
    const cpes = Array.from({ length: 40 }, (_, i) => `<cpe>cpe:/a:x:y:${i}</cpe>`).join('');
    const xml = nmapRun(
      `<host><status state="up"/><address addr="192.168.1.999" addrtype="ipv4"/><address addr="-iL /etc/passwd" addrtype="ipv4"/></host>` +
        `<host><status state="up"/><address addr="192.168.1.3" addrtype="ipv4"/><address addr="fe80::1" addrtype="ipv6"/><address addr="not-a-mac" addrtype="mac" vendor="X"/><ports>` +
        `<port protocol="tcp" portid="0"><state state="open"/></port><port protocol="tcp" portid="70000"><state state="open"/></port>` +
        `<port protocol="sctp" portid="80"><state state="open"/></port><port protocol="tcp" portid="81"><state state="filtered"/></port>` +
        openPort(22, `<service name="ssh">${cpes}<cpe>javascript:alert(1)</cpe></service>`) +
        `</ports></host>` +
        host('192.168.1.4', openPort(80, '<service name="http"/>'), 'down'),
    );
    const hosts = parseNmapXml(xml);
    expect(hosts).toHaveLength(1);
    expect(hosts[0]?.addresses).toEqual(['192.168.1.3', 'fe80::1']);
    expect(hosts[0]?.mac).toBeUndefined();
    expect(hosts[0]?.macVendor).toBeUndefined();
    expect(hosts[0]?.ports.map((p) => p.port)).toEqual([22]);
    expect(hosts[0]?.ports[0]?.cpe).toHaveLength(16);
  });

  it('refuses garbage, truncated output, other XML and oversized documents', () => {
    expect(() => parseNmapXml('Starting Nmap 7.93 ( https://nmap.org )\nQUITTING!')).toThrow(NmapXmlError);
    expect(() => parseNmapXml(fixture.slice(0, Math.floor(fixture.length / 2)))).toThrow(NmapXmlError);
    expect(() => parseNmapXml('<?xml version="1.0"?><root><host/></root>')).toThrow(/no <nmaprun>/);
    expect(() => parseNmapXml('')).toThrow(NmapXmlError);
    const started = Date.now();
    expect(() => parseNmapXml(`<nmaprun>${' '.repeat(MAX_NMAP_XML_BYTES)}</nmaprun>`)).toThrow(/longer than/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reads many hosts quickly (a /22 of results)', () => {
    const many = nmapRun(Array.from({ length: 1024 }, (_, i) => host(`10.0.${i >> 8}.${i & 255}`, openPort(22, '<service name="ssh" product="OpenSSH" version="9.6"/>'))).join('\n'));
    const started = Date.now();
    expect(parseNmapXml(many)).toHaveLength(1024);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('one nmap for the hosts found together', () => {
  const host = (address: string): NmapHost => ({ addresses: [address], ports: [{ protocol: 'tcp', port: 80, state: 'open', cpe: [] }] });

  it('gathers the hosts of one window into a single run and answers each with its own ports', async () => {
    const runs: string[][] = [];
    const scanner = batchedNmapScanner(
      async (targets) => {
        runs.push([...targets]);
        return targets.map(host);
      },
      (found) => found.addresses[0],
      { windowMs: 20, maxBatch: 10 },
    );
    const signal = new AbortController().signal;
    const results = await Promise.all(['10.9.0.1', '10.9.0.2', '10.9.0.3'].map((address) => scanner(address, [80], signal)));
    expect(runs).toEqual([['10.9.0.1', '10.9.0.2', '10.9.0.3']]);
    expect(results).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3']);
  });

  it('starts a run as soon as a batch is full, and passes an nmap failure to every host of it', async () => {
    const runs: number[] = [];
    const scanner = batchedNmapScanner(
      async (targets) => {
        runs.push(targets.length);
        return { error: 'nmap exited with status 1' };
      },
      () => 'unused',
      { windowMs: 60_000, maxBatch: 2 },
    );
    const signal = new AbortController().signal;
    const results = await Promise.all([scanner('10.9.0.1', [80], signal), scanner('10.9.0.2', [80], signal)]);
    expect(runs).toEqual([2]);
    expect(results).toEqual([{ error: 'nmap exited with status 1' }, { error: 'nmap exited with status 1' }]);
  });
});
