// The curated TCP ports of home devices, and the name a port usually carries. Ports in
// signatures/never-probe.yaml are removed by the engine before anything is sent.

/** Ports that answer on most live home devices: enough to tell a live host quickly. */
export const LIVENESS_PORTS: readonly number[] = [80, 443, 22, 23, 8080, 554, 1883, 62078];

export const IOT_PORTS: ReadonlyMap<number, string> = new Map([
  [21, 'ftp'],
  [22, 'ssh'],
  [23, 'telnet'],
  [53, 'dns'],
  [80, 'http'],
  [81, 'http'],
  [443, 'https'],
  [445, 'smb'],
  [548, 'afp'],
  [554, 'rtsp'],
  [993, 'imaps'],
  [995, 'pop3s'],
  [1400, 'http'],
  [1883, 'mqtt'],
  [2222, 'ssh'],
  [2323, 'telnet'],
  [3000, 'http'],
  [5000, 'http'],
  [5001, 'https'],
  [5061, 'sips'],
  [5555, 'adb'],
  [6668, 'tuya'],
  [7547, 'cwmp'],
  [8000, 'http'],
  [8008, 'http'],
  [8009, 'castv2'],
  [8060, 'http'],
  [8080, 'http'],
  [8081, 'http'],
  [8123, 'http'],
  [8443, 'https'],
  [8554, 'rtsp'],
  [8883, 'mqtts'],
  [8888, 'http'],
  [9000, 'http'],
  [9999, 'kasa'],
  [34567, 'dvr'],
  [37777, 'dvr'],
  [49152, 'upnp'],
  [49153, 'upnp'],
  [62078, 'lockdown'],
]);

export function portName(port: number): string {
  return IOT_PORTS.get(port) ?? 'unknown';
}
