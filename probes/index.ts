// THE registry of probes: adding a protocol is one folder in probes/ and one line here.
// tests/probes/registry.test.ts checks that every probe folder is listed under its own name.
import type { CredentialDriver, PageChecks, Probe } from '../src/engine/probe.js';
import { adbProbe } from './adb/probe.js';
import { coapProbe } from './coap/probe.js';
import { CREDENTIAL_DRIVERS as DRIVERS } from './creds/index.js';
import { dnsVersionProbe } from './dns-version/probe.js';
import { ftpProbe } from './ftp/probe.js';
import { ftpAnonProbe } from './ftp-anon/probe.js';
import { checkInfoPath, checkMediaPath } from './http/known-paths.js';
import { httpProbe } from './http/probe.js';
import { mdnsProbe } from './mdns/probe.js';
import { mqttProbe } from './mqtt/probe.js';
import { netbiosNsProbe } from './netbios-ns/probe.js';
import { onvifProbe } from './onvif/probe.js';
import { rtspProbe } from './rtsp/probe.js';
import { snmpProbe } from './snmp/probe.js';
import { sshProbe } from './ssh/probe.js';
import { ssdpProbe } from './ssdp/probe.js';
import { telnetProbe } from './telnet/probe.js';
import { tftpProbe } from './tftp/probe.js';
import { tlsProbe } from './tls/probe.js';
import { upnpEventsProbe } from './upnp-events/probe.js';
import { upnpIgdProbe } from './upnp-igd/probe.js';
import { wsdProbe } from './wsd/probe.js';

export const PROBES: readonly Probe[] = [
  mdnsProbe,
  ssdpProbe,
  sshProbe,
  telnetProbe,
  ftpProbe,
  ftpAnonProbe,
  httpProbe,
  rtspProbe,
  mqttProbe,
  snmpProbe,
  upnpIgdProbe,
  upnpEventsProbe,
  tlsProbe,
  adbProbe,
  tftpProbe,
  dnsVersionProbe,
  wsdProbe,
  onvifProbe,
  netbiosNsProbe,
  coapProbe,
];

export const CREDENTIAL_DRIVERS: readonly CredentialDriver[] = DRIVERS;

export const PAGE_CHECKS: PageChecks = { info: checkInfoPath, media: checkMediaPath };
