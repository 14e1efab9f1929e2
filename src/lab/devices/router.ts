// A Huawei HG8245H home gateway as ISPs shipped it: UPnP IGD control open to the whole LAN with two
// port mappings that put the camera on the Internet, telnet with the factory login, and a web
// login page over plain HTTP and over an HTTPS that still accepts TLS 1.0 with a self-signed
// 1024-bit RSA certificate. The lab never changes state: mappings cannot be added or removed.
// Its UPnP stack, libupnp 1.6.19, accepts any event CALLBACK (CallStranger): pupnp checks delivery
// URLs only since the fix of June 2020 (https://github.com/pupnp/pupnp/issues/180, "Yes, it is
// vulnerable"; fix in https://github.com/pupnp/pupnp/pull/181), long after 1.6.19.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LabDevice, RunningDevice } from '../device.js';
import { startSsdpResponder, upnpEventHandler } from '../protocols/ssdp.js';
import { startTelnetServer } from '../protocols/telnet.js';
import { labPem, startHttpsServer } from '../protocols/tls.js';
import { listen } from '../listen.js';

const IPV4 = '192.168.77.1';
const UPNP_PORT = 49652;
const UPNP_SERVER = 'Linux/2.6.36, UPnP/1.0, Portable SDK for UPnP devices/1.6.19';
const ROOT_UDN = 'uuid:2fac1234-31f8-11b4-a222-4846fb123456';
const WAN_DEVICE_UDN = 'uuid:2fac1234-31f8-11b4-a222-4846fb123457';
const WAN_CONNECTION_DEVICE_UDN = 'uuid:2fac1234-31f8-11b4-a222-4846fb123458';
const WAN_IP_CONNECTION = 'urn:schemas-upnp-org:service:WANIPConnection:1';
const CONTROL_PATH = '/upnp/control/WANIPConn1';
const EVENT_PATHS = ['/upnp/event/L3F', '/upnp/event/WANIPConn1'];
const MAX_BODY_BYTES = 16 * 1024;
const IDLE_TIMEOUT_MS = 30_000;

const DESCRIPTION_XML = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>HG8245H</friendlyName>
<manufacturer>Huawei Technologies Co., Ltd.</manufacturer>
<manufacturerURL>http://www.huawei.com</manufacturerURL>
<modelDescription>EchoLife Home Gateway</modelDescription>
<modelName>HG8245H</modelName>
<modelNumber>V3R017C10S100</modelNumber>
<modelURL>http://www.huawei.com</modelURL>
<serialNumber>48575443A1B2C3D4</serialNumber>
<UDN>${ROOT_UDN}</UDN>
<serviceList>
<service>
<serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>
<serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId>
<SCPDURL>/L3F.xml</SCPDURL>
<controlURL>/upnp/control/L3F</controlURL>
<eventSubURL>${EVENT_PATHS[0]}</eventSubURL>
</service>
</serviceList>
<deviceList>
<device>
<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<friendlyName>WANDevice</friendlyName>
<manufacturer>Huawei Technologies Co., Ltd.</manufacturer>
<modelName>HG8245H</modelName>
<UDN>${WAN_DEVICE_UDN}</UDN>
<deviceList>
<device>
<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<friendlyName>WANConnectionDevice</friendlyName>
<manufacturer>Huawei Technologies Co., Ltd.</manufacturer>
<modelName>HG8245H</modelName>
<UDN>${WAN_CONNECTION_DEVICE_UDN}</UDN>
<serviceList>
<service>
<serviceType>${WAN_IP_CONNECTION}</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<SCPDURL>/WANIPCn.xml</SCPDURL>
<controlURL>${CONTROL_PATH}</controlURL>
<eventSubURL>${EVENT_PATHS[1]}</eventSubURL>
</service>
</serviceList>
</device>
</deviceList>
</device>
</deviceList>
<presentationURL>http://192.168.77.1/</presentationURL>
</device>
</root>
`;

function scpdArgument(name: string, direction: 'in' | 'out', variable: string): string {
  return `<argument><name>${name}</name><direction>${direction}</direction><relatedStateVariable>${variable}</relatedStateVariable></argument>`;
}

function scpdAction(name: string, argumentsXml: string[]): string {
  return `<action><name>${name}</name><argumentList>${argumentsXml.join('')}</argumentList></action>`;
}

const MAPPING_ARGUMENTS: [string, string][] = [
  ['NewRemoteHost', 'RemoteHost'],
  ['NewExternalPort', 'ExternalPort'],
  ['NewProtocol', 'PortMappingProtocol'],
  ['NewInternalPort', 'InternalPort'],
  ['NewInternalClient', 'InternalClient'],
  ['NewEnabled', 'PortMappingEnabled'],
  ['NewPortMappingDescription', 'PortMappingDescription'],
  ['NewLeaseDuration', 'PortMappingLeaseDuration'],
];

const STATE_VARIABLES: [string, string][] = [
  ['ExternalIPAddress', 'string'],
  ['PortMappingNumberOfEntries', 'ui2'],
  ['RemoteHost', 'string'],
  ['ExternalPort', 'ui2'],
  ['PortMappingProtocol', 'string'],
  ['InternalPort', 'ui2'],
  ['InternalClient', 'string'],
  ['PortMappingEnabled', 'boolean'],
  ['PortMappingDescription', 'string'],
  ['PortMappingLeaseDuration', 'ui4'],
];

const WAN_IP_CONNECTION_SCPD = `<?xml version="1.0"?>
<scpd xmlns="urn:schemas-upnp-org:service-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<actionList>
${scpdAction('GetExternalIPAddress', [scpdArgument('NewExternalIPAddress', 'out', 'ExternalIPAddress')])}
${scpdAction('GetGenericPortMappingEntry', [
  scpdArgument('NewPortMappingIndex', 'in', 'PortMappingNumberOfEntries'),
  ...MAPPING_ARGUMENTS.map(([name, variable]) => scpdArgument(name, 'out', variable)),
])}
${scpdAction('GetSpecificPortMappingEntry', [
  scpdArgument('NewRemoteHost', 'in', 'RemoteHost'),
  scpdArgument('NewExternalPort', 'in', 'ExternalPort'),
  scpdArgument('NewProtocol', 'in', 'PortMappingProtocol'),
  ...MAPPING_ARGUMENTS.slice(3).map(([name, variable]) => scpdArgument(name, 'out', variable)),
])}
${scpdAction(
  'AddPortMapping',
  MAPPING_ARGUMENTS.map(([name, variable]) => scpdArgument(name, 'in', variable)),
)}
${scpdAction('DeletePortMapping', MAPPING_ARGUMENTS.slice(0, 3).map(([name, variable]) => scpdArgument(name, 'in', variable)))}
</actionList>
<serviceStateTable>
${STATE_VARIABLES.map(
  ([name, type]) => `<stateVariable sendEvents="no"><name>${name}</name><dataType>${type}</dataType></stateVariable>`,
).join('\n')}
</serviceStateTable>
</scpd>
`;

const LAYER3_FORWARDING_SCPD = `<?xml version="1.0"?>
<scpd xmlns="urn:schemas-upnp-org:service-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<actionList>
${scpdAction('GetDefaultConnectionService', [
  scpdArgument('NewDefaultConnectionService', 'out', 'DefaultConnectionService'),
])}
</actionList>
<serviceStateTable>
<stateVariable sendEvents="yes"><name>DefaultConnectionService</name><dataType>string</dataType></stateVariable>
</serviceStateTable>
</scpd>
`;

interface PortMapping {
  externalPort: number;
  protocol: 'TCP' | 'UDP';
  internalPort: number;
  internalClient: string;
  description: string;
}

/** The mappings a UPnP-happy camera app left behind: the camera's RTSP and web UI, open to the WAN. */
const PORT_MAPPINGS: PortMapping[] = [
  { externalPort: 8554, protocol: 'TCP', internalPort: 554, internalClient: '192.168.77.20', description: 'AXIS RTSP' },
  { externalPort: 8080, protocol: 'TCP', internalPort: 80, internalClient: '192.168.77.20', description: 'camera web' },
];

/** The external address the gateway reports: a documentation address (RFC 5737), text only. */
const EXTERNAL_IP = '203.0.113.7';

function soapEnvelope(body: string): string {
  return (
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    body +
    '</s:Body></s:Envelope>\r\n'
  );
}

function soapAnswer(action: string, values: [string, string | number][]): string {
  const fields = values.map(([name, value]) => `<${name}>${value}</${name}>`).join('');
  return soapEnvelope(`<u:${action}Response xmlns:u="${WAN_IP_CONNECTION}">${fields}</u:${action}Response>`);
}

function soapFault(code: number, description: string): string {
  return soapEnvelope(
    '<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>' +
      `<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode>` +
      `<errorDescription>${description}</errorDescription></UPnPError></detail></s:Fault>`,
  );
}

function mappingValues(mapping: PortMapping): [string, string | number][] {
  return [
    ['NewInternalPort', mapping.internalPort],
    ['NewInternalClient', mapping.internalClient],
    ['NewEnabled', 1],
    ['NewPortMappingDescription', mapping.description],
    ['NewLeaseDuration', 0],
  ];
}

/** The value of one simple argument element; the body is never parsed as full XML. */
function argument(body: string, name: string): string | undefined {
  const match = new RegExp(`<(?:[A-Za-z0-9_]+:)?${name}(?:\\s[^>]*)?>([^<]{0,64})</`).exec(body);
  return match?.[1]?.trim();
}

/** Answers one SOAP action: [HTTP status, SOAP body]. */
function controlAction(soapAction: string, body: string): [number, string] {
  const action = /#([A-Za-z]+)"?\s*$/.exec(soapAction)?.[1] ?? '';
  switch (action) {
    case 'GetExternalIPAddress':
      return [200, soapAnswer(action, [['NewExternalIPAddress', EXTERNAL_IP]])];
    case 'GetGenericPortMappingEntry': {
      const index = Number.parseInt(argument(body, 'NewPortMappingIndex') ?? '', 10);
      const mapping = Number.isInteger(index) && index >= 0 ? PORT_MAPPINGS[index] : undefined;
      if (!mapping) return [500, soapFault(713, 'SpecifiedArrayIndexInvalid')];
      return [
        200,
        soapAnswer(action, [
          ['NewRemoteHost', ''],
          ['NewExternalPort', mapping.externalPort],
          ['NewProtocol', mapping.protocol],
          ...mappingValues(mapping),
        ]),
      ];
    }
    case 'GetSpecificPortMappingEntry': {
      const port = Number.parseInt(argument(body, 'NewExternalPort') ?? '', 10);
      const protocol = argument(body, 'NewProtocol')?.toUpperCase();
      const mapping = PORT_MAPPINGS.find((entry) => entry.externalPort === port && entry.protocol === protocol);
      if (!mapping) return [500, soapFault(714, 'NoSuchEntryInArray')];
      return [200, soapAnswer(action, mappingValues(mapping))];
    }
    case 'AddPortMapping':
    case 'DeletePortMapping':
      return [500, soapFault(606, 'Action not authorized')];
    default:
      return [500, soapFault(401, 'Invalid Action')];
  }
}

/** Reads a request body up to the cap; undefined (and the connection closed) when it is larger. */
function readBody(request: IncomingMessage, response: ServerResponse): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.writeHead(413, { Connection: 'close' }).end();
        request.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(undefined));
  });
}

const upnpEvents = upnpEventHandler({ ipv4: IPV4, callbacks: 'any', paths: EVENT_PATHS });

async function handleUpnp(request: IncomingMessage, response: ServerResponse): Promise<void> {
  response.setHeader('Server', UPNP_SERVER);
  if (upnpEvents(request, response)) return;
  const path = (request.url ?? '/').split('?')[0];
  const xmlType = 'text/xml; charset="utf-8"';
  if (request.method === 'GET' && path === '/description.xml') {
    response.writeHead(200, { 'Content-Type': xmlType }).end(DESCRIPTION_XML);
    return;
  }
  if (request.method === 'GET' && path === '/WANIPCn.xml') {
    response.writeHead(200, { 'Content-Type': xmlType }).end(WAN_IP_CONNECTION_SCPD);
    return;
  }
  if (request.method === 'GET' && path === '/L3F.xml') {
    response.writeHead(200, { 'Content-Type': xmlType }).end(LAYER3_FORWARDING_SCPD);
    return;
  }
  if (request.method === 'POST' && path === CONTROL_PATH) {
    const body = await readBody(request, response);
    if (body === undefined) return;
    const [status, answer] = controlAction(String(request.headers.soapaction ?? ''), body);
    response.writeHead(status, { 'Content-Type': xmlType, EXT: '' }).end(answer);
    return;
  }
  response.writeHead(404).end();
}

const LOGIN_PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>HG8245H</title></head>
<body><div id="login"><h2>HG8245H</h2>
<form method="post" action="/login.cgi">
<label>Account <input type="text" name="UserName" maxlength="31"></label><br>
<label>Password <input type="password" name="PassWord" maxlength="127"></label><br>
<input type="submit" value="Log In">
</form></div></body></html>
`;

const LOGIN_FAILED_PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>HG8245H</title></head>
<body><p>The account or password is incorrect; login failed.</p><a href="/">Back</a></body></html>
`;

async function handleWeb(request: IncomingMessage, response: ServerResponse, onLoginAttempt: () => void): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && (path === '/' || path === '/index.asp')) {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
    return;
  }
  if (request.method === 'POST' && path === '/login.cgi') {
    const body = await readBody(request, response);
    if (body === undefined) return;
    onLoginAttempt();
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(LOGIN_FAILED_PAGE);
    return;
  }
  response.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>404 Not Found</body></html>\n');
}

async function listenHttp(
  port: number,
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<Server> {
  const server = createServer((request, response) => {
    handler(request, response).catch(() => response.destroy());
  });
  server.headersTimeout = IDLE_TIMEOUT_MS;
  server.requestTimeout = IDLE_TIMEOUT_MS;
  await listen(server, port, IPV4);
  return server;
}

function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export const device: LabDevice = {
  spec: {
    id: 'router',
    ipv4: IPV4,
    mac: '48:46:fb:12:34:56',
    hostname: 'HG8245H',
    truth: { vendor: 'Huawei', model: 'HG8245H', type: 'router', firmware: 'V3R017C10S100' },
    expectedFindings: [
      { check: 'upnp-igd-unauth-portmap', port: UPNP_PORT, transport: 'tcp', severity: 'medium' },
      { check: 'upnp-portmaps-present', port: UPNP_PORT, transport: 'tcp', severity: 'high' },
      { check: 'telnet-open', port: 23, transport: 'tcp', severity: 'high' },
      { check: 'default-cred-accepted', port: 23, transport: 'tcp', severity: 'critical' },
      { check: 'cleartext-admin-login', port: 80, transport: 'tcp', severity: 'medium' },
      // TLS 1.0 accepted and a 1024-bit RSA key. The certificate is also self-signed
      // (self-signed-or-expired-cert, info, so not listed here).
      { check: 'weak-tls', port: 443, transport: 'tcp', severity: 'medium' },
      { check: 'ssdp-unicast-reply', port: 1900, transport: 'udp', severity: 'low' },
      // The description XML carries the serial number.
      { check: 'upnp-description-leak', port: UPNP_PORT, transport: 'tcp', severity: 'low' },
      // The SSDP/HTTP server string names libupnp 1.6.19: CVE-2016-6255 and CVE-2016-8863 (fixed in
      // 1.6.21, the latter critical) and CVE-2020-13848, per signatures/versions/libupnp.yaml.
      { check: 'known-vulnerable-version', port: UPNP_PORT, transport: 'tcp', severity: 'critical' },
      { check: 'version-banner-disclosure', port: UPNP_PORT, transport: 'tcp', severity: 'low' },
      // libupnp 1.6.19 predates the CallStranger fix: SUBSCRIBE with a loopback CALLBACK is accepted.
      { check: 'upnp-subscribe-callback', port: UPNP_PORT, transport: 'tcp', severity: 'medium' },
      // Info: a home router's own certificate is self-signed, common and expected.
      { check: 'self-signed-or-expired-cert', port: 443, transport: 'tcp', severity: 'info' },
    ],
    // The web login form asks for a password the ISP set per unit: the common guesses
    // (signatures/credentials/generic-http-form.yaml) are refused, so port 80 has no credential finding.
    mustNotReport: ['weak-guessable-cred'],
  },

  async start({ attempts }): Promise<RunningDevice> {
    const upnp = await listenHttp(UPNP_PORT, handleUpnp);
    const web = await listenHttp(80, (request, response) => handleWeb(request, response, () => attempts.record('http-form')));
    // The same login page over HTTPS; its attempts are counted apart, as a separate service.
    const secureWeb = await startHttpsServer({
      host: IPV4,
      port: 443,
      key: labPem('router.key.pem'),
      cert: labPem('router.cert.pem'),
      minVersion: 'TLSv1',
      // Security level 0 lets OpenSSL 3 use TLS 1.0 and the 1024-bit key at all.
      ciphers: 'DEFAULT@SECLEVEL=0',
      handler: (request, response) => {
        handleWeb(request, response, () => attempts.record('https-form')).catch(() => response.destroy());
      },
    });
    const telnet = await startTelnetServer({
      ipv4: IPV4,
      port: 23,
      banner: '\r\nWelcome Visiting Huawei Home Gateway\r\nCopyright by Huawei Technologies Co., Ltd.\r\n\r\n',
      loginPrompt: 'Login:',
      passwordPrompt: 'Password:',
      // root/admin: the HG8245H telnet default as given in the lab brief.
      accept: [{ username: 'root', password: 'admin' }],
      shellPrompt: 'WAP>',
      failMessage: 'Username or password is wrong.',
      maxFailuresPerConnection: 3,
      onAttempt: () => attempts.record('telnet'),
    });
    const ssdp = await startSsdpResponder({
      ipv4: IPV4,
      server: UPNP_SERVER,
      location: `http://${IPV4}:${UPNP_PORT}/description.xml`,
      usnBase: ROOT_UDN,
      searchTargets: [
        'upnp:rootdevice',
        'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
        'urn:schemas-upnp-org:device:WANDevice:1',
        'urn:schemas-upnp-org:device:WANConnectionDevice:1',
        WAN_IP_CONNECTION,
      ],
    });
    return {
      stop: async () => {
        await Promise.all([closeHttp(upnp), closeHttp(web), secureWeb.stop(), telnet.stop(), ssdp.stop()]);
      },
    };
  },
};
