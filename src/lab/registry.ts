// The devices of the virtual home network, and where the scanner sits in it.
import type { LabDevice } from './device.js';
import { LAB_NAME } from './name.js';
import { device as camera } from './devices/camera.js';
import { device as hardened } from './devices/hardened.js';
import { device as mqttHub } from './devices/mqtt-hub.js';
import { device as nas } from './devices/nas.js';
import { device as oldDevice } from './devices/old-device.js';
import { device as router } from './devices/router.js';
import { device as smartTv } from './devices/smart-tv.js';

export const LAB_DEVICES: LabDevice[] = [router, camera, nas, mqttHub, smartTv, oldDevice, hardened];

export const LAB_SUBNET = '192.168.77.0/24';
export const SCANNER_NAMESPACE = `${LAB_NAME}-scan`;
export const SCANNER_ADDRESS = '192.168.77.50';
/** The household laptop the scanner runs on. */
export const SCANNER_MAC = '3c:22:fb:10:20:30';
