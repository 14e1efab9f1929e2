// The credential drivers, one per protocol. The engine picks one by protocol and strategy.
import type { CredentialDriver } from '../../src/engine/probe.js';
import { ftpDriver } from './ftp.js';
import { httpDriver } from './http.js';
import { mqttDriver } from './mqtt.js';
import { rtspDriver } from './rtsp.js';
import { snmpDriver } from './snmp.js';
import { sshDriver } from './ssh.js';
import { telnetDriver } from './telnet.js';

export const CREDENTIAL_DRIVERS: readonly CredentialDriver[] = [telnetDriver, sshDriver, httpDriver, ftpDriver, mqttDriver, rtspDriver, snmpDriver];
