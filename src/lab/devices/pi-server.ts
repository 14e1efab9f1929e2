// A Raspberry Pi 4 on Raspberry Pi OS (Debian 12) run as a small home server by someone who kept the
// habits of the old images: SSH still lets `pi` in with `raspberry`, and the Mosquitto-style broker
// asks for a login but takes admin/admin. Its HTTPS, by contrast, is done right: a 2048-bit RSA
// certificate from the household's own CA (not self-signed) and TLS 1.2 or newer only.
//
// - pi/raspberry: the Raspberry Pi OS default user until the April 2022 release (Raspberry Pi news,
//   "An update to Raspberry Pi OS Bullseye", 7 April 2022).
// - `OpenSSH_9.2p1 Debian-2+deb12u3`: Debian 12's openssh 1:9.2p1-2+deb12u3, the package that
//   carries Debian's fix for CVE-2024-6387 (DSA-5724-1) without changing the upstream version, so
//   a version match on 9.2p1 may only be reported with low confidence.
// - The SSH algorithm lists are OpenSSH 9.2's defaults (sshd_config(5) KexAlgorithms, Ciphers,
//   MACs) as far as ssh2 implements them (no sntrup761x25519-sha512 key exchange, no umac MACs).
// - fail2ban guards SSH with its sshd jail at the defaults of jail.conf [DEFAULT]: maxretry = 5
//   failures within findtime, then bantime = 10m (https://github.com/fail2ban/fail2ban/blob/master/config/jail.conf).
//   The broker has no such guard.
import type { LabDevice } from '../device.js';
import { startMqttBroker } from '../protocols/mqtt.js';
import { startSshServer } from '../protocols/ssh.js';
import { labPem, startHttpsServer } from '../protocols/tls.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.102';

const NGINX_WELCOME =
  '<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n' +
  '<p>If you see this page, the nginx web server is successfully installed and working.</p>\n</body>\n</html>\n';

export const device: LabDevice = {
  spec: {
    id: 'pi-server',
    ipv4: IPV4,
    // DC:A6:32: Raspberry Pi Trading Ltd, the block of the Raspberry Pi 4's Ethernet.
    mac: 'dc:a6:32:7b:4e:12',
    hostname: 'raspberrypi',
    // As for hardened: the OUI tells a Raspberry Pi, not which model, and nothing tells the OS release.
    truth: { vendor: 'Raspberry Pi', model: 'Raspberry Pi', type: 'server' },
    expectedFindings: [
      { check: 'default-cred-accepted', port: 22, transport: 'tcp', severity: 'critical' },
      // OpenSSH 9.2p1: CVE-2024-6387 (high) and CVE-2023-48795 (medium) by version; low confidence,
      // as the Debian revision may carry the fixes.
      { check: 'known-vulnerable-version', port: 22, transport: 'tcp', severity: 'high' },
      { check: 'version-banner-disclosure', port: 22, transport: 'tcp', severity: 'low' },
      { check: 'weak-guessable-cred', port: 1883, transport: 'tcp', severity: 'critical' },
    ],
    mustNotReport: [
      'mqtt-anonymous',
      'weak-tls',
      'self-signed-or-expired-cert',
      'ssh-weak-algorithms',
      'shared-tls-or-ssh-key',
      'telnet-open',
      'cleartext-admin-login',
      // Debian 12's OpenSSH and a current broker: old, perhaps vulnerable, but still supported.
      'eol-component',
    ],
  },

  async start({ attempts }) {
    return startInOrder([
      () =>
        startSshServer({
          host: IPV4,
          port: 22,
          ident: 'OpenSSH_9.2p1 Debian-2+deb12u3',
          algorithms: {
            kex: [
              'curve25519-sha256',
              'curve25519-sha256@libssh.org',
              'ecdh-sha2-nistp256',
              'ecdh-sha2-nistp384',
              'ecdh-sha2-nistp521',
              'diffie-hellman-group-exchange-sha256',
              'diffie-hellman-group16-sha512',
              'diffie-hellman-group18-sha512',
              'diffie-hellman-group14-sha256',
            ],
            cipher: ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'],
            hmac: [
              'hmac-sha2-256-etm@openssh.com',
              'hmac-sha2-512-etm@openssh.com',
              'hmac-sha1-etm@openssh.com',
              'hmac-sha2-256',
              'hmac-sha2-512',
              'hmac-sha1',
            ],
            serverHostKey: ['ssh-ed25519'],
          },
          authMethods: ['publickey', 'password'],
          accept: [{ username: 'pi', password: 'raspberry' }],
          onLoginAttempt: () => attempts.record('ssh'),
          banAfter: { failures: 5, banMs: 10 * 60_000 },
        }),
      () =>
        startMqttBroker({ host: IPV4, port: 1883, retained: {}, login: { username: 'admin', password: 'admin' }, onLoginAttempt: () => attempts.record('mqtt') }),
      () =>
        startHttpsServer({
          host: IPV4,
          port: 443,
          key: labPem('pi-server.key.pem'),
          cert: labPem('pi-server.cert.pem'),
          minVersion: 'TLSv1.2',
          // Forward-secret AEAD suites only for TLS 1.2 (TLS 1.3 suites are all of that kind).
          ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305',
          handler: (request, response) => {
            // server_tokens off: the header names nginx without its version.
            response.setHeader('Server', 'nginx');
            if (request.method !== 'GET' && request.method !== 'HEAD') {
              response.writeHead(405, { Allow: 'GET, HEAD' }).end();
              return;
            }
            response.writeHead(200, { 'Content-Type': 'text/html' }).end(request.method === 'HEAD' ? undefined : NGINX_WELCOME);
          },
        }),
    ]);
  },
};
