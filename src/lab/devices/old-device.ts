// A Ubiquiti airCam left on firmware 1.1.5: Dropbear 2014.63 on SSH (a version with published
// vulnerabilities) and the admin login served over plain HTTP by lighttpd. No mDNS.
//
// Its Dropbear offers what Dropbear of 2014 offered by default, the deprecated algorithms included
// (common-algo.c of that era: sshkex with diffie-hellman-group1-sha1 and -group14-sha1, sshciphers
// with aes128-cbc and 3des-cbc, sshhashes with hmac-sha1-96 and hmac-md5; github.com/mkj/dropbear),
// as far as ssh2 implements them (not 3des-ctr, twofish or kexguess2). Its host key comes with the
// firmware image, so the baby monitor (.101) carries the same one.
import * as http from 'node:http';
import type { LabDevice } from '../device.js';
import { startSshServer } from '../protocols/ssh.js';
import { labPem } from '../protocols/tls.js';
import { startInOrder } from './servers.js';
import { listen } from '../listen.js';

const IPV4 = '192.168.77.70';
const MAX_LOGIN_BODY_BYTES = 4096;
/** The RSA host key baked into a firmware image: src/lab/certs, shared with the baby monitor. */
export const FIRMWARE_SSH_HOST_KEY = 'firmware-ssh-host-rsa.key.pem';

function loginPage(message: string): string {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>airCam</title></head>
<body>
<form method="post" action="/login.cgi">
${message === '' ? '' : `<p class="error">${message}</p>\n`}<label>Username <input type="text" name="username"></label>
<label>Password <input type="password" name="password"></label>
<input type="submit" value="Login">
</form>
</body>
</html>
`;
}

export const device: LabDevice = {
  spec: {
    id: 'old-device',
    ipv4: IPV4,
    mac: '04:18:d6:0a:0b:0c',
    hostname: 'AirCam',
    truth: { vendor: 'Ubiquiti', model: 'airCam', type: 'camera', firmware: '1.1.5' },
    expectedFindings: [
      // dropbear 2014.63: CVE-2016-7406 (format string, CVSS 9.8) among others.
      { check: 'known-vulnerable-version', port: 22, transport: 'tcp', severity: 'critical' },
      // lighttpd 1.4.31: CVE-2014-2323 and CVE-2014-2324, fixed in 1.4.35.
      { check: 'known-vulnerable-version', port: 80, transport: 'tcp', severity: 'high' },
      { check: 'cleartext-admin-login', port: 80, transport: 'tcp', severity: 'medium' },
      { check: 'version-banner-disclosure', port: 22, transport: 'tcp', severity: 'low' },
      { check: 'version-banner-disclosure', port: 80, transport: 'tcp', severity: 'low' },
      { check: 'ssh-weak-algorithms', port: 22, transport: 'tcp', severity: 'low' },
      // The same host key as the baby monitor (.101).
      { check: 'shared-tls-or-ssh-key', port: 22, transport: 'tcp', severity: 'high' },
      // SSH is not in the camera profile (signatures/profiles/camera.yaml).
      { check: 'unexpected-open-services', port: 22, transport: 'tcp', severity: 'medium' },
    ],
  },

  async start({ attempts }) {
    return startInOrder([
      () =>
        startSshServer({
          host: IPV4,
          port: 22,
          ident: 'dropbear_2014.63',
          hostKey: labPem(FIRMWARE_SSH_HOST_KEY),
          algorithms: {
            kex: [
              'curve25519-sha256@libssh.org',
              'ecdh-sha2-nistp521',
              'ecdh-sha2-nistp384',
              'ecdh-sha2-nistp256',
              'diffie-hellman-group1-sha1',
              'diffie-hellman-group14-sha1',
            ],
            cipher: ['aes128-ctr', 'aes256-ctr', 'aes128-cbc', '3des-cbc', 'aes256-cbc'],
            hmac: ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1-96', 'hmac-sha1', 'hmac-md5'],
            serverHostKey: ['ssh-rsa'],
          },
          authMethods: ['password'],
          onLoginAttempt: () => attempts.record('ssh'),
        }),
      () => startLoginPage(IPV4, 80, () => attempts.record('http')),
    ]);
  },
};

/** The admin login over plain HTTP: every POST is a failed login, nothing else is served. */
async function startLoginPage(host: string, port: number, onLoginAttempt: () => void): Promise<{ stop(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    response.setHeader('Server', 'lighttpd/1.4.31');
    const path = (request.url ?? '/').split('?')[0];
    const isLoginPath = path === '/' || path === '/login.cgi';
    if (!isLoginPath) {
      response.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>404 - Not Found</body></html>');
    } else if (request.method === 'GET' || request.method === 'HEAD') {
      const page = loginPage('');
      response.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page) });
      response.end(request.method === 'HEAD' ? undefined : page);
    } else if (request.method === 'POST' && path === '/login.cgi') {
      let received = 0;
      request.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_LOGIN_BODY_BYTES && !response.headersSent) response.writeHead(413).end(() => request.destroy());
      });
      request.on('end', () => {
        if (response.headersSent) return;
        onLoginAttempt();
        response.writeHead(200, { 'Content-Type': 'text/html' }).end(loginPage('Invalid credentials.'));
      });
    } else {
      response.writeHead(405, { Allow: 'GET, HEAD, POST' }).end();
    }
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxConnections = 32;
  await listen(server, port, host);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
