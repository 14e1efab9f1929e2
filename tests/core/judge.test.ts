import { describe, expect, it } from 'vitest';
import { judgeHost, type HostEvidence } from '../../src/core/judge.js';
import { judgeSharedKeys } from '../../src/core/judge-shared.js';
import type { Observation, Service } from '../../src/core/model.js';
import { loadSignatures } from '../../src/signatures/load.js';

const pack = loadSignatures();
let next = 0;
const observation = (fields: Record<string, string>, port?: number, transport: 'tcp' | 'udp' = 'tcp'): Observation => ({
  id: `o${++next}`,
  address: '192.168.1.9',
  probe: 'test',
  ...(port !== undefined && { port, transport }),
  fields,
});

function judge(observations: Observation[], services: Service[] = []) {
  const host: HostEvidence = { address: '192.168.1.9', observations, services, identity: { signals: [] }, judgedAt: '2026-11-21T12:00:00Z' };
  return judgeHost(host, pack);
}

const checks = (findings: ReturnType<typeof judge>) => findings.map((f) => `${f.check}:${f.severity}:${f.confidence}`);

describe('judge', () => {
  it('reports a telnet login prompt as telnet-open, high', () => {
    expect(checks(judge([observation({ 'telnet.prompt': 'login', 'telnet.banner': 'Welcome' }, 23)]))).toContain('telnet-open:high:high');
  });

  it('reports an accepted default login as critical, naming the signature and never a password', () => {
    const findings = judge([
      observation({ 'cred.protocol': 'http', 'cred.result': 'accepted', 'cred.signature': 'axis-camera-http', 'cred.check': 'default-cred-accepted', 'cred.username': 'root', 'cred.evidence': 'HTTP 200 with credentials, 401 without' }, 80),
    ]);
    const finding = findings.find((f) => f.check === 'default-cred-accepted');
    expect(finding).toMatchObject({ severity: 'critical', confidence: 'high', signature: 'axis-camera-http', port: 80 });
    expect(JSON.stringify(finding)).not.toContain('"pass"');
    expect(finding?.practices.en303645).toContain('5.1-1');
    expect(finding?.remedy.length).toBeGreaterThan(20);
  });

  it('reports a page that asks no login as no-auth-admin, never as a credential hit', () => {
    const found = checks(judge([observation({ 'cred.protocol': 'http', 'cred.login-required': 'no', 'cred.evidence': 'HTTP 200 without credentials' }, 80)]));
    expect(found.some((c) => c.startsWith('no-auth-admin'))).toBe(true);
    expect(found.some((c) => c.startsWith('default-cred-accepted'))).toBe(false);
  });

  it('reports a password form or Basic auth over plain HTTP, but not a plain page', () => {
    expect(checks(judge([observation({ 'http.status': '200', 'http.login-form': 'yes' }, 80)]))).toContain('cleartext-admin-login:medium:high');
    expect(checks(judge([observation({ 'http.status': '401', 'http.auth-scheme': 'basic' }, 80)]))).toContain('cleartext-admin-login:medium:high');
    expect(checks(judge([observation({ 'http.status': '200', 'http.title': 'Welcome' }, 80)])).some((c) => c.startsWith('cleartext-admin-login'))).toBe(false);
  });

  it('rates a vulnerable version from a banner medium confidence, and low with a distribution revision', () => {
    const old = judge([], [{ transport: 'tcp', port: 22, name: 'ssh', product: 'dropbear', version: '2014.63', banner: 'SSH-2.0-dropbear_2014.63' }]);
    expect(old.find((f) => f.check === 'known-vulnerable-version')).toMatchObject({ confidence: 'medium', port: 22 });
    const patched = judge([], [{ transport: 'tcp', port: 22, name: 'ssh', product: 'openssh', version: '9.2p1', banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3' }]);
    const finding = patched.find((f) => f.check === 'known-vulnerable-version');
    expect(finding?.confidence).toBe('low');
    expect(finding?.confidenceReason).toMatch(/backported/);
  });

  it('finds nothing above info on a current SSH server', () => {
    const findings = judge([observation({ 'ssh.banner': 'SSH-2.0-OpenSSH_10.2', 'ssh.software': 'OpenSSH_10.2' }, 22)], [
      { transport: 'tcp', port: 22, name: 'ssh', product: 'openssh', version: '10.2', banner: 'SSH-2.0-OpenSSH_10.2' },
    ]);
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('reports personal names, MACs and model+firmware in mDNS TXT records', () => {
    const findings = judge([observation({ 'mdns.service': '_googlecast._tcp', 'mdns.instance': 'BRAVIA-4K-GB-8e1c', 'mdns.txt.fn': "Anna's TV", 'mdns.txt.md': 'BRAVIA 4K GB' }, 8009)]);
    const leak = findings.find((f) => f.check === 'mdns-txt-leak');
    expect(leak).toMatchObject({ severity: 'low', port: 5353, transport: 'udp' });
    expect(Object.keys(leak?.evidence.facts ?? {})).toContain("a person's name");
    expect(judge([observation({ 'mdns.service': '_ipp._tcp', 'mdns.instance': 'Printer', 'mdns.txt.rp': 'ipp/print' }, 631)]).some((f) => f.check === 'mdns-txt-leak')).toBe(false);
  });

  it('says honestly that answering unicast mDNS on the LAN is only information', () => {
    expect(checks(judge([observation({ 'mdns.unicast-reply': 'yes' }, 5353, 'udp')]))).toContain('mdns-unicast-offlink:info:low');
  });

  it('lists UPnP port forwards, high when a camera or login service is exposed', () => {
    const findings = judge([
      observation({ 'upnp.portmap.protocol': 'TCP', 'upnp.portmap.external-port': '8554', 'upnp.portmap.internal-client': '192.168.1.20', 'upnp.portmap.internal-port': '554', 'upnp.portmap.description': 'cam' }, 49652),
    ]);
    const forward = findings.find((f) => f.check === 'upnp-portmaps-present');
    expect(forward?.severity).toBe('high');
    expect(Object.values(forward?.evidence.facts ?? {})).toContain('TCP 8554 -> 192.168.1.20:554 (cam)');
  });

  it('reports an SSDP amplifier only when the reply is larger than the request', () => {
    expect(checks(judge([observation({ 'ssdp.unicast-reply-bytes': '1500', 'ssdp.unicast-request-bytes': '100' }, 1900, 'udp')]))).toContain('ssdp-unicast-reply:low:high');
    expect(judge([observation({ 'ssdp.unicast-reply-bytes': '80', 'ssdp.unicast-request-bytes': '100' }, 1900, 'udp')]).some((f) => f.check === 'ssdp-unicast-reply')).toBe(false);
  });

  it('says when a device could not be identified', () => {
    expect(checks(judge([]))).toContain('device-unidentified:info:high');
  });
});

describe('transport and exposure checks', () => {
  const identified = (type: string, observations: Observation[], services: Service[]) =>
    judgeHost({ address: '192.168.1.9', observations, services, identity: { vendor: 'X', type, signals: [] }, judgedAt: '2026-11-21T12:00:00Z' }, pack);

  it('reports deprecated SSH algorithms from the KEXINIT lists, and nothing for a modern server', () => {
    const old = checks(judge([observation({ 'ssh.kex': 'diffie-hellman-group1-sha1,curve25519-sha256', 'ssh.ciphers': 'aes128-cbc,aes128-ctr', 'ssh.macs': 'hmac-md5,hmac-sha2-256' }, 22)]));
    expect(old).toContain('ssh-weak-algorithms:low:high');
    const modern = checks(judge([observation({ 'ssh.kex': 'sntrup761x25519-sha512,curve25519-sha256', 'ssh.ciphers': 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com', 'ssh.macs': 'hmac-sha2-256-etm@openssh.com' }, 22)]));
    expect(modern.some((c) => c.startsWith('ssh-weak-algorithms'))).toBe(false);
  });

  it('rates TLS 1.0 with a 1024-bit key medium, a SHA-1 signature alone low, and a modern setup nothing', () => {
    const base = { 'tls.version': 'TLSv1.3', 'tls.cert.key-type': 'rsa', 'tls.cert.key-bits': '2048', 'tls.cert.signature-algorithm': 'sha256WithRSAEncryption', 'tls.legacy-versions': 'none' };
    expect(checks(judge([observation({ ...base, 'tls.legacy-versions': 'TLSv1', 'tls.cert.key-bits': '1024' }, 443)]))).toContain('weak-tls:medium:high');
    expect(checks(judge([observation({ ...base, 'tls.cert.signature-algorithm': 'sha1WithRSAEncryption' }, 443)]))).toContain('weak-tls:low:high');
    expect(checks(judge([observation(base, 443)])).some((c) => c.startsWith('weak-tls'))).toBe(false);
  });

  it('notes a self-signed or expired certificate as info, relative to when it is judged', () => {
    const cert = { 'tls.cert.sha256': 'ab', 'tls.cert.self-signed': 'no', 'tls.cert.not-after': '2030-01-01T00:00:00Z' };
    expect(checks(judge([observation({ ...cert, 'tls.cert.self-signed': 'yes' }, 443)]))).toContain('self-signed-or-expired-cert:info:high');
    expect(checks(judge([observation({ ...cert, 'tls.cert.not-after': '2024-01-01T00:00:00Z' }, 443)]))).toContain('self-signed-or-expired-cert:info:high');
    expect(checks(judge([observation(cert, 443)])).some((c) => c.startsWith('self-signed'))).toBe(false);
  });

  it('reports ADB open without auth as critical and with key auth as high', () => {
    expect(checks(judge([observation({ 'adb.reply': 'cnxn', 'adb.banner': 'device::ro.product.model=SHIELD Android TV' }, 5555)]))).toContain('adb-over-network:critical:high');
    expect(checks(judge([observation({ 'adb.reply': 'auth' }, 5555)]))).toContain('adb-over-network:high:high');
  });

  it('reports TFTP answering and an open rlogin port', () => {
    expect(checks(judge([observation({ 'tftp.reply': 'error', 'tftp.error': 'File not found' }, 69, 'udp')]))).toContain('tftp-or-legacy-cleartext:medium:high');
    expect(checks(judge([], [{ transport: 'tcp', port: 513, name: 'rlogin' }]))).toContain('tftp-or-legacy-cleartext:medium:medium');
  });

  it('asks about services a device of its kind does not need: SSH on a plug is medium, an unknown port info', () => {
    const plug = (ports: number[]) => checks(identified('plug', [], ports.map((port) => ({ transport: 'tcp' as const, port, name: port === 22 ? 'ssh' : 'unknown' }))));
    expect(plug([80, 22])).toContain('unexpected-open-services:medium:medium');
    expect(plug([80, 4321])).toContain('unexpected-open-services:info:medium');
    expect(plug([80, 49153]).some((c) => c.startsWith('unexpected'))).toBe(false);
    // No profile for a NAS: anything may be expected there.
    expect(checks(identified('nas', [], [{ transport: 'tcp', port: 22, name: 'ssh' }])).some((c) => c.startsWith('unexpected'))).toBe(false);
  });

  it('names the same SSH host key on two devices for both of them, and a unique key for neither', () => {
    const key = (address: string, value: string) => ({ address, observations: [{ ...observation({ 'ssh.hostkey.sha256': value }, 22), address }] });
    const shared = judgeSharedKeys([key('192.168.1.70', 'SHA256:same'), key('192.168.1.101', 'SHA256:same'), key('192.168.1.80', 'SHA256:own')], pack);
    expect(shared.map((s) => `${s.address}:${s.finding.check}:${s.finding.severity}`).sort()).toEqual([
      '192.168.1.101:shared-tls-or-ssh-key:high',
      '192.168.1.70:shared-tls-or-ssh-key:high',
    ]);
    expect(shared[0]?.finding.practices.en303645).toContain('5.4-3');
  });
});

describe('pages a fingerprint names', () => {
  it('a status page showing the Wi-Fi name is medium; one showing the Wi-Fi password is high', () => {
    const ssid = judge([observation({ 'http.info-path': '/status', 'http.info-leaks': 'wifi-ssid,mac' }, 80)]).find((f) => f.check === 'unauth-info-endpoint');
    expect(ssid).toMatchObject({ severity: 'medium', confidence: 'high', port: 80 });
    expect(ssid?.summary).toContain('your Wi-Fi network name and its hardware (MAC) address');
    const psk = judge([observation({ 'http.info-path': '/cgi/wifi', 'http.info-leaks': 'wifi-ssid,wifi-password' }, 80)]).find((f) => f.check === 'unauth-info-endpoint');
    expect(psk?.severity).toBe('high');
  });

  it('camera pictures over HTTP are high; sure when handed out, medium confidence behind a login', () => {
    const open = judge([observation({ 'http.media-path': '/snap.jpg', 'http.media-kind': 'snapshot', 'http.media-auth': 'none' }, 80)]);
    expect(checks(open)).toContain('cleartext-personal-media:high:high');
    const guarded = judge([observation({ 'http.media-path': '/video.cgi', 'http.media-kind': 'mjpeg', 'http.media-auth': 'required' }, 80)]);
    expect(checks(guarded)).toContain('cleartext-personal-media:high:medium');
    expect(guarded.find((f) => f.check === 'cleartext-personal-media')?.summary).toContain('live video');
  });
});

describe('the opt-in lockout test', () => {
  it('no delay or lockout after the run is no-bruteforce-protection, medium; any sign of protection is nothing', () => {
    const none = judge([observation({ 'lockout.protocol': 'http', 'lockout.attempts': '10', 'lockout.result': 'none-seen', 'lockout.detail': 'flat' }, 80)]);
    expect(checks(none)).toContain('no-bruteforce-protection:medium:medium');
    for (const result of ['backed-off', 'refused', 'slowed', 'inconclusive']) {
      expect(checks(judge([observation({ 'lockout.protocol': 'ssh', 'lockout.attempts': '4', 'lockout.result': result }, 22)])).join()).not.toContain('no-bruteforce-protection');
    }
  });
});

describe('services on a global IPv6 address', () => {
  it('is medium when a login or control port answers there, info otherwise', () => {
    const admin = judge([observation({ 'ipv6.global-address': '2001:db8:77::20', 'ipv6.global-ports': '80,554' })]);
    expect(admin.find((f) => f.check === 'ipv6-global-services')).toMatchObject({ severity: 'medium', port: 80, transport: 'tcp' });
    const media = judge([observation({ 'ipv6.global-address': '2001:db8:77::91', 'ipv6.global-ports': '7000' })]);
    expect(media.find((f) => f.check === 'ipv6-global-services')?.severity).toBe('info');
    expect(media.find((f) => f.check === 'ipv6-global-services')?.summary).toContain("only your router's IPv6 firewall");
  });
});
