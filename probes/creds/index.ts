// The credential drivers, one per protocol. The engine picks one by protocol and strategy.
import type { CredentialDriver } from '../../src/engine/probe.js';
import { httpBasicDriver } from './http-basic.js';
import { telnetDriver } from './telnet.js';

export const CREDENTIAL_DRIVERS: readonly CredentialDriver[] = [telnetDriver, httpBasicDriver];
