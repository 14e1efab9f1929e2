// SNMP check: does the device answer SNMPv2c with the default community `public`? If it does, the
// system group (and a Synology NAS's model and DSM version) tell what it is.
import type { UdpSocket } from '../../src/engine/net.js';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { SYNOLOGY_ENTERPRISE, SYNOLOGY_OIDS, SYSTEM_OIDS, buildGetRequest, parseResponse, valueText } from './codec.js';
import type { SnmpResponse } from './codec.js';

const DEFAULT_PORTS = [161] as const;
const COMMUNITY = 'public';
/** UDP loses packets: one retry before calling the port silent. */
const ATTEMPTS = 2;
/** An agent on a home network answers within milliseconds; silence costs every host this, twice. */
const MAX_WAIT_MS = 1000;

export const snmpProbe: ServiceProbe = {
  kind: 'service',
  id: 'snmp',
  protocol: 'snmp',
  categories: ['safe'],
  transport: 'udp',
  defaultPorts: DEFAULT_PORTS,
  fields: [
    'snmp.community',
    'snmp.sysDescr',
    'snmp.sysObjectID',
    'snmp.sysContact',
    'snmp.sysName',
    'snmp.sysLocation',
    'snmp.synology.model',
    'snmp.synology.version',
  ],
  bannerField: 'snmp.sysDescr',
  // Every live host is worth one datagram: SNMP never shows up in a TCP scan.
  appliesTo: onPorts('udp', DEFAULT_PORTS),
  run,
};

async function get(ctx: ProbeContext, socket: UdpSocket, oids: readonly string[]): Promise<SnmpResponse | undefined> {
  const { address, port } = ctx.subject;
  for (let attempt = 0; attempt < ATTEMPTS && !ctx.signal.aborted; attempt += 1) {
    const requestId = 1 + Math.floor(Math.random() * 0x7ffffffe);
    try {
      await socket.send(address, port, buildGetRequest(COMMUNITY, requestId, oids));
    } catch {
      return undefined;
    }
    let answer: SnmpResponse | undefined;
    await socket.collect({
      windowMs: Math.min(ctx.timeoutMs, MAX_WAIT_MS),
      until: (datagram) => {
        if (datagram.address !== address || datagram.port !== port) return false;
        const response = parseResponse(datagram.data);
        if (response?.requestId !== requestId) return false;
        answer = response;
        return true;
      },
    });
    if (answer !== undefined) return answer;
  }
  return undefined;
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const socket = await ctx.net.openUdp({ maxBytes: 65507, signal: ctx.signal });
  try {
    const system = await get(ctx, socket, Object.values(SYSTEM_OIDS));
    if (system === undefined) {
      yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
      return;
    }
    const fields: Record<string, string> = { 'snmp.community': COMMUNITY };
    for (const [name, oid] of Object.entries(SYSTEM_OIDS)) {
      const varbind = system.varbinds.find((candidate) => candidate.oid === oid);
      const text = varbind === undefined ? undefined : valueText(varbind.value);
      if (text !== undefined && text !== '') fields[`snmp.${name}`] = text;
    }
    const objectId = fields['snmp.sysObjectID'] ?? '';
    const isSynology = objectId === SYNOLOGY_ENTERPRISE || objectId.startsWith(`${SYNOLOGY_ENTERPRISE}.`) || /synology/i.test(fields['snmp.sysDescr'] ?? '');
    if (isSynology) {
      const synology = await get(ctx, socket, Object.values(SYNOLOGY_OIDS));
      for (const [name, oid] of Object.entries(SYNOLOGY_OIDS)) {
        const varbind = synology?.varbinds.find((candidate) => candidate.oid === oid);
        const text = varbind === undefined ? undefined : valueText(varbind.value);
        if (text !== undefined && text !== '') fields[`snmp.synology.${name}`] = text;
      }
    }
    yield { kind: 'observation', port: ctx.subject.port, transport: 'udp', fields };
    yield { kind: 'status', status: 'success' };
  } finally {
    socket.close();
  }
}
