// Telnet: option negotiation (RFC 854, RFC 855) answered with refusals, and the classification of
// the text a server shows (which prompt is waiting). Pure.
import { printable } from '../../src/core/sanitize.js';

export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
export const SB = 250;
export const SE = 240;

type DecoderState = 'data' | 'iac' | 'option' | 'subnegotiation' | 'subnegotiation-iac';

/**
 * Splits a telnet byte stream into data and commands. Every WILL is answered DONT and every DO is
 * answered WONT (once per option and direction, so two refusing peers never loop); subnegotiations
 * are skipped. Keeps state across calls because a command can be split between two reads.
 */
export class TelnetDecoder {
  private state: DecoderState = 'data';
  private command = 0;
  private readonly refused = new Set<number>();

  feed(bytes: Uint8Array): { data: Uint8Array; reply: Uint8Array } {
    const data: number[] = [];
    const reply: number[] = [];
    for (const byte of bytes) {
      switch (this.state) {
        case 'data':
          if (byte === IAC) this.state = 'iac';
          else data.push(byte);
          break;
        case 'iac':
          if (byte === IAC) {
            data.push(IAC);
            this.state = 'data';
          } else if (byte === WILL || byte === WONT || byte === DO || byte === DONT) {
            this.command = byte;
            this.state = 'option';
          } else if (byte === SB) {
            this.state = 'subnegotiation';
          } else {
            // NOP, GA, AYT and friends carry no option byte.
            this.state = 'data';
          }
          break;
        case 'option':
          this.answer(this.command, byte, reply);
          this.state = 'data';
          break;
        case 'subnegotiation':
          if (byte === IAC) this.state = 'subnegotiation-iac';
          break;
        case 'subnegotiation-iac':
          this.state = byte === SE ? 'data' : 'subnegotiation';
          break;
      }
    }
    return { data: Uint8Array.from(data), reply: Uint8Array.from(reply) };
  }

  private answer(command: number, option: number, reply: number[]): void {
    if (command !== WILL && command !== DO) return;
    const answer = command === WILL ? DONT : WONT;
    const key = answer * 256 + option;
    if (this.refused.has(key)) return;
    this.refused.add(key);
    reply.push(IAC, answer, option);
  }
}

export type PromptKind = 'login' | 'password' | 'shell' | 'none';

export interface Screen {
  prompt: PromptKind;
  /** The printable text before the prompt line. */
  banner: string;
  /** The printable prompt line itself ('' when there is none). */
  promptLine: string;
}

const LOGIN_PROMPT = /(?:^|[^a-z])(?:login|username|user name)\s*:$/i;
const PASSWORD_PROMPT = /(?:^|[^a-z])(?:password|passcode)\s*:$/i;
const SHELL_PROMPT = /[#$>]$/;

/**
 * What the server is waiting for: the last line (a prompt has no line break after it) decides.
 * Text that ends with a line break has no prompt pending.
 */
export function classifyScreen(text: string): Screen {
  // eslint-disable-next-line no-control-regex
  const withoutEscapes = text.replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\u0000/g, '');
  const lines = withoutEscapes.split(/\r\n|\n|\r/);
  const lastLine = (lines.pop() ?? '').replace(/[ \t]+$/, '');
  const banner = printable(lines.join('\n'), 1024);
  const promptLine = printable(lastLine, 256);
  if (promptLine === '') return { prompt: 'none', banner: printable(withoutEscapes, 1024), promptLine: '' };
  let prompt: PromptKind = 'none';
  if (PASSWORD_PROMPT.test(promptLine)) prompt = 'password';
  else if (LOGIN_PROMPT.test(promptLine)) prompt = 'login';
  else if (SHELL_PROMPT.test(promptLine)) prompt = 'shell';
  if (prompt === 'none') return { prompt, banner: printable(withoutEscapes, 1024), promptLine: '' };
  return { prompt, banner, promptLine };
}

/** Data bytes as text: UTF-8 when valid, ISO-8859-1 otherwise (control characters stay for classifyScreen). */
export function decodeTelnetText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return text;
  }
}
