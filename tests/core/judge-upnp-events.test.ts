import { describe, expect, it } from 'vitest';
import { finishDraft } from '../../src/core/judge.js';
import type { HostEvidence } from '../../src/core/judge-kit.js';
import { upnpSubscribeCallback } from '../../src/core/judge-upnp-events.js';
import type { Identity, Observation } from '../../src/core/model.js';
import { loadSignatures } from '../../src/signatures/load.js';

const pack = loadSignatures();
let next = 0;
const observation = (fields: Record<string, string>, port = 49153): Observation => ({
  id: `o${++next}`,
  address: '192.168.1.9',
  probe: 'upnp-events',
  port,
  transport: 'tcp',
  fields,
});

function judge(observations: Observation[], identity: Identity = { signals: [] }) {
  const host: HostEvidence = { address: '192.168.1.9', observations, services: [], identity, judgedAt: '2026-11-21T12:00:00Z' };
  return upnpSubscribeCallback(host, pack).map((draft) => finishDraft(draft, pack));
}

const accepted = {
  'upnp-events.callback-check': 'accepted-loopback',
  'upnp-events.status': '200',
  'upnp-events.service': 'urn:Belkin:service:basicevent:1',
  'upnp-events.event-url': '/upnp/event/basicevent1',
};

describe('upnp-subscribe-callback', () => {
  it('reports an accepted loopback callback as medium, high confidence, on the description port', () => {
    const findings = judge([observation({ ...accepted, 'upnp-events.unsubscribed': 'yes', 'upnp-events.timeout': '60' })], { type: 'plug', signals: [] });
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding).toMatchObject({ check: 'upnp-subscribe-callback', severity: 'medium', confidence: 'high', port: 49153, transport: 'tcp' });
    expect(finding?.summary).toMatch(/^The plug's UPnP event service .*CallStranger/);
    expect(finding?.evidence.facts).toEqual({
      service: 'urn:Belkin:service:basicevent:1',
      'event URL': '/upnp/event/basicevent1',
      answer: 'HTTP 200',
      'test subscription': 'cancelled right away',
    });
    expect(finding?.practices.en303645).toContain('5.13-1');
    expect(finding?.remedy).toMatch(/firmware/);
  });

  it('says how long a test subscription lasts when it could not be cancelled', () => {
    const facts = (extra: Record<string, string>) => judge([observation({ ...accepted, 'upnp-events.unsubscribed': 'no', ...extra })])[0]?.evidence.facts['test subscription'];
    expect(facts({ 'upnp-events.timeout': '1800' })).toBe('could not be cancelled; it ends by itself after 1800 seconds');
    expect(facts({ 'upnp-events.timeout': 'infinite' })).toMatch(/until the device restarts/);
    expect(facts({})).toBe('could not be cancelled; it ends by itself when its time runs out');
  });

  it('says nothing for a refused callback, a device without an event URL, or other probes', () => {
    expect(judge([observation({ 'upnp-events.callback-check': 'rejected', 'upnp-events.status': '412', 'upnp-events.service': 'x' })])).toEqual([]);
    expect(judge([observation({ 'upnp-events.callback-check': 'no-event-url' })])).toEqual([]);
    expect(judge([observation({ 'upnp.eventSubURL': '/evt/L3F' })])).toEqual([]);
  });
});
