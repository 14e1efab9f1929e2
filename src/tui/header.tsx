// Top of the screen: which run, what it scans, how far each phase is, and the findings so far.
import { Box, Text } from 'ink';
import { PHASES } from '../core/events.js';
import { SEVERITIES } from '../core/model.js';
import type { ScanState } from '../core/reduce.js';
import { homeVerdict } from '../core/verdict.js';
import { plural } from '../report/words.js';
import { SEVERITY_COLOURS, printable, progressBar } from './format.js';

/** Room a phase needs besides its bar: name, counts and gaps. */
const PHASE_TEXT_WIDTH = 16;

export function Header({ state, title, columns }: { state: ScanState; title: string; columns: number }) {
  const run = state.run;
  // Four phases on one line: the bars take whatever room the terminal leaves.
  const barWidth = Math.max(3, Math.min(12, Math.floor(columns / PHASES.length) - PHASE_TEXT_WIDTH));
  const probes = Object.values(state.probeCounts).reduce((sum, count) => sum + count, 0);
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text wrap="truncate">
        <Text bold>{printable(title)}</Text>
        {run ? `  run ${printable(run.id)}  targets ${run.targets.map((t) => printable(t)).join(' ')}  profile ${printable(run.profile)}` : ''}
        {`  ${state.status}`}
      </Text>
      <Box>
        {PHASES.map((phase) => {
          const progress = state.progress[phase];
          return (
            <Box key={phase} marginRight={2} flexShrink={0}>
              <Text dimColor={progress.total === 0} wrap="truncate">
                {phase} {progressBar(progress, barWidth)} {progress.done}/{progress.total}
              </Text>
            </Box>
          );
        })}
      </Box>
      {state.status !== 'running' && state.status !== 'waiting' && state.hosts.length > 0 ? (
        <Text wrap="truncate" bold>
          {homeVerdict(state.hosts.map((view) => view.findings)).headline}
        </Text>
      ) : null}
      <Text wrap="truncate">
        {[...SEVERITIES].reverse().map((severity) => (
          <Text key={severity} color={SEVERITY_COLOURS[severity]} dimColor={state.findingsBySeverity[severity] === 0}>
            {severity} {state.findingsBySeverity[severity]}{'  '}
          </Text>
        ))}
        <Text dimColor>
          {plural(probes, 'probe')}
          {state.warnings.length > 0 ? `  ${plural(state.warnings.length, 'warning')}` : ''}
        </Text>
      </Text>
    </Box>
  );
}
