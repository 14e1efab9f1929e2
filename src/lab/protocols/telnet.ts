// A telnet login for a lab device (RFC 854, RFC 857 ECHO, RFC 858 SUPPRESS-GO-AHEAD).
// It checks a username and password and, after a success, shows a prompt that only knows `exit`:
// nothing typed is ever executed.
import type { Socket } from 'node:net';
import { serveTcp, type RunningServer } from '../listen.js';

export interface TelnetServerOptions {
  ipv4: string;
  port: number;
  banner: string;
  loginPrompt: string;
  passwordPrompt: string;
  accept: { username: string; password: string }[];
  shellPrompt: string;
  failMessage: string;
  maxFailuresPerConnection: number;
  /** Called once per username/password pair tried. */
  onAttempt: () => void;
}

const IAC = 255;
/** WILL, WONT, DO and DONT (251-254) each carry one option byte. */
const WILL = 251;
const DONT = 254;
const SB = 250;
const SE = 240;
const OPTION_ECHO = 1;
const OPTION_SUPPRESS_GO_AHEAD = 3;

const MAX_LINE_BYTES = 256;
const MAX_SUBNEGOTIATION_BYTES = 512;
const IDLE_TIMEOUT_MS = 60_000;

type ParserState = 'data' | 'iac' | 'option' | 'subnegotiation' | 'subnegotiation-iac';

/** Removes telnet commands from the byte stream, across chunk boundaries. */
class TelnetDecoder {
  private state: ParserState = 'data';
  private subnegotiationBytes = 0;

  decode(chunk: Buffer): Buffer {
    const out: number[] = [];
    for (const byte of chunk) {
      switch (this.state) {
        case 'data':
          if (byte === IAC) this.state = 'iac';
          else out.push(byte);
          break;
        case 'iac':
          if (byte === IAC) {
            out.push(IAC);
            this.state = 'data';
          } else if (byte >= WILL && byte <= DONT) {
            this.state = 'option';
          } else if (byte === SB) {
            this.subnegotiationBytes = 0;
            this.state = 'subnegotiation';
          } else {
            this.state = 'data';
          }
          break;
        case 'option':
          this.state = 'data';
          break;
        case 'subnegotiation':
          if (byte === IAC) this.state = 'subnegotiation-iac';
          else if (++this.subnegotiationBytes > MAX_SUBNEGOTIATION_BYTES) this.state = 'data';
          break;
        case 'subnegotiation-iac':
          this.state = byte === SE ? 'data' : 'subnegotiation';
          break;
      }
    }
    return Buffer.from(out);
  }
}

type SessionStage = 'username' | 'password' | 'shell';

function handleConnection(socket: Socket, options: TelnetServerOptions): void {
  const decoder = new TelnetDecoder();
  let stage: SessionStage = 'username';
  let username = '';
  let failures = 0;
  let line: number[] = [];
  let lastWasCarriageReturn = false;

  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => {});

  const write = (text: string): void => {
    if (!socket.destroyed) socket.write(text, 'latin1');
  };

  const onLine = (text: string): void => {
    switch (stage) {
      case 'username':
        write('\r\n');
        if (text === '') {
          write(options.loginPrompt);
          return;
        }
        username = text;
        stage = 'password';
        write(options.passwordPrompt);
        return;
      case 'password': {
        write('\r\n');
        options.onAttempt();
        const password = text;
        const accepted = options.accept.some(
          (credential) => credential.username === username && credential.password === password,
        );
        if (accepted) {
          stage = 'shell';
          write(options.shellPrompt);
          return;
        }
        failures++;
        write(`${options.failMessage}\r\n`);
        if (failures >= options.maxFailuresPerConnection) {
          socket.end();
          return;
        }
        stage = 'username';
        write(options.loginPrompt);
        return;
      }
      case 'shell':
        write('\r\n');
        if (text.trim() === 'exit') {
          socket.end();
          return;
        }
        write(options.shellPrompt);
        return;
    }
  };

  socket.on('data', (chunk: Buffer) => {
    for (const byte of decoder.decode(chunk)) {
      // A line ends with CR LF, CR NUL or a bare LF.
      if (lastWasCarriageReturn && (byte === 0x0a || byte === 0x00)) {
        lastWasCarriageReturn = false;
        continue;
      }
      lastWasCarriageReturn = byte === 0x0d;
      if (byte === 0x0d || byte === 0x0a) {
        const text = Buffer.from(line).toString('latin1');
        line = [];
        onLine(text);
        if (socket.destroyed || socket.writableEnded) return;
        continue;
      }
      if (byte === 0x08 || byte === 0x7f) {
        line.pop();
        continue;
      }
      if (byte < 0x20) continue;
      if (line.length >= MAX_LINE_BYTES) {
        socket.destroy();
        return;
      }
      line.push(byte);
      // We said WILL ECHO: echo what is typed, except the password.
      if (stage !== 'password') socket.write(Buffer.from([byte]));
    }
  });

  socket.write(Buffer.from([IAC, WILL, OPTION_ECHO, IAC, WILL, OPTION_SUPPRESS_GO_AHEAD]));
  write(options.banner);
  write(options.loginPrompt);
}

export function startTelnetServer(options: TelnetServerOptions): Promise<RunningServer> {
  return serveTcp(options.ipv4, options.port, (socket) => handleConnection(socket, options));
}
