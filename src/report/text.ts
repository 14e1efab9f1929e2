// Plain text for a finished scan when stdout is not a terminal UI: a line per device starting at
// column 0, its services and findings indented under it, so `grep` and `awk` work on it.
import type { Finding, Service, Severity } from '../core/model.js';
import type { HostView, ScanState } from '../core/reduce.js';
import { deviceDescription, worstSeverity } from '../core/reduce.js';
import { printable } from '../core/sanitize.js';
import { deviceVerdict, homeVerdict } from '../core/verdict.js';
import { adviceBeyondTheScan } from '../core/advice.js';
import type { ReportKnowledge } from './json.js';
import { findingsInWords, plural } from './words.js';

export interface TextOptions {
  /** ANSI colours for severities; off unless asked for. */
  color?: boolean;
  /** Advice and questions for the vendors, listed under the home verdict. */
  knowledge?: ReportKnowledge;
}

const SEVERITY_COLOURS: Record<Severity, string> = {
  info: '\u001b[2m',
  low: '\u001b[36m',
  medium: '\u001b[33m',
  high: '\u001b[31m',
  critical: '\u001b[1;35m',
};
const RESET = '\u001b[0m';

function deviceLabel(view: HostView): string {
  return deviceDescription(view) ?? 'unknown device';
}

function serviceLine(service: Service): string {
  const detail = [service.name, service.product, service.version].filter((part) => part !== undefined).map((part) => printable(part));
  return `  ${service.transport}/${service.port} ${detail.join(' ')}`;
}

function findingLines(finding: Finding, paint: (severity: Severity, text: string) => string): string[] {
  const where = finding.port !== undefined ? ` on ${finding.transport ?? 'tcp'}/${finding.port}` : '';
  const confidence = finding.confidenceReason
    ? `${finding.confidence} confidence: ${printable(finding.confidenceReason)}`
    : `${finding.confidence} confidence`;
  const practices = [
    finding.practices.en303645.length > 0 ? `EN 303 645 ${finding.practices.en303645.map((p) => printable(p)).join(', ')}` : '',
    finding.practices.is3c ? `IS3C ${printable(finding.practices.is3c)}` : '',
    finding.practices.owasp.length > 0 ? `OWASP ${finding.practices.owasp.map((p) => printable(p)).join(', ')}` : '',
  ].filter((part) => part !== '');
  return [
    `  ${paint(finding.severity, `[${finding.severity}]`)} ${printable(finding.summary)}${where} (${confidence})`,
    `      what to do: ${printable(finding.remedy, 2000)}`,
    ...(practices.length > 0 ? [`      practices: ${practices.join('; ')}`] : []),
  ];
}

export function renderText(state: ScanState, options: TextOptions = {}): string {
  const paint = (severity: Severity, text: string): string =>
    options.color ? `${SEVERITY_COLOURS[severity]}${text}${RESET}` : text;
  const lines: string[] = [];
  const run = state.run;
  if (run) {
    const end = run.finishedAt ? ` to ${run.finishedAt}` : '';
    lines.push(`scan ${printable(run.id)} ${state.status}, ${run.startedAt}${end}`);
    lines.push(
      `targets ${run.targets.map((t) => printable(t)).join(' ')}, profile ${printable(run.profile)}, signatures ${printable(run.signatures.packVersion)}`,
    );
  } else {
    lines.push(`scan ${state.status}`);
  }
  if (state.error) lines.push(`error: ${printable(state.error)}`);
  lines.push('');

  for (const view of state.hosts) {
    const worst = worstSeverity(view.findings);
    const fields = [
      printable(view.address),
      view.host?.mac ? printable(view.host.mac) : '-',
      deviceLabel(view),
      plural(view.services.length, 'open port'),
      worst ? paint(worst, `worst ${worst}`) : 'no findings',
    ];
    lines.push(fields.join('  '));
    const aliases = view.host?.addresses.slice(1) ?? [];
    if (aliases.length > 0) lines.push(`  also at ${aliases.map((a) => printable(a)).join(', ')}`);
    lines.push(`  verdict: ${deviceVerdict(view.findings).headline}`);
    for (const service of view.services) lines.push(serviceLine(service));
    for (const finding of view.findings) lines.push(...findingLines(finding, paint));
    for (const login of view.plannedLogins) {
      lines.push(`  would try: ${printable(login.protocol)} on port ${login.port}, user "${printable(login.username)}" from ${printable(login.signature)}`);
    }
  }

  const home = homeVerdict(state.hosts.map((view) => view.findings));
  lines.push('', `your home: ${home.headline}`);
  for (const reason of home.reasons) lines.push(`  ${printable(reason)}`);
  const advice = adviceBeyondTheScan(state.hosts, options.knowledge?.practices.values() ?? []);
  if (advice.length > 0) {
    lines.push('', 'what this scan cannot check from inside your home: check it yourself');
    for (const item of advice) {
      lines.push(`  ${printable(item.title)}${item.devices.length > 0 ? ` (${item.devices.map((d) => printable(d)).join('; ')})` : ''}`);
      lines.push(`      why: ${printable(item.why, 2000)}`, `      what to do: ${printable(item.remedy, 2000)}`);
    }
  }
  const questions = options.knowledge?.vendorQuestions ?? [];
  if (questions.length > 0) {
    lines.push('', 'what no scan can see: ask your vendors');
    for (const question of questions) lines.push(`  ${printable(question.topic)}: ${printable(question.question)}`);
  }

  if (state.warnings.length > 0) {
    lines.push('', 'warnings:');
    for (const warning of state.warnings) lines.push(`  ${printable(warning)}`);
  }
  lines.push('', `${plural(state.hosts.length, 'device')}, ${findingsInWords(state.findingsBySeverity)}.`);
  return `${lines.join('\n')}\n`;
}
