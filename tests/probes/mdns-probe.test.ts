// The mDNS probe on a busy link: when nobody answers the first question in time, it asks once
// more a second later (RFC 6762 §5.2) and still enumerates what answers then. A scripted socket
// stands in for the link; nothing is sent anywhere.
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { Net, UdpDatagram, UdpSocket } from '../../src/engine/net.js';
import type { ProbeOutput } from '../../src/engine/probe.js';
import { mdnsProbe } from '../../probes/mdns/probe.js';

const CAMERA = '192.168.1.20';

/** Everything the camera says about itself in one answer, as a responder with additionals sends it. */
const ANSWER = dnsPacket.encode({
  type: 'response',
  flags: dnsPacket.AUTHORITATIVE_ANSWER,
  answers: [
    { type: 'PTR', name: '_services._dns-sd._udp.local', data: '_http._tcp.local' },
    { type: 'PTR', name: '_http._tcp.local', data: 'Cam._http._tcp.local' },
    { type: 'SRV', name: 'Cam._http._tcp.local', data: { target: 'cam.local', port: 80 } },
    { type: 'TXT', name: 'Cam._http._tcp.local', data: ['model=M1011'] },
    { type: 'A', name: 'cam.local', data: CAMERA },
  ],
});

/** A link on which the first multicast question goes unanswered and every later one is answered. */
class BusyLink implements UdpSocket {
  readonly localPort = 5353;
  readonly questionsToGroup: number[] = [];
  private readonly queue: UdpDatagram[] = [];

  send(address: string, port: number): Promise<void> {
    if (address === '224.0.0.251') {
      this.questionsToGroup.push(Date.now());
      if (this.questionsToGroup.length > 1) this.queue.push({ address: CAMERA, port, data: Uint8Array.from(ANSWER) });
    }
    return Promise.resolve();
  }

  async collect(options: { windowMs: number; until?: (datagram: UdpDatagram) => boolean }): Promise<UdpDatagram[]> {
    const end = Date.now() + options.windowMs;
    const taken: UdpDatagram[] = [];
    for (;;) {
      for (let datagram = this.queue.shift(); datagram !== undefined; datagram = this.queue.shift()) {
        taken.push(datagram);
        if (options.until?.(datagram) === true) return taken;
      }
      if (Date.now() >= end) return taken;
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, end - Date.now())));
    }
  }

  close(): void {}
}

function netWith(link: BusyLink): Net {
  const refused = () => Promise.resolve({ ok: false as const, status: 'connection-refused' as const });
  return { connectTcp: refused, openUdp: () => Promise.resolve(link), http: refused, tls: refused, neighbours: () => Promise.resolve([]) };
}

describe('mdns probe on a busy link', () => {
  it('asks again a second after an unanswered first question, and enumerates what answers then', async () => {
    const link = new BusyLink();
    const outputs: ProbeOutput[] = [];
    for await (const output of mdnsProbe.run({
      net: netWith(link),
      signal: new AbortController().signal,
      windowMs: 1500,
      inScope: (address) => address.startsWith('192.168.1.'),
      liveHosts: () => [],
      livenessDone: Promise.resolve(),
    })) {
      outputs.push(output);
    }
    const [first = 0, second = 0] = link.questionsToGroup;
    expect(second - first).toBeGreaterThanOrEqual(1000);
    const camera = outputs.find((output) => output.kind === 'observation' && output.address === CAMERA && output.fields['mdns.instance'] === 'Cam');
    expect(camera).toMatchObject({ port: 80, fields: { 'mdns.service': '_http._tcp', 'mdns.txt.model': 'M1011' } });
    expect(outputs.at(-1)).toEqual({ kind: 'status', status: 'success' });
  });
});
