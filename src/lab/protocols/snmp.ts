// A read-only SNMP v1/v2c agent for lab devices, built on net-snmp's Agent. It answers GET,
// GETNEXT and GETBULK for a fixed set of scalars to the communities it is given; a request with
// any other community gets no answer at all, as real agents do. SET is refused (read-only).
import { createRequire } from 'node:module';
import type * as dgram from 'node:dgram';
import { type RunningServer } from '../listen.js';

export type SnmpValue =
  | { type: 'string'; value: string }
  | { type: 'oid'; value: string }
  | { type: 'integer'; value: number };

export interface SnmpScalar {
  /** Instance OID, e.g. `1.3.6.1.2.1.1.1.0` (scalars only: it must end in `.0`). */
  oid: string;
  value: SnmpValue;
}

export interface SnmpAgentOptions {
  host: string;
  port: number;
  communities: string[];
  scalars: SnmpScalar[];
  /** Add sysUpTime (1.3.6.1.2.1.1.3.0), counted from start, as every real agent has it. */
  withUptime?: boolean;
  /**
   * Called once per request with a community the agent does not accept: a failed login. SNMP
   * has no lockout; what a scanner's budget must bound is how many wrong communities it sends.
   */
  onLoginAttempt?: () => void;
}

// net-snmp ships no type declarations: the small part used here, typed by hand.
interface NetSnmpMibRequest {
  instanceNode: { value: unknown };
  done(): void;
}
interface NetSnmpProvider {
  name: string;
  type: number;
  oid: string;
  scalarType: number;
  maxAccess: number;
  handler?: (request: NetSnmpMibRequest) => void;
}
interface NetSnmpAgent {
  getMib(): {
    registerProvider(provider: NetSnmpProvider): void;
    setScalarValue(name: string, value: unknown): void;
  };
  getAuthorizer(): { addCommunity(community: string): void };
  close(callback?: () => void): void;
  /** Internal, read only to learn the bound port and wait for the bind. */
  listener: { sockets: Record<string, dgram.Socket> };
}
interface NetSnmpModule {
  createAgent(options: Record<string, unknown>, callback: (error: Error | null) => void): NetSnmpAgent;
  MibProviderType: { Scalar: number };
  ObjectType: { OctetString: number; OID: number; Integer: number; TimeTicks: number };
  MaxAccess: Record<'read-only', number>;
}

const snmp = createRequire(import.meta.url)('net-snmp') as NetSnmpModule;

const SYS_UPTIME_OID = '1.3.6.1.2.1.1.3.0';

export async function startSnmpAgent(options: SnmpAgentOptions): Promise<RunningServer> {
  const agent = snmp.createAgent(
    { port: options.port, address: options.host, transport: 'udp4', disableAuthorization: false },
    (error) => {
      // A wrong community ends in an authorization failure; undecodable datagrams and answered
      // requests are not failed logins.
      if (error?.name === 'RequestFailedError') options.onLoginAttempt?.();
    },
  );
  const sockets = Object.values(agent.listener.sockets);
  try {
    await Promise.all(sockets.map(waitUntilBound));
  } catch (error) {
    agent.close();
    throw error;
  }

  const authorizer = agent.getAuthorizer();
  for (const community of options.communities) authorizer.addCommunity(community);

  const mib = agent.getMib();
  options.scalars.forEach((scalar, index) => {
    const name = `scalar${index}`;
    mib.registerProvider({
      name,
      type: snmp.MibProviderType.Scalar,
      oid: objectOidOf(scalar.oid),
      scalarType: objectTypeOf(scalar.value),
      maxAccess: snmp.MaxAccess['read-only'],
    });
    mib.setScalarValue(name, scalar.value.value);
  });

  if (options.withUptime === true) {
    const startedAt = Date.now();
    const hundredthsSinceStart = (): number => Math.floor((Date.now() - startedAt) / 10);
    mib.registerProvider({
      name: 'sysUpTime',
      type: snmp.MibProviderType.Scalar,
      oid: objectOidOf(SYS_UPTIME_OID),
      scalarType: snmp.ObjectType.TimeTicks,
      maxAccess: snmp.MaxAccess['read-only'],
      handler: (request) => {
        request.instanceNode.value = hundredthsSinceStart();
        request.done();
      },
    });
    mib.setScalarValue('sysUpTime', 0);
  }

  const firstSocket = sockets[0];
  const port = firstSocket === undefined ? options.port : firstSocket.address().port;
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        let open = sockets.length;
        if (open === 0) return resolve();
        agent.close(() => {
          open -= 1;
          if (open === 0) resolve();
        });
      }),
  };
}

function objectOidOf(instanceOid: string): string {
  if (!instanceOid.endsWith('.0')) throw new Error(`SNMP scalar OID must end in .0: ${instanceOid}`);
  return instanceOid.slice(0, -2);
}

function objectTypeOf(value: SnmpValue): number {
  switch (value.type) {
    case 'string':
      return snmp.ObjectType.OctetString;
    case 'oid':
      return snmp.ObjectType.OID;
    case 'integer':
      return snmp.ObjectType.Integer;
  }
}

function waitUntilBound(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('listening', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
}
