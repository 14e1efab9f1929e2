// A TP-Link TL-WR841N, the household's old router turned second Wi-Fi access point (DHCP off, a
// fixed address on the home LAN), still on its factory login admin/admin: its whole web interface
// sits behind HTTP Basic over plain HTTP, so the default pair both opens the settings and crosses
// the LAN readable by anyone on it.
//
// What is real:
// - admin/admin: the OLPC School Server notes on the TL-WR841N used as an access point ("Type in
//   username admin and password admin", then disable DHCP and give the AP a LAN address:
//   https://schoolserver.wordpress.com/hardware/access-points-tplink-841n-a-good-price-performer/).
// - The Basic realm: TP-Link's router firmware of that generation names the device in it,
//   "TP-LINK <description> Router <model>" (Greenbone's TP-Link router detection lists
//   "TP-Link Wireless N Router WR940N" and "TP-LINK Wireless Lite N Router WR740N/WR741ND";
//   Zero Science Lab advisory ZSL-2013-5135 quotes "TP-LINK Wireless Lite N Router WR740N").
//   TP-Link's user guide calls the TL-WR841N a "300Mbps Wireless N Router", the WR940N's kind.
// - The Server header "Router Webserver": the httpd of that firmware (ZSL-2013-5135, TL-WR740N
//   firmware 3.16.4 Build 130205, "Tested on: Router Webserver").
// The page behind the login is the lab's own stand-in, not the firmware's. Only the web interface
// is modelled: no other LAN service of this firmware is cited here, so none is invented.
import type { IncomingMessage } from 'node:http';
import type { LabDevice } from '../device.js';
import { basicAccepts, startHttpServer, type HttpPage, type LabAccount } from '../protocols/http.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.99';
/** 14:CC:20 is registered to TP-LINK TECHNOLOGIES CO.,LTD. (IEEE MA-L, https://standards-oui.ieee.org/oui/oui.txt). */
const MAC = '14:cc:20:5a:84:1e';
const MODEL = 'TL-WR841N';
const REALM = 'TP-LINK Wireless N Router WR841N';
const ADMIN: LabAccount = { username: 'admin', password: 'admin' };

const UNAUTHORIZED: HttpPage = {
  status: 401,
  contentType: 'text/html',
  headers: { 'WWW-Authenticate': `Basic realm="${REALM}"` },
  body: '<html><body><h1>401 Unauthorized</h1></body></html>\n',
};

const STATUS_PAGE: HttpPage = {
  contentType: 'text/html',
  body: `<html><head><title>${MODEL}</title></head><body><h1>${MODEL}</h1><p>Status</p></body></html>\n`,
};

/** Every path asks for the login first; behind it, the status page on / and 404 elsewhere. */
function behindLogin(request: IncomingMessage, page: HttpPage | undefined, recordAttempt: () => void): HttpPage {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) recordAttempt();
  if (!basicAccepts(authorization, [ADMIN])) return UNAUTHORIZED;
  return page ?? { status: 404, contentType: 'text/html', body: '<html><body><h1>404 Not Found</h1></body></html>\n' };
}

export const device: LabDevice = {
  spec: {
    id: 'tp-link-ap',
    ipv4: IPV4,
    mac: MAC,
    // Not announced: the AP sits on a fixed address and advertises no name.
    hostname: MODEL,
    truth: { vendor: 'TP-Link', model: MODEL, type: 'router' },
    expectedFindings: [
      // admin/admin over Basic (signatures/credentials/tp-link-router-http.yaml).
      { check: 'default-cred-accepted', port: 80, transport: 'tcp', severity: 'critical' },
      { check: 'cleartext-admin-login', port: 80, transport: 'tcp', severity: 'medium' },
    ],
    mustNotReport: ['no-auth-admin', 'weak-guessable-cred', 'password-derived-from-id', 'telnet-open'],
  },

  async start({ attempts }) {
    const record = (): void => attempts.record('http');
    return startInOrder([
      () =>
        startHttpServer({
          host: IPV4,
          port: 80,
          server: 'Router Webserver',
          pages: { '/': (request) => behindLogin(request, STATUS_PAGE, record) },
          notFound: (request) => behindLogin(request, undefined, record),
        }),
    ]);
  },
};
