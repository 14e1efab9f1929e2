// UPnP Internet Gateway Device check: can anyone on the LAN read the router's port mappings
// without a credential? Read-only SOAP only (GetExternalIPAddress, GetGenericPortMappingEntry);
// AddPortMapping / DeletePortMapping are never sent. The external address itself is not recorded.
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import type { FieldBag } from '../../src/core/fields.js';
import { MAX_DESCRIPTION_BYTES, parseDeviceDescription, sameHostLocation } from '../ssdp/codec.js';
import { IGD_SERVICE_TYPE, MAX_SOAP_RESPONSE_BYTES, buildSoapRequest, parseSoapResponse, portMappingFields } from './codec.js';
import type { ReadOnlyAction, SoapResult } from './codec.js';

/** Port mapping entries read at most. */
const MAX_MAPPINGS = 32;

export const upnpIgdProbe: ServiceProbe = {
  kind: 'service',
  id: 'upnp-igd',
  protocol: 'upnp',
  categories: ['safe'],
  transport: 'tcp',
  defaultPorts: [],
  fields: [
    'upnp.igd.control-url',
    'upnp.igd.unauthenticated',
    'upnp.portmap.protocol',
    'upnp.portmap.external-port',
    'upnp.portmap.internal-client',
    'upnp.portmap.internal-port',
    'upnp.portmap.description',
    'upnp.portmap.enabled',
  ],
  appliesTo: (subject: ServiceSubject) =>
    subject.transport === 'tcp' && hasIgdService(subject) && descriptionLocations(subject).length > 0,
  run,
};

function values(subject: ServiceSubject, field: string): string[] {
  const bags: FieldBag[] = [subject.serviceFields, subject.hostFields];
  return [...new Set(bags.flatMap((bag) => bag.get(field) ?? []))];
}

function hasIgdService(subject: ServiceSubject): boolean {
  return values(subject, 'upnp.serviceType').some((type) => IGD_SERVICE_TYPE.test(type));
}

/** LOCATIONs on this host and this port: the description that names the control URL. */
function descriptionLocations(subject: ServiceSubject): string[] {
  return values(subject, 'upnp.location').filter((location) => sameHostLocation(location, subject.address)?.port === subject.port);
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { port } = ctx.subject;
  const found = await findWanService(ctx);
  if (!found.ok) {
    yield { kind: 'status', status: found.status, detail: found.detail };
    return;
  }
  const { serviceType, controlPath } = found;
  const call = (action: ReadOnlyAction, args: ReadonlyArray<readonly [string, string]>): Promise<SoapResult | undefined> =>
    soapCall(ctx, controlPath, serviceType, action, args);

  let answered = false;
  const external = await call('GetExternalIPAddress', []);
  if (external?.kind === 'ok') answered = true;
  const mappings: Record<string, string>[] = [];
  for (let index = 0; index < MAX_MAPPINGS && !ctx.signal.aborted; index += 1) {
    const entry = await call('GetGenericPortMappingEntry', [['NewPortMappingIndex', String(index)]]);
    // Fault 713 (SpecifiedArrayIndexInvalid) is the normal end of the table; any other fault ends it too.
    if (entry?.kind !== 'ok') break;
    answered = true;
    mappings.push(portMappingFields(entry.values));
  }
  if (external === undefined && mappings.length === 0) {
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response', detail: 'the control URL did not answer' };
    return;
  }
  yield {
    kind: 'observation',
    port,
    transport: 'tcp',
    fields: { 'upnp.igd.control-url': controlPath, 'upnp.igd.unauthenticated': answered ? 'yes' : 'no' },
  };
  for (const fields of mappings) yield { kind: 'observation', port, transport: 'tcp', fields };
  yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'success' };
}

type WanService =
  | { ok: true; serviceType: string; controlPath: string }
  | { ok: false; status: 'protocol-mismatch' | 'no-response' | 'aborted'; detail: string };

/** Reads the device description again to pair the WAN connection service with its control URL. */
async function findWanService(ctx: ProbeContext): Promise<WanService> {
  const { address, port } = ctx.subject;
  for (const location of descriptionLocations(ctx.subject).slice(0, 4)) {
    const target = sameHostLocation(location, address);
    if (target === undefined) continue;
    const response = await ctx.net.http({
      address,
      port,
      method: 'GET',
      path: target.path,
      headers: { host: `${address}:${port}`, 'user-agent': 'iotscan', connection: 'close' },
      timeoutMs: ctx.timeoutMs,
      maxBytes: MAX_DESCRIPTION_BYTES,
      signal: ctx.signal,
    });
    if (!response.ok) {
      if (response.status === 'aborted') return { ok: false, status: 'aborted', detail: 'aborted' };
      continue;
    }
    if (response.status !== 200 || response.truncated) continue;
    const parsed = parseDeviceDescription(new TextDecoder().decode(response.body), location);
    if (!parsed.ok) continue;
    const service = parsed.description.services.find(
      (candidate) => IGD_SERVICE_TYPE.test(candidate.serviceType) && candidate.controlURL?.startsWith('/') === true,
    );
    if (service?.controlURL !== undefined) return { ok: true, serviceType: service.serviceType, controlPath: service.controlURL };
  }
  return { ok: false, status: 'protocol-mismatch', detail: 'no WAN connection service with a control URL on this port' };
}

async function soapCall(
  ctx: ProbeContext,
  controlPath: string,
  serviceType: string,
  action: ReadOnlyAction,
  args: ReadonlyArray<readonly [string, string]>,
): Promise<SoapResult | undefined> {
  const { address, port } = ctx.subject;
  const { body, soapAction } = buildSoapRequest(serviceType, action, args);
  const response = await ctx.net.http({
    address,
    port,
    method: 'POST',
    path: controlPath,
    headers: {
      host: `${address}:${port}`,
      'content-type': 'text/xml; charset="utf-8"',
      soapaction: soapAction,
      'user-agent': 'iotscan',
      connection: 'close',
    },
    body,
    timeoutMs: ctx.timeoutMs,
    maxBytes: MAX_SOAP_RESPONSE_BYTES,
    signal: ctx.signal,
  });
  if (!response.ok || response.truncated) return undefined;
  const result = parseSoapResponse(new TextDecoder().decode(response.body), action);
  // Only a 200 is an answer; a fault comes with 500, and 401/403 mean the action needs a login.
  if (result.kind === 'ok' && response.status !== 200) return { kind: 'invalid', reason: `status ${response.status}` };
  return result;
}
