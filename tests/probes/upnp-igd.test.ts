import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSoapRequest, parseSoapResponse, portMappingFields } from '../../probes/upnp-igd/codec.js';
import { upnpIgdProbe } from '../../probes/upnp-igd/probe.js';
import { fixture, runServiceProbe, subjectFor } from '../fixtures/harness.js';

const WAN_IP = 'urn:schemas-upnp-org:service:WANIPConnection:2';

describe('upnp-igd codec', () => {
  it('builds a read-only SOAP request', () => {
    const { body, soapAction } = buildSoapRequest(WAN_IP, 'GetGenericPortMappingEntry', [['NewPortMappingIndex', '3']]);
    expect(soapAction).toBe(`"${WAN_IP}#GetGenericPortMappingEntry"`);
    expect(body).toContain(`<u:GetGenericPortMappingEntry xmlns:u="${WAN_IP}"><NewPortMappingIndex>3</NewPortMappingIndex></u:GetGenericPortMappingEntry>`);
  });

  it('reads a port mapping entry', () => {
    const result = parseSoapResponse(fixture('upnp-igd/mapping-entry.xml').toString(), 'GetGenericPortMappingEntry');
    if (result.kind !== 'ok') throw new Error(result.kind);
    expect(portMappingFields(result.values)).toEqual({
      'upnp.portmap.protocol': 'TCP',
      'upnp.portmap.external-port': '8443',
      'upnp.portmap.internal-client': '192.168.77.30',
      'upnp.portmap.internal-port': '443',
      'upnp.portmap.description': 'NAS web & photos',
      'upnp.portmap.enabled': '1',
    });
  });

  it('reads a UPnP fault code', () => {
    expect(parseSoapResponse(fixture('upnp-igd/fault-713.xml').toString(), 'GetGenericPortMappingEntry')).toEqual({
      kind: 'fault',
      errorCode: 713,
      description: 'SpecifiedArrayIndexInvalid',
    });
  });

  it('refuses entities, garbage and the wrong action', () => {
    expect(parseSoapResponse('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', 'GetExternalIPAddress').kind).toBe('invalid');
    expect(parseSoapResponse('\u0000garbage<<', 'GetExternalIPAddress').kind).toBe('invalid');
    expect(parseSoapResponse(fixture('upnp-igd/mapping-entry.xml').toString(), 'GetExternalIPAddress').kind).toBe('invalid');
  });
});

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A router: the miniupnpd-style description plus a control URL that answers read-only actions. */
async function router(options: { requireAuth: boolean }): Promise<{ port: number; actions: string[] }> {
  const actions: string[] = [];
  const mapping = fixture('upnp-igd/mapping-entry.xml').toString();
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/rootDesc.xml') {
      response.writeHead(200, { 'content-type': 'text/xml' }).end(fixture('ssdp/miniupnpd-rootDesc.xml'));
      return;
    }
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const action = String(request.headers['soapaction'] ?? '').replace(/^"|"$/g, '').split('#')[1] ?? '';
      actions.push(action);
      if (request.url !== '/ctl/IPConn') {
        response.writeHead(404).end();
      } else if (options.requireAuth) {
        response.writeHead(401).end();
      } else if (action === 'GetExternalIPAddress') {
        response.writeHead(200).end(fixture('upnp-igd/external-ip.xml'));
      } else if (action === 'GetGenericPortMappingEntry') {
        const index = Number(/<NewPortMappingIndex>(\d+)</.exec(body)?.[1]);
        if (index < 2) response.writeHead(200).end(mapping.replace('8443', String(8443 + index)));
        else response.writeHead(500).end(fixture('upnp-igd/fault-713.xml'));
      } else {
        response.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, actions };
}

function igdSubject(port: number) {
  return subjectFor('127.0.0.1', port, {
    serviceFields: { 'upnp.serviceType': WAN_IP, 'upnp.location': `http://127.0.0.1:${port}/rootDesc.xml` },
  });
}

describe('upnp-igd probe', () => {
  it('applies only to the LOCATION port of a host with a WAN connection service', () => {
    expect(upnpIgdProbe.appliesTo(igdSubject(5000))).toBe(true);
    const otherPort = subjectFor('127.0.0.1', 80, { serviceFields: { 'upnp.serviceType': WAN_IP, 'upnp.location': 'http://127.0.0.1:5000/rootDesc.xml' } });
    expect(upnpIgdProbe.appliesTo(otherPort)).toBe(false);
    const notIgd = subjectFor('127.0.0.1', 5000, {
      serviceFields: { 'upnp.serviceType': 'urn:schemas-upnp-org:service:ContentDirectory:1', 'upnp.location': 'http://127.0.0.1:5000/d.xml' },
    });
    expect(upnpIgdProbe.appliesTo(notIgd)).toBe(false);
  });

  it('reads the port mappings of an open IGD with read-only actions only', async () => {
    const { port, actions } = await router({ requireAuth: false });
    const run = await runServiceProbe(upnpIgdProbe, igdSubject(port));
    expect(run.status).toBe('success');
    expect(run.observations.map((observation) => observation.fields)).toEqual([
      { 'upnp.igd.control-url': '/ctl/IPConn', 'upnp.igd.unauthenticated': 'yes' },
      expect.objectContaining({ 'upnp.portmap.external-port': '8443', 'upnp.portmap.internal-client': '192.168.77.30' }),
      expect.objectContaining({ 'upnp.portmap.external-port': '8444' }),
    ]);
    expect(JSON.stringify(run)).not.toContain('198.51.100.7');
    expect(actions).toEqual(['GetExternalIPAddress', 'GetGenericPortMappingEntry', 'GetGenericPortMappingEntry', 'GetGenericPortMappingEntry']);
  });

  it('says no when the control URL wants a login', async () => {
    const { port } = await router({ requireAuth: true });
    const run = await runServiceProbe(upnpIgdProbe, igdSubject(port));
    expect(run.status).toBe('success');
    expect(run.observations.map((observation) => observation.fields)).toEqual([{ 'upnp.igd.control-url': '/ctl/IPConn', 'upnp.igd.unauthenticated': 'no' }]);
  });
});
