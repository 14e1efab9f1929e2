// The devices of the virtual home network, and where the scanner sits in it.
import type { LabDevice } from './device.js';
import { LAB_NAME } from './name.js';
import { device as androidTv } from './devices/android-tv.js';
import { device as babyMonitor } from './devices/baby-monitor.js';
import { device as camera } from './devices/camera.js';
import { device as hardened } from './devices/hardened.js';
import { device as hue } from './devices/hue.js';
import { device as mqttHub } from './devices/mqtt-hub.js';
import { device as nas } from './devices/nas.js';
import { device as oldDevice } from './devices/old-device.js';
import { device as phone } from './devices/phone.js';
import { device as piServer } from './devices/pi-server.js';
import { device as printer } from './devices/printer.js';
import { device as repeater } from './devices/repeater.js';
import { device as router } from './devices/router.js';
import { device as shelly } from './devices/shelly.js';
import { device as smartTv } from './devices/smart-tv.js';
import { device as speaker } from './devices/speaker.js';
import { device as tpLinkAp } from './devices/tp-link-ap.js';
import { device as wemo } from './devices/wemo.js';

export const LAB_DEVICES: LabDevice[] = [router, camera, nas, mqttHub, smartTv, oldDevice, hardened, androidTv, babyMonitor, piServer, speaker, wemo, printer, phone, shelly, hue, repeater, tpLinkAp];

export const LAB_SUBNET = '192.168.77.0/24';
export const SCANNER_NAMESPACE = `${LAB_NAME}-scan`;
export const SCANNER_ADDRESS = '192.168.77.50';
/**
 * The lab link's global IPv6 network, from the documentation prefix (RFC 3849), as a home whose
 * provider delegates a /64 has one. The scanner holds an address in it, as the household laptop would.
 */
export const LAB_IPV6_PREFIX_LENGTH = 64;
export const SCANNER_IPV6 = '2001:db8:77::50';
/** The household laptop the scanner runs on. */
export const SCANNER_MAC = '3c:22:fb:10:20:30';
