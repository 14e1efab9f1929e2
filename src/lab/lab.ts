// The virtual home network: bring it up, tear it down, say how it is, run a command inside it.
//
// Everything the lab owns is found again by name (namespaces `<lab>-*`, /etc/netns/<lab>-*,
// /run/iotscan-<lab>), so labDown cleans up after a crash as well as after labUp.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LAB_STATE_DIR } from './attempts.js';
import { LAB_NAME_ERROR } from './name.js';
import {
  LAB_NAMESPACE_PREFIX,
  LabError,
  SWITCH_NAMESPACE,
  attachHost,
  createSwitch,
  deleteNamespace,
  listLabNamespaces,
  namespaceFor,
  namespacePids,
  removeNamespaceConfig,
} from './namespaces.js';
import { LAB_DEVICES, LAB_IPV6_PREFIX_LENGTH, SCANNER_ADDRESS, SCANNER_IPV6, SCANNER_MAC, SCANNER_NAMESPACE } from './registry.js';
import { CROWD_BLOCK, CROWD_ID, CROWD_NAMESPACE, createCrowd, crowdLayout, recordedCrowdSize } from './crowd.js';

export { LabError } from './namespaces.js';

export interface LabDeviceStatus {
  id: string;
  ipv4: string;
  pid: number | undefined;
  alive: boolean;
}

export interface LabCrowdStatus {
  hosts: number;
  /** Hosts with a listening service. */
  listening: number;
  block: string;
  pid: number | undefined;
  alive: boolean;
}

export interface LabStatus {
  up: boolean;
  namespaces: string[];
  devices: LabDeviceStatus[];
  /** The benchmark crowd, when the lab was brought up with extra hosts. */
  crowd?: LabCrowdStatus;
}

export interface LabUpOptions {
  /** Light hosts to add beside the lab devices (see crowd.ts); 0 or absent: none. */
  extraHosts?: number;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
const POLL_MS = 25;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** One line saying why the lab cannot run here, or undefined when it can. */
export function checkLabPrerequisites(): string | undefined {
  if (LAB_NAME_ERROR !== undefined) return LAB_NAME_ERROR;
  if (process.platform !== 'linux') return 'the lab needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'the lab needs root (it creates network namespaces): run it with sudo';
  const searchPath = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  const hasIp = searchPath.some((directory) => {
    try {
      accessSync(join(directory, 'ip'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return hasIp ? undefined : 'the lab needs the `ip` command (iproute2), which was not found';
}

function requirePrerequisites(): void {
  const reason = checkLabPrerequisites();
  if (reason) throw new LabError(reason);
}

/** A compiled lab entry point (device-main.js, crowd-main.js), also when this module runs from TypeScript source (tests). */
function compiledProgram(file: string): string {
  const here = fileURLToPath(import.meta.url);
  const path = here.endsWith('.js') ? join(dirname(here), file) : join(resolve(dirname(here), '..', '..'), 'dist', 'src', 'lab', file);
  if (!existsSync(path)) throw new LabError(`lab program not found at ${path}: run \`npm run build\` first`);
  return path;
}

/** The lab's own processes: a stale pid file may name a reused pid, which must not be signalled. */
const LAB_PROGRAMS = ['device-main.js', 'crowd-main.js'];

const pidPath = (id: string): string => join(LAB_STATE_DIR, `${id}.pid`);
const logPath = (id: string): string => join(LAB_STATE_DIR, `${id}.log`);

/** True while the process exists and is not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function readPid(id: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(pidPath(id), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function labStatus(): Promise<LabStatus> {
  let namespaces: string[] = [];
  try {
    namespaces = await listLabNamespaces();
  } catch {
    // No iproute2 or no permission: nothing of the lab can be up.
  }
  const devices = await Promise.all(
    LAB_DEVICES.map(async ({ spec }) => {
      const pid = await readPid(spec.id);
      return { id: spec.id, ipv4: spec.ipv4, pid, alive: pid !== undefined && isAlive(pid) };
    }),
  );
  const crowd = await crowdStatus();
  const expected = [SWITCH_NAMESPACE, SCANNER_NAMESPACE, ...LAB_DEVICES.map(({ spec }) => namespaceFor(spec.id)), ...(crowd ? [CROWD_NAMESPACE] : [])];
  const up = expected.every((name) => namespaces.includes(name)) && devices.every((device) => device.alive) && (crowd?.alive ?? true);
  return { up, namespaces, devices, ...(crowd && { crowd }) };
}

async function crowdStatus(): Promise<LabCrowdStatus | undefined> {
  const hosts = await recordedCrowdSize();
  if (hosts === undefined) return undefined;
  const pid = await readPid(CROWD_ID);
  return {
    hosts,
    listening: crowdLayout(hosts).filter((host) => host.service !== undefined).length,
    block: CROWD_BLOCK,
    pid,
    alive: pid !== undefined && isAlive(pid),
  };
}

function lastLogLine(id: string): string {
  try {
    const lines = readFileSync(logPath(id), 'utf8').trim().split('\n');
    return lines[lines.length - 1]?.slice(0, 200) ?? '';
  } catch {
    return '';
  }
}

/** Starts one lab process (a device, the crowd) inside its namespace; resolves once it printed `ready`. */
async function startLabProcess(id: string, program: string, deadline: number, argument = id): Promise<void> {
  const log = openSync(logPath(id), 'a');
  const child = spawn('ip', ['netns', 'exec', namespaceFor(id), process.execPath, program, argument], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', () => {
    exited = true;
  });
  if (child.pid === undefined) throw new LabError(`lab device ${id} could not be started`);
  // `ip netns exec` execs the program, so this pid is the device process itself.
  await writeFile(pidPath(id), `${child.pid}\n`);
  for (;;) {
    const output = await readFile(logPath(id), 'utf8').catch(() => '');
    if (/^ready$/m.test(output)) return;
    if (exited) throw new LabError(`lab device ${id} did not come up: ${lastLogLine(id) || 'it exited'}`);
    if (Date.now() > deadline) {
      throw new LabError(`lab device ${id} did not come up within ${READY_TIMEOUT_MS / 1000} s`);
    }
    await sleep(POLL_MS);
  }
}

export async function labUp(options: LabUpOptions = {}): Promise<LabStatus> {
  requirePrerequisites();
  const program = compiledProgram('device-main.js');
  const crowd = crowdLayout(options.extraHosts ?? 0);
  const crowdProgram = crowd.length > 0 ? compiledProgram('crowd-main.js') : undefined;
  const before = await labStatus();
  if (before.up && (before.crowd?.hosts ?? 0) === crowd.length) return before;
  if (before.namespaces.length > 0 || existsSync(LAB_STATE_DIR)) await labDown();
  try {
    await mkdir(LAB_STATE_DIR, { recursive: true });
    await createSwitch();
    await Promise.all([
      attachHost({
        id: SCANNER_NAMESPACE.slice(LAB_NAMESPACE_PREFIX.length),
        ipv4: SCANNER_ADDRESS,
        mac: SCANNER_MAC,
        ipv6Global: { address: SCANNER_IPV6, prefixLength: LAB_IPV6_PREFIX_LENGTH },
      }),
      ...LAB_DEVICES.map(({ spec }) =>
        attachHost({
          id: spec.id,
          ipv4: spec.ipv4,
          mac: spec.mac,
          ...(spec.ipv6Global !== undefined && { ipv6Global: { address: spec.ipv6Global, prefixLength: LAB_IPV6_PREFIX_LENGTH } }),
        }),
      ),
    ]);
    if (crowdProgram !== undefined) await createCrowd(crowd);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    await Promise.all([
      ...LAB_DEVICES.map(({ spec }) => startLabProcess(spec.id, program, deadline)),
      ...(crowdProgram !== undefined ? [startLabProcess(CROWD_ID, crowdProgram, deadline, String(crowd.length))] : []),
    ]);
  } catch (error) {
    await labDown().catch(() => {});
    throw error instanceof LabError ? error : new LabError(`lab up failed: ${String(error)}`, { cause: error });
  }
  return labStatus();
}

/** Device processes recorded in pid files, in case their namespace is already gone. */
async function recordedDevicePids(): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir(LAB_STATE_DIR);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries.filter((name) => name.endsWith('.pid'))) {
    const pid = await readPid(entry.slice(0, -'.pid'.length));
    if (pid === undefined || !isAlive(pid)) continue;
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (commandLine.some((argument) => LAB_PROGRAMS.some((program) => argument.endsWith(program)))) pids.push(pid);
  }
  return pids;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

export async function labDown(): Promise<void> {
  requirePrerequisites();
  const namespaces = await listLabNamespaces().catch(() => [] as string[]);
  const pids = new Set<number>(await recordedDevicePids());
  for (const name of namespaces) for (const pid of await namespacePids(name)) pids.add(pid);
  pids.delete(process.pid);

  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while ([...pids].some(isAlive) && Date.now() < deadline) await sleep(POLL_MS);
  for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');

  const failures: string[] = [];
  for (const name of namespaces) {
    await deleteNamespace(name).catch((error: unknown) => failures.push(String(error)));
  }
  await removeNamespaceConfig();
  await rm(LAB_STATE_DIR, { recursive: true, force: true });
  if (failures.length > 0) throw new LabError(`lab down left something behind: ${failures[0]}`);
}

/** Runs a command as the household laptop (inside the scanner namespace) and returns its exit code. */
export async function labExec(argv: string[]): Promise<number> {
  requirePrerequisites();
  if (argv.length === 0) throw new LabError('lab exec needs a command to run');
  const namespaces = await listLabNamespaces();
  if (!namespaces.includes(SCANNER_NAMESPACE)) throw new LabError('the lab is not up: run `iotscan lab up` first');
  return new Promise((done, fail) => {
    const child = spawn('ip', ['netns', 'exec', SCANNER_NAMESPACE, ...argv], { stdio: 'inherit' });
    child.once('error', (error) => fail(new LabError(`lab exec failed: ${error.message}`, { cause: error })));
    child.once('exit', (code, signalName) => {
      if (code !== null) done(code);
      else done(128 + (signalName ? osConstants.signals[signalName] : 0));
    });
  });
}
