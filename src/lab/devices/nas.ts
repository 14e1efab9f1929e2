// A Synology DiskStation DS218j on DSM 6.2: anonymous FTP left on, the admin account still on
// Synology's factory default (admin with a blank password), SNMP with the `public` community, and
// the mDNS records DSM advertises (its model, serial and MAC in the TXT of _http._tcp). The web UI
// on 5000 is advertised but switched off, so that port is closed.
//
// admin with a blank password: the DSM default a reset restores (Synology Knowledge Center, "How
// do I reset my Synology NAS? (For DSM 6.2.4 or above)": sign in as admin, leave the password
// blank). DSM's FTP service signs in DSM accounts (DSM Help, File Services > FTP), so the same
// pair opens FTP; the lab's server takes an empty PASS for it.
// Its Windows file service is Samba, whose nmbd answers NetBIOS node-status questions on UDP 137
// (Synology's "What network ports are used by DSM services?" lists 137-139 and 445 for it): the
// names below are what nmbd 4.17 answered for this host and workgroup (tests/fixtures/netbios-ns).
import type { LabDevice } from '../device.js';
import { startFtpServer } from '../protocols/ftp.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startNetbiosNameServer } from '../protocols/netbios.js';
import { startSnmpAgent } from '../protocols/snmp.js';
import { startInOrder, startOpenPortWithoutService } from './servers.js';

const IPV4 = '192.168.77.30';
const MAC = '00:11:32:ab:cd:ef';
const HOSTNAME = 'DiskStation';

/** Shares a DSM box shows an anonymous FTP user: names only, nothing is served. */
const FTP_LISTING = [
  'drwxrwxrwx    1 root     root          4096 Mar 14  2023 homes',
  'drwxrwxrwx    1 root     root          4096 Jan  2 18:41 photo',
  'drwxrwxrwx    1 root     root          4096 Nov 30 09:12 public',
  'drwxrwxrwx    1 root     root          4096 Oct  5  2022 video',
];

export const device: LabDevice = {
  spec: {
    id: 'nas',
    ipv4: IPV4,
    mac: MAC,
    hostname: HOSTNAME,
    truth: { vendor: 'Synology', model: 'DS218j', type: 'nas', firmware: 'DSM 6.2-25426' },
    expectedFindings: [
      { check: 'ftp-anonymous', port: 21, transport: 'tcp', severity: 'high' },
      // admin with a blank password over FTP (signatures/credentials/synology-nas-ftp.yaml).
      { check: 'default-cred-accepted', port: 21, transport: 'tcp', severity: 'critical' },
      { check: 'snmp-default-community', port: 161, transport: 'udp', severity: 'medium' },
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      // sysDescr shows Linux 3.10, a kernel series long out of support.
      { check: 'eol-component', port: 161, transport: 'udp', severity: 'medium' },
      { check: 'version-banner-disclosure', port: 161, transport: 'udp', severity: 'low' },
      // A 50-byte node-status question draws a 193-byte answer.
      { check: 'udp-reflector-other', port: 137, transport: 'udp', severity: 'low' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
  },

  async start({ attempts }) {
    return startInOrder([
      () =>
        startFtpServer({
          host: IPV4,
          port: 21,
          greeting: 'DiskStation FTP server ready.',
          acceptLogin: (user, password) => user === 'anonymous' || (user === 'admin' && password === ''),
          listing: FTP_LISTING,
          onLoginAttempt: () => attempts.record('ftp'),
        }),
      () =>
        startSnmpAgent({
          host: IPV4,
          port: 161,
          communities: ['public'],
          withUptime: true,
          onLoginAttempt: () => attempts.record('snmp'),
          scalars: [
            {
              oid: '1.3.6.1.2.1.1.1.0',
              value: {
                type: 'string',
                value:
                  'Linux DiskStation 3.10.105 #25426 SMP Wed Jul 8 03:24:21 CST 2020 armv7l GNU/Linux synology_armada38x_ds218j',
              },
            },
            { oid: '1.3.6.1.2.1.1.2.0', value: { type: 'oid', value: '1.3.6.1.4.1.8072.3.2.10' } },
            { oid: '1.3.6.1.2.1.1.4.0', value: { type: 'string', value: 'admin@example.com' } },
            { oid: '1.3.6.1.2.1.1.5.0', value: { type: 'string', value: HOSTNAME } },
            { oid: '1.3.6.1.2.1.1.6.0', value: { type: 'string', value: 'Home office' } },
            // SYNOLOGY-SYSTEM-MIB: modelName and version under 1.3.6.1.4.1.6574.1.5.
            { oid: '1.3.6.1.4.1.6574.1.5.1.0', value: { type: 'string', value: 'DS218j' } },
            { oid: '1.3.6.1.4.1.6574.1.5.3.0', value: { type: 'string', value: 'DSM 6.2-25426' } },
          ],
        }),
      () => startOpenPortWithoutService(IPV4, 445),
      () =>
        startNetbiosNameServer({
          host: IPV4,
          port: 137,
          // nmbd registers its name as workstation, messenger and server, and joins the workgroup (nmbd_mynames.c).
          names: [
            { name: HOSTNAME, suffix: 0x00 },
            { name: HOSTNAME, suffix: 0x03 },
            { name: HOSTNAME, suffix: 0x20 },
            { name: 'WORKGROUP', suffix: 0x00, group: true },
            { name: 'WORKGROUP', suffix: 0x1e, group: true },
          ],
        }),
      () =>
        startMdnsResponder({
          hostname: HOSTNAME,
          ipv4: IPV4,
          services: [
            { type: '_smb._tcp', instance: HOSTNAME, port: 445, txt: {} },
            { type: '_device-info._tcp', instance: HOSTNAME, port: 0, txt: { model: 'Xserve' } },
            {
              type: '_http._tcp',
              instance: HOSTNAME,
              port: 5000,
              txt: {
                vendor: 'Synology',
                model: 'DS218j',
                serial: '1930PDN123456',
                version_major: '6',
                version_minor: '2',
                version_build: '25426',
                mac_address: MAC,
              },
            },
          ],
        }),
    ]);
  },
};

