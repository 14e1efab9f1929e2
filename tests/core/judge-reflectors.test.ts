import { describe, expect, it } from 'vitest';
import { finishDraft, type HostEvidence } from '../../src/core/judge.js';
import { udpReflectorOther } from '../../src/core/judge-reflectors.js';
import type { Observation } from '../../src/core/model.js';
import { loadSignatures } from '../../src/signatures/load.js';

const pack = loadSignatures();
let next = 0;
const observation = (fields: Record<string, string>, port?: number): Observation => ({
  id: `o${++next}`,
  address: '192.168.1.9',
  probe: 'test',
  ...(port !== undefined && { port, transport: 'udp' as const }),
  fields,
});

function judge(observations: Observation[], type?: string) {
  const host: HostEvidence = {
    address: '192.168.1.9',
    observations,
    services: [],
    identity: { signals: [], ...(type !== undefined && { type }) },
    judgedAt: '2026-11-21T12:00:00Z',
  };
  return udpReflectorOther(host, pack).map((draft) => finishDraft(draft, pack));
}

describe('udp-reflector-other', () => {
  it('reports a NetBIOS node-status answer larger than the question, low, with the factor', () => {
    const netbios = observation({ 'netbios-ns.request-bytes': '50', 'netbios-ns.reply-bytes': '193', 'netbios-ns.names': 'DISKSTATION<00>' }, 137);
    const [finding, ...rest] = judge([netbios], 'nas');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ check: 'udp-reflector-other', severity: 'low', confidence: 'high', port: 137, transport: 'udp' });
    expect(finding?.summary).toContain('The nas answers a 50-byte NetBIOS name-status question with 193 bytes (3.9x)');
    expect(finding?.evidence).toEqual({ observations: [netbios.id], facts: { service: 'netbios-ns', 'bytes in': '50', 'bytes out': '193', factor: '3.9' } });
    expect(finding?.practices.en303645).toContain('5.6-1');
    expect(finding?.remedy).toMatch(/137/);
  });

  it('covers CoAP and WS-Discovery the same way, one finding per answering service', () => {
    const findings = judge([
      observation({ 'coap.request-bytes': '25', 'coap.reply-bytes': '48', 'coap.code': '2.05' }, 5683),
      observation({ 'wsd.request-bytes': '600', 'wsd.reply-bytes': '1800' }, 3702),
    ]);
    expect(findings.map((f) => `${f.port}/${f.transport} ${f.evidence.facts['factor']}`)).toEqual(['3702/udp 3.0', '5683/udp 1.9']);
    expect(findings.find((f) => f.port === 5683)?.summary).toContain('answers a 25-byte CoAP resource-discovery request with 48 bytes (1.9x)');
  });

  it('falls back to the service default port when the observation has none', () => {
    expect(judge([observation({ 'coap.request-bytes': '25', 'coap.reply-bytes': '162' })])[0]).toMatchObject({ port: 5683, transport: 'udp' });
  });

  it('reports nothing for an answer no larger than the question', () => {
    // A CoAP reset (4 bytes) and an answer exactly the size of the question.
    expect(judge([observation({ 'coap.request-bytes': '25', 'coap.reply-bytes': '4' }, 5683)])).toEqual([]);
    expect(judge([observation({ 'netbios-ns.request-bytes': '50', 'netbios-ns.reply-bytes': '50' }, 137)])).toEqual([]);
  });

  it('reports nothing without both sizes as whole numbers, or for other services', () => {
    expect(judge([observation({ 'netbios-ns.reply-bytes': '193' }, 137)])).toEqual([]);
    expect(judge([observation({ 'coap.request-bytes': '0', 'coap.reply-bytes': '48' }, 5683)])).toEqual([]);
    expect(judge([observation({ 'coap.request-bytes': '25', 'coap.reply-bytes': '4.8e2' }, 5683)])).toEqual([]);
    expect(judge([observation({ 'wsd.request-bytes': 'many', 'wsd.reply-bytes': '1800' }, 3702)])).toEqual([]);
    expect(judge([observation({ 'ssdp.unicast-request-bytes': '100', 'ssdp.unicast-reply-bytes': '1500' }, 1900)])).toEqual([]);
    expect(judge([])).toEqual([]);
  });
});
