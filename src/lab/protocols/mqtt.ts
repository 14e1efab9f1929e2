// An MQTT 3.1.1 broker for lab devices, built on aedes. It lets anonymous clients in (the
// finding the lab exists to show) and holds a few retained topics published at start. Clients may
// read but not publish: the device never changes state because a client asked it to.
import { Aedes } from 'aedes';
import { serveTcp, type RunningServer } from '../listen.js';

export interface MqttBrokerOptions {
  host: string;
  port: number;
  /** Topic → payload, published retained at start. */
  retained: Record<string, string>;
  /**
   * The one pair the broker accepts. Without it every CONNECT is let in (an open broker); with it,
   * a CONNECT without credentials or with any other pair is refused with code 5, as Mosquitto does.
   */
  login?: { username: string; password: string };
  /** Counts login attempts: every CONNECT of an open broker, only CONNECTs carrying credentials otherwise. */
  onLoginAttempt?: () => void;
}

const CONNECT_TIMEOUT_MS = 10_000;

export async function startMqttBroker(options: MqttBrokerOptions): Promise<RunningServer> {
  const broker = await Aedes.createBroker({
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxClientsIdLength: 64,
    authenticate: (_client, username, password, done) => {
      const { login } = options;
      if (login === undefined) {
        options.onLoginAttempt?.();
        done(null, true);
        return;
      }
      if (username === undefined && password === undefined) {
        done(null, false);
        return;
      }
      options.onLoginAttempt?.();
      done(null, username === login.username && password?.toString('utf8') === login.password);
    },
    // The broker's own publishes (the retained topics) bypass this; anything a client sends,
    // its will included, is refused and the client disconnected.
    authorizePublish: (_client, _packet, done) => done(new Error('publishing is not allowed')),
  });

  for (const [topic, payload] of Object.entries(options.retained)) {
    await new Promise<void>((resolve, reject) =>
      broker.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: true, dup: false },
        (error) => (error === undefined || error === null ? resolve() : reject(error)),
      ),
    );
  }

  let server: RunningServer;
  try {
    server = await serveTcp(options.host, options.port, (socket) => broker.handle(socket));
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }

  return {
    port: server.port,
    async stop() {
      await server.stop();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
