// HTTP version probe: one GET / and what the answer says (server, title, challenge, login form).
// Redirects are reported, never followed.
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { httpFields } from './codec.js';

/** Common plain-HTTP ports of home devices: web UIs (80, 81, 8000, 8080, 8081, 8888), Synology DSM
 * (5000), Chromecast (8008), UPnP description servers (49152, 49652, 52323). */
const DEFAULT_PORTS = [80, 81, 631, 5000, 7000, 8000, 8008, 8080, 8081, 8888, 49152, 49153, 49652, 52323] as const;
export const MAX_BODY_BYTES = 64 * 1024;

export const httpProbe: ServiceProbe = {
  kind: 'service',
  id: 'http',
  protocol: 'http',
  categories: ['version'],
  transport: 'tcp',
  defaultPorts: DEFAULT_PORTS,
  fields: [
    'http.status',
    'http.server',
    'http.title',
    'http.www-authenticate',
    'http.auth-scheme',
    'http.realm',
    'http.location',
    'http.login-form',
    'http.powered-by',
  ],
  bannerField: 'http.server',
  appliesTo: onPorts('tcp', DEFAULT_PORTS),
  run,
};

/** The Host header value for an address and port (brackets for IPv6, no port for 80). */
export function hostHeader(address: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return port === 80 ? host : `${host}:${port}`;
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  const response = await ctx.net.http({
    address,
    port,
    method: 'GET',
    path: '/',
    headers: { host: hostHeader(address, port), 'user-agent': 'iotscan', accept: '*/*', connection: 'close' },
    timeoutMs: ctx.timeoutMs,
    maxBytes: MAX_BODY_BYTES,
    signal: ctx.signal,
  });
  if (!response.ok) {
    yield { kind: 'status', status: response.status, ...(response.detail === undefined ? {} : { detail: response.detail }) };
    return;
  }
  yield { kind: 'observation', port, transport: 'tcp', fields: httpFields(response) };
  yield { kind: 'status', status: 'success' };
}
