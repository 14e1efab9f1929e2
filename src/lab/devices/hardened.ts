// A Raspberry Pi home server set up with care: current OpenSSH, keys only, nothing else listening
// and nothing advertised. The negative case: a correct scanner reports nothing above info here.
import type { LabDevice } from '../device.js';
import { startSshServer } from '../protocols/ssh.js';

const IPV4 = '192.168.77.80';

export const device: LabDevice = {
  spec: {
    id: 'hardened',
    ipv4: IPV4,
    mac: 'd8:3a:dd:44:55:66',
    hostname: 'homeserver',
    // From the network a Raspberry Pi can be told (its MAC), not which model: the truth says what a scanner can know.
    truth: { vendor: 'Raspberry Pi', model: 'Raspberry Pi', type: 'server' },
    expectedFindings: [],
    mustNotReport: ['default-cred-accepted', 'known-vulnerable-version', 'telnet-open', 'cleartext-admin-login'],
  },

  async start({ attempts }) {
    return startSshServer({
      host: IPV4,
      port: 22,
      ident: 'OpenSSH_10.2',
      authMethods: ['publickey'],
      onLoginAttempt: () => attempts.record('ssh'),
    });
  },
};
