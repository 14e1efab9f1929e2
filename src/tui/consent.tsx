// Before the first credential check on a network: the household says these are its own devices.
// Asked once; the answer is kept in the history so the next scan does not ask again.
import { Box, Text, render, useApp, useInput } from 'ink';
import { printable } from './format.js';

export interface ConsentFacts {
  targets: readonly string[];
  attemptsPerService: number;
}

export function ConsentPrompt({ facts, onAnswer }: { facts: ConsentFacts; onAnswer: (yes: boolean) => void }) {
  const { exit } = useApp();
  useInput((input, key) => {
    const answer = input.toLowerCase();
    if (answer === 'y' || answer === 'n' || key.escape || key.return || (key.ctrl && input === 'c')) {
      onAnswer(answer === 'y');
      exit();
    }
  });
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Check for default passwords?</Text>
      <Text>
        iotscan will log in to devices on {facts.targets.map((t) => printable(t)).join(', ')} with passwords their makers published, at
        most {facts.attemptsPerService} tries per service, one second apart. It never changes anything on a device.
      </Text>
      <Text>Only do this on devices that are yours (or that you may test).</Text>
      <Text>
        <Text bold>These are my devices</Text>: press <Text bold>y</Text>. Anything else scans without logging in.
      </Text>
    </Box>
  );
}

/** Resolves true when the user confirmed. */
export async function askCredentialConsent(facts: ConsentFacts): Promise<boolean> {
  let confirmed = false;
  const instance = render(<ConsentPrompt facts={facts} onAnswer={(yes) => (confirmed = yes)} />, { exitOnCtrlC: false });
  await instance.waitUntilExit();
  instance.cleanup();
  return confirmed;
}
