// An OKI C332 colour printer: AirPrint-style mDNS over IPv4 and IPv6 (_ipp._tcp with the TXT keys
// of Apple's Bonjour Printing Specification, _printer._tcp, _pdl-datastream._tcp and _http._tcp),
// IPP on 631, LPD on 515, the raw print port 9100, and web configuration on 80 behind HTTP Basic
// with OKI's factory login: user root, password the last six hex digits of the MAC (OKI network
// manual), which anyone who sees the MAC can work out (password-derived-from-id).
//
// Port 9100 prints whatever it receives, so a scanner must never connect to it: every connection
// is recorded as an attempt on `raw-9100`, which the spec declares must stay at zero.
import type { IncomingMessage } from 'node:http';
import type { LabDevice } from '../device.js';
import { LAB_INTERFACE, linkLocalAddress } from '../namespaces.js';
import { startHttpServer, type HttpPage } from '../protocols/http.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startInOrder, startOpenPortWithoutService, type Stoppable } from './servers.js';
import { serveTcp } from '../listen.js';

const IPV4 = '192.168.77.93';
// 00:80:87: Oki Electric Industry (IEEE MA-L).
const MAC = '00:80:87:5e:3a:21';
const MAC_HEX = MAC.replace(/:/g, '').toUpperCase();
const HOSTNAME = `OKI-C332-${MAC_HEX.slice(-6)}`;
const PRODUCT = 'OKI C332';
/** The factory web login (OKI C3520 MFP Network Manual p. 7). */
const ADMIN_AUTHORIZATION = `Basic ${Buffer.from(`root:${MAC_HEX.slice(-6)}`).toString('base64')}`;
const RAW_PORT = 9100;
const RAW_IDLE_MS = 5_000;
const RAW_MAX_CONNECTIONS = 8;

const STATUS_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${PRODUCT}</title></head>
<body><div id="frame"><h1>${PRODUCT}</h1>
<dl class="status"><dt>Device Status</dt><dd>Sleep</dd><dt>Toner Level</dt><dd>BK 70%</dd></dl>
<p><a href="/general/information.html">Device Information</a></p></div></body></html>
`;

const IPP_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${PRODUCT}</title></head>
<body><h1>${PRODUCT}</h1><p>IPP printer: ipp://${HOSTNAME}.local./ipp/print</p></body></html>
`;

/** TXT keys shared by the printer's print services (Bonjour Printing Specification 1.2.1). */
const PRINTER_TXT = {
  txtvers: '1',
  qtotal: '1',
  ty: PRODUCT,
  product: `(${PRODUCT})`,
  adminurl: `http://${HOSTNAME}.local./net/net/airprint.html`,
  note: '',
  usb_MFG: 'OKI DATA CORP',
  usb_MDL: 'C332',
  usb_CMD: 'PJL,PCL,PCLXL,URF',
  Color: 'F',
  Duplex: 'T',
  Copies: 'T',
  // The printer's UUID ends in its MAC.
  UUID: `e3248000-80ce-11db-8000-${MAC_HEX.toLowerCase()}`,
};

/** The web configuration: 401 with a Basic challenge until the factory login is sent. */
function adminPage(request: IncomingMessage, recordAttempt: () => void): HttpPage {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) recordAttempt();
  if (authorization === ADMIN_AUTHORIZATION) return { contentType: 'text/html; charset=utf-8', body: STATUS_PAGE };
  return {
    status: 401,
    contentType: 'text/html',
    headers: { 'WWW-Authenticate': 'Basic realm="OKI C332"' },
    body: '<html><body><h1>401 Unauthorized</h1></body></html>\n',
  };
}

/** The raw print port: every connection counts as an attempt, and what arrives is thrown away. */
function startRawPrintPort(record: () => void): Promise<Stoppable> {
  return serveTcp(
    IPV4,
    RAW_PORT,
    (socket) => {
      record();
      socket.on('error', () => {});
      socket.setTimeout(RAW_IDLE_MS, () => socket.destroy());
      // A real printer would print these bytes; the lab drops them.
      socket.resume();
    },
    RAW_MAX_CONNECTIONS,
  );
}

export const device: LabDevice = {
  spec: {
    id: 'printer',
    ipv4: IPV4,
    mac: MAC,
    hostname: HOSTNAME,
    truth: { vendor: 'OKI', model: 'OKI C332', type: 'printer' },
    expectedFindings: [
      // TXT UUID ends in the MAC.
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      { check: 'password-derived-from-id', port: 80, transport: 'tcp', severity: 'high' },
      { check: 'cleartext-admin-login', port: 80, transport: 'tcp', severity: 'medium' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
    mustNotReport: ['no-auth-admin', 'default-cred-accepted', 'weak-guessable-cred'],
    mustNotTouch: ['raw-9100'],
  },

  async start({ attempts }) {
    return startInOrder([
      () =>
        startHttpServer({
          host: IPV4,
          port: 80,
          pages: { '/': (request) => adminPage(request, () => attempts.record('http')) },
        }),
      () =>
        startHttpServer({
          host: IPV4,
          port: 631,
          pages: { '/': { contentType: 'text/html; charset=utf-8', body: IPP_PAGE } },
        }),
      () => startOpenPortWithoutService(IPV4, 515),
      () => startRawPrintPort(() => attempts.record('raw-9100')),
      () =>
        startMdnsResponder({
          hostname: HOSTNAME,
          ipv4: IPV4,
          ipv6: { address: linkLocalAddress(MAC), interface: LAB_INTERFACE },
          families: [4, 6],
          services: [
            {
              type: '_ipp._tcp',
              instance: PRODUCT,
              port: 631,
              subtypes: ['_universal', '_print'],
              txt: {
                ...PRINTER_TXT,
                rp: 'ipp/print',
                pdl: 'application/octet-stream,image/urf,image/pwg-raster',
                priority: '25',
                URF: 'W8,CP1,IS4-1,MT1-3-4-5-8,OB10,PQ4,RS300-600,V1.4,DM1',
                kind: 'document',
                PaperMax: 'legal-A4',
                TLS: '1.2',
              },
            },
            {
              type: '_printer._tcp',
              instance: PRODUCT,
              port: 515,
              txt: { ...PRINTER_TXT, rp: 'BINARY_P1', pdl: 'application/vnd.hp-PCL', priority: '75' },
            },
            {
              type: '_pdl-datastream._tcp',
              instance: PRODUCT,
              port: RAW_PORT,
              txt: { ...PRINTER_TXT, pdl: 'application/vnd.hp-PCL', priority: '50' },
            },
            { type: '_http._tcp', instance: PRODUCT, port: 80, txt: { path: '/' } },
          ],
        }),
    ]);
  },
};
