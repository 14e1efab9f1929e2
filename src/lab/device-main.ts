// Entry point of one lab device process: `node device-main.js <id>`, started by the lab inside the
// device's network namespace. Prints `ready` once every server listens; SIGTERM stops it cleanly.
import { FileAttemptCounter } from './attempts.js';
import { LAB_DEVICES } from './registry.js';

async function main(): Promise<void> {
  const id = process.argv[2];
  const device = LAB_DEVICES.find((candidate) => candidate.spec.id === id);
  if (!device) {
    process.stderr.write(`unknown lab device: ${String(id)}\n`);
    process.exit(2);
  }
  const running = await device.start({ attempts: new FileAttemptCounter(device.spec.id) });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`device failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
