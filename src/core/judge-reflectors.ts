// Reflection rules: UDP services that answer a short unicast question with a longer reply, which
// attackers abuse to amplify floods when the Internet can reach them (US-CERT TA14-017A). SSDP has
// its own check; this one covers NetBIOS name service, WS-Discovery and CoAP. Pure.
import { deviceWord, withField, type Draft, type Rule } from './judge-kit.js';

interface Reflector {
  /** Probe id: its observation carries `<probe>.request-bytes` and `<probe>.reply-bytes`. */
  probe: string;
  port: number;
  question: string;
}

const REFLECTORS: readonly Reflector[] = [
  { probe: 'netbios-ns', port: 137, question: 'NetBIOS name-status question' },
  { probe: 'wsd', port: 3702, question: 'WS-Discovery probe' },
  { probe: 'coap', port: 5683, question: 'CoAP resource-discovery request' },
];

/** A byte count from an observation field, if it is a positive whole number. */
function byteCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value)) return undefined;
  const count = Number(value);
  return count > 0 ? count : undefined;
}

export const udpReflectorOther: Rule = (host) =>
  REFLECTORS.flatMap((reflector) =>
    withField(host, `${reflector.probe}.reply-bytes`).flatMap((o): Draft[] => {
      const sent = byteCount(o.fields[`${reflector.probe}.request-bytes`]);
      const received = byteCount(o.fields[`${reflector.probe}.reply-bytes`]);
      if (sent === undefined || received === undefined || received <= sent) return [];
      const factor = (received / sent).toFixed(1);
      const port = o.port ?? reflector.port;
      return [
        {
          check: 'udp-reflector-other',
          confidence: 'high',
          port,
          transport: 'udp',
          summary: `The ${deviceWord(host.identity)} answers a ${sent}-byte ${reflector.question} with ${received} bytes (${factor}x) on UDP port ${port}. Normal inside a home; harmful only if the Internet can reach it, because attackers use such answers to flood other people's connections.`,
          observations: [o.id],
          facts: { service: reflector.probe, 'bytes in': String(sent), 'bytes out': String(received), factor },
        },
      ];
    }),
  );
