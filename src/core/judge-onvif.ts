// ONVIF rules: a camera control interface that answers without a login. Pure.
//
// GetDeviceInformation is in the READ_SYSTEM access class, which the ONVIF default access policy
// does not grant to anonymous users (ONVIF Core Specification, "Access classes for service
// requests" and "Default Access Policy Definition", github.com/onvif/specs doc/Core.xml): a device
// that answers it to a request with no credentials has user authentication switched off.
import { deviceWord, where, withField, type Draft, type Rule } from './judge-kit.js';

export const onvifUnauth: Rule = (host) =>
  withField(host, 'onvif.auth', 'open').map((o): Draft => {
    const f = o.fields;
    const product = [f['onvif.manufacturer'], f['onvif.model']].filter((part) => part !== undefined && part !== '').join(' ');
    const told = product === '' ? '' : ` It told us it is a ${product}${f['onvif.firmware'] ? ` with firmware ${f['onvif.firmware']}` : ''}.`;
    const identifiers = [f['onvif.serial'] && 'serial number', f['onvif.hardware-id'] && 'hardware id'].filter((item): item is string => typeof item === 'string');
    return {
      check: 'onvif-unauth',
      // The answer itself is the proof: no guess about versions or paths is involved.
      confidence: 'high',
      ...where(o),
      summary:
        `ONVIF, the control interface recording software uses, answers on port ${o.port ?? 80} without a password: ` +
        `anyone on your network can ask the ${deviceWord(host.identity)} about itself and its video.${told}`,
      observations: [o.id],
      facts: {
        ...(f['onvif.manufacturer'] !== undefined && { manufacturer: f['onvif.manufacturer'] }),
        ...(f['onvif.model'] !== undefined && { model: f['onvif.model'] }),
        ...(f['onvif.firmware'] !== undefined && { firmware: f['onvif.firmware'] }),
        ...(identifiers.length > 0 && { 'also gave out': identifiers.join(', ') }),
        ...(f['onvif.path'] !== undefined && { service: f['onvif.path'] }),
      },
    };
  });
