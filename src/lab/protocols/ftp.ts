// A small FTP server for lab devices (RFC 959): a real control channel with login, SYST, FEAT,
// PWD, TYPE, PASV and LIST of a fixed listing over a real passive data connection. It serves no
// files and accepts no uploads: the listing is text the device was built with.
import * as net from 'node:net';
import { listen, serveTcp, type RunningServer } from '../listen.js';


/** The guest accounts FTP servers map to anonymous access. */
const ANONYMOUS_USERS = new Set(['anonymous', 'ftp']);
export interface FtpServerOptions {
  host: string;
  port: number;
  /** Text after `220 ` in the greeting, e.g. `DiskStation FTP server ready.` */
  greeting: string;
  /** Decides a USER/PASS pair; the device never changes in response. */
  acceptLogin(user: string, password: string): boolean;
  /** Lines of the `LIST` output (ls -l style), sent on the data connection. */
  listing: string[];
  /**
   * Called once per PASS for a real account, so the lab can count login attempts. The anonymous
   * guest login (RFC 1635: the password is an e-mail address by convention) guesses no password.
   */
  onLoginAttempt?: () => void;
}

const MAX_LINE_BYTES = 512;
const MAX_COMMANDS_PER_CONNECTION = 100;
const IDLE_TIMEOUT_MS = 60_000;
const DATA_CONNECTION_TIMEOUT_MS = 10_000;

export async function startFtpServer(options: FtpServerOptions): Promise<RunningServer> {
  const dataServers = new Set<net.Server>();
  const server = await serveTcp(options.host, options.port, (socket) => {
    socket.on('error', () => socket.destroy());
    new FtpSession(socket, options, dataServers).begin();
  });
  return {
    port: server.port,
    async stop() {
      for (const dataServer of dataServers) dataServer.close();
      await server.stop();
    },
  };
}

class FtpSession {
  private buffered = '';
  private commandCount = 0;
  private pendingUser: string | undefined;
  private loggedIn = false;
  private passive: PassiveDataChannel | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: FtpServerOptions,
    private readonly dataServers: Set<net.Server>,
  ) {}

  begin(): void {
    this.socket.setTimeout(IDLE_TIMEOUT_MS, () => this.closeWith('421 Timeout.'));
    this.socket.on('close', () => this.passive?.close());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.reply(`220 ${this.options.greeting}`);
  }

  private onData(chunk: Buffer): void {
    this.buffered += chunk.toString('latin1');
    let newline = this.buffered.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffered.slice(0, newline).replace(/\r$/, '');
      this.buffered = this.buffered.slice(newline + 1);
      if (line.length > MAX_LINE_BYTES) return this.closeWith('500 Line too long.');
      this.commandCount += 1;
      if (this.commandCount > MAX_COMMANDS_PER_CONNECTION) return this.closeWith('421 Too many commands.');
      this.onCommand(line);
      if (this.socket.destroyed || this.socket.writableEnded) return;
      newline = this.buffered.indexOf('\n');
    }
    if (this.buffered.length > MAX_LINE_BYTES) this.closeWith('500 Line too long.');
  }

  private onCommand(line: string): void {
    const space = line.indexOf(' ');
    const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const argument = space === -1 ? '' : line.slice(space + 1);

    switch (verb) {
      case 'USER':
        this.loggedIn = false;
        this.pendingUser = argument;
        return this.reply('331 Please specify the password.');
      case 'PASS':
        return this.onPass(argument);
      case 'QUIT':
        return this.closeWith('221 Goodbye.');
      case 'SYST':
        return this.reply('215 UNIX Type: L8');
      case 'FEAT':
        return this.reply('211-Features:\r\n PASV\r\n UTF8\r\n211 End');
      default:
        break;
    }

    if (!this.loggedIn) {
      return this.reply(verb === 'PWD' || verb === 'TYPE' || verb === 'PASV' || verb === 'LIST'
        ? '530 Please login with USER and PASS.'
        : '500 Unknown command.');
    }

    switch (verb) {
      case 'PWD':
        return this.reply('257 "/" is the current directory');
      case 'TYPE':
        return this.reply(argument.toUpperCase().startsWith('I') ? '200 Switching to Binary mode.' : '200 Switching to ASCII mode.');
      case 'PASV':
        return void this.onPasv();
      case 'LIST':
        return this.onList();
      default:
        return this.reply('500 Unknown command.');
    }
  }

  private onPass(password: string): void {
    if (this.pendingUser === undefined) return this.reply('503 Login with USER first.');
    const user = this.pendingUser;
    this.pendingUser = undefined;
    if (!ANONYMOUS_USERS.has(user.toLowerCase())) this.options.onLoginAttempt?.();
    if (this.options.acceptLogin(user, password)) {
      this.loggedIn = true;
      this.reply('230 Login successful.');
    } else {
      this.reply('530 Login incorrect.');
    }
  }

  private async onPasv(): Promise<void> {
    this.passive?.close();
    const remoteAddress = this.socket.remoteAddress;
    const localAddress = this.socket.localAddress;
    if (remoteAddress === undefined || localAddress === undefined || !net.isIPv4(localAddress)) {
      return this.reply('425 Cannot open passive connection.');
    }
    try {
      this.passive = await PassiveDataChannel.open(localAddress, remoteAddress, this.dataServers);
    } catch {
      return this.reply('425 Cannot open passive connection.');
    }
    if (this.socket.destroyed) return this.passive.close();
    const portHigh = Math.floor(this.passive.port / 256);
    const portLow = this.passive.port % 256;
    this.reply(`227 Entering Passive Mode (${localAddress.split('.').join(',')},${portHigh},${portLow}).`);
  }

  private onList(): void {
    const passive = this.passive;
    this.passive = undefined;
    if (passive === undefined) return this.reply('425 Use PASV first.');
    this.reply('150 Here comes the directory listing.');
    passive
      .send(this.options.listing.map((entry) => `${entry}\r\n`).join(''))
      .then(
        () => this.reply('226 Directory send OK.'),
        () => this.reply('425 Failed to establish connection.'),
      );
  }

  private reply(text: string): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(`${text}\r\n`);
  }

  private closeWith(text: string): void {
    this.reply(text);
    this.socket.end();
    this.passive?.close();
  }
}

/** One passive-mode listener that takes a single connection from the control peer only. */
class PassiveDataChannel {
  private connection: Promise<net.Socket>;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    controlPeer: string,
    private readonly registry: Set<net.Server>,
  ) {
    this.connection = new Promise<net.Socket>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close();
        reject(new Error('data connection timed out'));
      }, DATA_CONNECTION_TIMEOUT_MS);
      server.on('connection', (socket) => {
        // Only the control peer may connect (no FTP bounce into a third party).
        if (socket.remoteAddress !== controlPeer) return void socket.destroy();
        clearTimeout(timer);
        socket.on('error', () => socket.destroy());
        socket.setTimeout(DATA_CONNECTION_TIMEOUT_MS, () => socket.destroy());
        this.close();
        resolve(socket);
      });
      server.on('close', () => {
        clearTimeout(timer);
        reject(new Error('data channel closed'));
      });
    });
    this.connection.catch(() => undefined);
  }

  static async open(host: string, controlPeer: string, registry: Set<net.Server>): Promise<PassiveDataChannel> {
    const server = net.createServer();
    server.on('error', () => server.close());
    const port = await listen(server, 0, host);
    registry.add(server);
    return new PassiveDataChannel(server, port, controlPeer, registry);
  }

  async send(text: string): Promise<void> {
    const socket = await this.connection;
    await new Promise<void>((resolve) => socket.end(text, () => resolve()));
  }

  close(): void {
    this.registry.delete(this.server);
    this.server.close();
  }
}
