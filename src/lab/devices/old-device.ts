// A Ubiquiti airCam left on firmware 1.1.5 with its factory login ubnt/ubnt: Dropbear 2014.63 on
// SSH (a version with published vulnerabilities) and the admin login form served over plain HTTP
// by lighttpd. No mDNS.
//
// ubnt/ubnt: Ubiquiti's factory login on airOS devices and the airCam (games647/Default-Router-
// Passwords, Ubiquiti.md; Cameradar's camera credential dictionary). The web form and SSH check the
// same system account: airOS's login.cgi calls PasswdAuth on the posted pair (package/ubnt-web/src/
// login.cgi of Ubiquiti's GPL SDK, e.g. github.com/zioproto/SDK.UBNT.v5.5), so the pair opens both.
// That login.cgi answers a right pair with a redirect (Location: the page asked for, else
// /index.cgi) and binds the session named by the AIROS_SESSIONID cookie, and a wrong pair with the
// login page again and "Invalid credentials."; the web server hands out that cookie to a visitor
// who has none (uvcclient, github.com/uilibs/uvcclient, uvcclient/camera.py: GET / returns
// Set-Cookie before the POST to /login.cgi). The lab serves nothing behind the login.
//
// Its Dropbear offers what Dropbear of 2014 offered by default, the deprecated algorithms included
// (common-algo.c of that era: sshkex with diffie-hellman-group1-sha1 and -group14-sha1, sshciphers
// with aes128-cbc and 3des-cbc, sshhashes with hmac-sha1-96 and hmac-md5; github.com/mkj/dropbear),
// as far as ssh2 implements them (not 3des-ctr, twofish or kexguess2). Its host key comes with the
// firmware image, so the baby monitor (.101) carries the same one.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { LabDevice } from '../device.js';
import type { LabAccount } from '../protocols/http.js';
import { startSshServer } from '../protocols/ssh.js';
import { labPem } from '../protocols/tls.js';
import { startInOrder } from './servers.js';
import { listen, type RunningServer } from '../listen.js';

const IPV4 = '192.168.77.70';
const MAX_LOGIN_BODY_BYTES = 4096;
const FACTORY_LOGIN: LabAccount = { username: 'ubnt', password: 'ubnt' };
const SESSION_COOKIE = 'AIROS_SESSIONID';
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
      // ubnt/ubnt through the login form (signatures/credentials/ubiquiti-aircam-http.yaml) and
      // over SSH (ubiquiti-ssh.yaml).
      { check: 'default-cred-accepted', port: 80, transport: 'tcp', severity: 'critical' },
      { check: 'default-cred-accepted', port: 22, transport: 'tcp', severity: 'critical' },
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
          accept: [FACTORY_LOGIN],
          onLoginAttempt: () => attempts.record('ssh'),
        }),
      () => startLoginPage(IPV4, 80, () => attempts.record('http')),
    ]);
  },
};

/** The posted pair, or undefined when the body is no urlencoded form with both fields. */
function postedPair(body: string): LabAccount | undefined {
  const form = new URLSearchParams(body);
  const username = form.get('username');
  const password = form.get('password');
  return username === null || password === null ? undefined : { username, password };
}

/** The admin login over plain HTTP: the factory pair is let in, every other POST is a failed login. */
export async function startLoginPage(host: string, port: number, onLoginAttempt: () => void): Promise<RunningServer> {
  const server = http.createServer((request, response) => {
    response.setHeader('Server', 'lighttpd/1.4.31');
    const cookieNames = (request.headers.cookie ?? '').split(';').map((cookie) => cookie.split('=')[0]?.trim());
    if (!cookieNames.includes(SESSION_COOKIE)) {
      response.setHeader('Set-Cookie', `${SESSION_COOKIE}=${randomBytes(16).toString('hex')}; Path=/`);
    }
    const path = (request.url ?? '/').split('?')[0];
    const isLoginPath = path === '/' || path === '/login.cgi';
    if (!isLoginPath) {
      response.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>404 - Not Found</body></html>');
    } else if (request.method === 'GET' || request.method === 'HEAD') {
      const page = loginPage('');
      response.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page) });
      response.end(request.method === 'HEAD' ? undefined : page);
    } else if (request.method === 'POST' && path === '/login.cgi') {
      let body = '';
      request.setEncoding('latin1');
      request.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > MAX_LOGIN_BODY_BYTES && !response.headersSent) response.writeHead(413).end(() => request.destroy());
      });
      request.on('end', () => {
        if (response.headersSent) return;
        onLoginAttempt();
        const pair = postedPair(body);
        if (pair?.username === FACTORY_LOGIN.username && pair.password === FACTORY_LOGIN.password) {
          response.writeHead(302, { Location: '/index.cgi', 'Content-Length': 0 }).end();
          return;
        }
        response.writeHead(200, { 'Content-Type': 'text/html' }).end(loginPage('Invalid credentials.'));
      });
    } else {
      response.writeHead(405, { Allow: 'GET, HEAD, POST' }).end();
    }
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxConnections = 32;
  const bound = await listen(server, port, host);
  return {
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
