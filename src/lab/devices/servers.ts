// Small pieces every simulated device needs: starting its servers in order (and stopping the ones
// already up if a later one fails), and a port that is open with nothing behind it.
import { createServer } from 'node:net';
import type { RunningDevice } from '../device.js';
import { listen } from '../listen.js';

export interface Stoppable {
  stop(): Promise<void>;
}

/** Starts the servers one after another; the device stops them in reverse order. */
export async function startInOrder(starters: readonly (() => Promise<Stoppable>)[]): Promise<RunningDevice> {
  const running: Stoppable[] = [];
  const stop = async (): Promise<void> => {
    for (const server of running.splice(0).reverse()) await server.stop();
  };
  try {
    for (const start of starters) running.push(await start());
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

/**
 * A port that is open (a scanner sees something listening) with no protocol behind it: every
 * connection is accepted and closed at once. Used where the real device speaks a protocol the
 * lab does not implement (SMB, the TLS cast channel).
 */
export async function startOpenPortWithoutService(host: string, port: number): Promise<Stoppable> {
  const server = createServer((socket) => socket.destroy());
  await listen(server, port, host);
  return { stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
