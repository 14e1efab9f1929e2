// ONVIF probe: does the camera's device management service answer GetDeviceInformation to anyone?
// One SOAP 1.2 POST without WS-Security, to the path WS-Discovery named (XAddrs on this very host
// and port) or, on a device that streams video but did not say where its service is, to the fixed
// entry point on port 80. Read-only: no other operation is ever sent (no GetUsers, no Set*).
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import { sameHostLocation } from '../ssdp/codec.js';
import { hostHeader } from '../http/probe.js';
import { DEVICE_SERVICE_PATH, MAX_RESPONSE_BYTES, SOAP_CONTENT_TYPE, buildGetDeviceInformation, readDeviceInformationAnswer } from './codec.js';
import type { DeviceInformation } from './codec.js';

/**
 * Where an ONVIF device serves without saying so: the Core Spec asks for a port 80 device service
 * entry "to allow firewall traversal" (Core Spec, "Device discovery > Hello > Addresses").
 */
const FALLBACK_PORT = 80;

const INFORMATION_FIELDS: ReadonlyArray<readonly [keyof DeviceInformation, string]> = [
  ['manufacturer', 'onvif.manufacturer'],
  ['model', 'onvif.model'],
  ['firmware', 'onvif.firmware'],
  ['serial', 'onvif.serial'],
  ['hardwareId', 'onvif.hardware-id'],
];

export const onvifProbe: ServiceProbe = {
  kind: 'service',
  id: 'onvif',
  protocol: 'onvif',
  categories: ['safe'],
  transport: 'tcp',
  defaultPorts: [],
  fields: ['onvif.auth', 'onvif.path', ...INFORMATION_FIELDS.map(([, field]) => field)],
  appliesTo: (subject: ServiceSubject) => subject.transport === 'tcp' && servicePath(subject) !== undefined,
  run,
};

/** The XAddrs the device announced on its own address, whatever port they name. */
function ownXaddrs(subject: ServiceSubject): { port: number; path: string }[] {
  const announced = (subject.hostFields.get('wsd.xaddrs') ?? []).flatMap((value) => value.split(' '));
  return announced.flatMap((xaddr) => {
    const target = sameHostLocation(xaddr, subject.address);
    return target === undefined ? [] : [target];
  });
}

/** A device that streams video (it answered RTSP) or called itself an ONVIF video transmitter. */
function looksLikeCamera(subject: ServiceSubject): boolean {
  const types = subject.hostFields.get('wsd.types') ?? [];
  return subject.hostFields.has('rtsp.status') || types.some((value) => /(^|[\s:])NetworkVideoTransmitter(\s|$)/.test(value));
}

/** The path to ask on this port, or undefined when this port is not where the device service is. */
function servicePath(subject: ServiceSubject): string | undefined {
  const xaddrs = ownXaddrs(subject);
  if (xaddrs.length > 0) return xaddrs.find((xaddr) => xaddr.port === subject.port)?.path;
  const speaksHttp = subject.serviceFields.has('http.status');
  return subject.port === FALLBACK_PORT && speaksHttp && looksLikeCamera(subject) ? DEVICE_SERVICE_PATH : undefined;
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  const path = servicePath(ctx.subject) ?? DEVICE_SERVICE_PATH;
  const response = await ctx.net.http({
    address,
    port,
    method: 'POST',
    path,
    headers: { host: hostHeader(address, port), 'content-type': SOAP_CONTENT_TYPE, 'user-agent': 'iotscan', connection: 'close' },
    body: buildGetDeviceInformation(),
    timeoutMs: ctx.timeoutMs,
    maxBytes: MAX_RESPONSE_BYTES,
    signal: ctx.signal,
  });
  if (!response.ok) {
    yield { kind: 'status', status: response.status, ...(response.detail === undefined ? {} : { detail: response.detail }) };
    return;
  }
  if (response.truncated) {
    yield { kind: 'status', status: 'protocol-mismatch', detail: 'response too large' };
    return;
  }
  const answer = readDeviceInformationAnswer(response.status, new TextDecoder().decode(response.body));
  if (answer.auth === 'unknown') {
    yield { kind: 'status', status: 'protocol-mismatch', detail: answer.reason };
    return;
  }
  const fields: Record<string, string> = { 'onvif.auth': answer.auth, 'onvif.path': path };
  if (answer.auth === 'open') {
    for (const [key, field] of INFORMATION_FIELDS) {
      const value = answer.information[key];
      if (value !== undefined) fields[field] = value;
    }
  }
  yield { kind: 'observation', port, transport: 'tcp', fields };
  yield { kind: 'status', status: 'success', ...(answer.auth === 'required' && { detail: answer.evidence }) };
}
