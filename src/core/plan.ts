// Which credential pairs may be tried on a service: only sets that apply to the identified device
// (or generic sets where the protocol itself asks for a login), most specific first, within budget.
import type { FieldBag } from './fields.js';
import { firstValue } from './fields.js';
import type { CredentialSetSpec } from '../signatures/schema.js';
import { PASSWORD_PLACEHOLDERS } from '../signatures/schema.js';

/** The hard ceiling on attempts per service, whatever the user asks for: nobody gets locked out. */
export const MAX_ATTEMPTS_PER_SERVICE = 10;
export const DEFAULT_ATTEMPTS_PER_SERVICE = 3;

export interface PlannedAttempt {
  set: CredentialSetSpec;
  username: string;
  password: string;
}

/** Generic pairs are tried only where the service itself shows it wants that kind of login. */
function genericApplies(set: CredentialSetSpec, serviceFields: FieldBag): boolean {
  switch (set.strategy) {
    case 'basic-auth':
      return firstValue(serviceFields, 'http.auth-scheme') === 'basic';
    case 'digest-auth':
      return firstValue(serviceFields, 'http.auth-scheme') === 'digest';
    case 'form-login':
      return firstValue(serviceFields, 'http.login-form') === 'yes';
    case 'telnet-prompt':
      return firstValue(serviceFields, 'telnet.prompt') === 'login';
    case 'ssh-password':
      return (serviceFields.get('ssh.auth-methods') ?? []).some((methods) => methods.split(',').includes('password'));
    case 'ftp-login':
      return firstValue(serviceFields, 'ftp.banner') !== undefined;
    case 'mqtt-connect':
      return ['not-authorized', 'bad-credentials'].includes(firstValue(serviceFields, 'mqtt.connack') ?? '');
    case 'rtsp-auth':
      return firstValue(serviceFields, 'rtsp.describe-status') === '401';
    case 'snmp-community':
      // SNMP has no way to say "wrong community": a generic community is only worth one packet on a port that is there.
      return true;
  }
}

/** Identifiers the scan saw on the network, from which some vendors derive default passwords. */
export interface SeenIdentifiers {
  mac?: string;
  serial?: string;
}

type Placeholder = (typeof PASSWORD_PLACEHOLDERS)[number];

function placeholderValue(name: Placeholder, seen: SeenIdentifiers): string | undefined {
  const macHex = seen.mac?.replace(/:/g, '').toUpperCase();
  switch (name) {
    case 'mac-last6':
      return macHex?.slice(-6);
    case 'mac-last6-lower':
      return macHex?.slice(-6).toLowerCase();
    case 'mac-last8':
      return macHex?.slice(-8);
    case 'serial':
      return seen.serial;
    case 'serial-last8':
      return seen.serial?.slice(-8);
  }
}

/** The password with its placeholders filled, or undefined when the scan did not see what one needs. */
export function fillPassword(template: string, seen: SeenIdentifiers): string | undefined {
  let missing = false;
  const filled = template.replace(/\{([a-z0-9-]+)\}/g, (whole, name: string) => {
    const value = (PASSWORD_PLACEHOLDERS as readonly string[]).includes(name) ? placeholderValue(name as Placeholder, seen) : undefined;
    if (value === undefined || value === '') missing = true;
    return value ?? whole;
  });
  return missing ? undefined : filled;
}

/** True when the service already said it does not take this kind of login (an SSH server with keys only). */
function refusesLoginKind(set: CredentialSetSpec, serviceFields: FieldBag): boolean {
  const methods = serviceFields.get('ssh.auth-methods');
  return set.strategy === 'ssh-password' && methods !== undefined && !methods.some((list) => list.split(',').includes('password'));
}

export function planCredentialAttempts(
  sets: readonly CredentialSetSpec[],
  protocol: string,
  matchedFingerprints: ReadonlySet<string>,
  serviceFields: FieldBag,
  budget: number,
  seen: SeenIdentifiers = {},
): PlannedAttempt[] {
  const limit = Math.max(0, Math.min(budget, MAX_ATTEMPTS_PER_SERVICE));
  const forProtocol = sets.filter((set) => set.protocol === protocol);
  const specific = forProtocol.filter(
    (set) => 'fingerprints' in set.appliesTo && set.appliesTo.fingerprints.some((id) => matchedFingerprints.has(id)) && !refusesLoginKind(set, serviceFields),
  );
  const generic = forProtocol.filter((set) => 'generic' in set.appliesTo && genericApplies(set, serviceFields));
  const tried = new Set<string>();
  const plan: PlannedAttempt[] = [];
  for (const set of [...specific, ...generic]) {
    for (const pair of set.pairs) {
      const password = fillPassword(pair.password, seen);
      if (password === undefined) continue;
      const key = `${pair.username}\0${password}`;
      if (tried.has(key)) continue;
      tried.add(key);
      plan.push({ set, username: pair.username, password });
    }
  }
  return plan.slice(0, limit);
}
