// UPnP eventing rule: a device that accepts an event subscription for a delivery address outside
// its network (CallStranger, CVE-2020-12695). Pure.
import { deviceWord, where, withField, type Draft, type Rule } from './judge-kit.js';

/** How long an uncancelled test subscription lasts, in words. */
function lapse(timeout: string | undefined): string {
  if (timeout === 'infinite') return 'the device granted it without an end, so it lasts until the device restarts';
  if (timeout !== undefined) return `it ends by itself after ${timeout} seconds`;
  return 'it ends by itself when its time runs out';
}

export const upnpSubscribeCallback: Rule = (host) =>
  withField(host, 'upnp-events.callback-check', 'accepted-loopback').map((o): Draft => {
    const f = o.fields;
    const cancelled = f['upnp-events.unsubscribed'] === 'yes';
    return {
      check: 'upnp-subscribe-callback',
      // The device itself said yes (HTTP 2xx) to a delivery address that is not on its network.
      confidence: 'high',
      ...where(o),
      summary: `The ${deviceWord(host.identity)}'s UPnP event service sends its updates to whatever address it is given, not only to devices on your network (CallStranger). The scanner tested this with an address that points back at the ${deviceWord(host.identity)} itself, so nothing was sent anywhere else.`,
      observations: [o.id],
      facts: {
        service: f['upnp-events.service'] ?? '',
        'event URL': f['upnp-events.event-url'] ?? '',
        answer: `HTTP ${f['upnp-events.status'] ?? '?'}`,
        'test subscription': cancelled
          ? 'cancelled right away'
          : `could not be cancelled; ${lapse(f['upnp-events.timeout'])}`,
      },
    };
  });
