// HTTP strategy `form-login`: POST the pair the way the login page's form would, and count a
// login only on a positive sign that a wrong pair does not get (a redirect away from the login
// page, or a cookie the wrong pair was not given) with the login form gone from the answer.
// Params: `path` (the login page), `user-field` and `password-field` (read from the page's form
// when not given). The wrong-pair baseline is one login attempt, so it is measured once per
// service (by requiresLogin) and kept; redirects are never followed and cookies never sent back.
import type { Failure, HttpResponse } from '../../src/engine/net.js';
import type { AttemptOutcome, Credential, CredentialContext, LoginRequirement } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { hasPasswordInput } from '../http/codec.js';
import { hostHeader } from '../http/probe.js';
import { Baselines, LOCKOUT_TEXT, evidenceText, throwawayName, unreachable } from './common.js';
import { bodyText, protectedPath, send } from './http-request.js';
import type { HttpStrategy } from './http-request.js';

interface LoginForm {
  userField: string;
  passwordField: string;
  /** Where the pair is POSTed: the form's action on the same server, else the login page. */
  action: string;
}

/** What a POST answer shows, reduced to the signs that are compared. */
interface FormAnswer {
  status: number;
  /** Path of a redirect on this server, if the answer is one (the query may hold a session id: never kept). */
  redirectPathname?: string;
  /** Names of cookies set with a value (deleted or expired ones do not count). */
  cookies: string[];
  formShown: boolean;
  lockoutWording: boolean;
}

interface FormBaseline {
  form: LoginForm;
  wrongPair: FormAnswer;
}

const baselines = new Baselines<FormBaseline>();
const MAX_COOKIES = 32;

function baselineKey(ctx: CredentialContext): string {
  const { address, port } = ctx.subject;
  return [address, port, protectedPath(ctx), ctx.params['user-field'] ?? '', ctx.params['password-field'] ?? ''].join('|');
}

type Measured<T> = { ok: true; value: T } | { ok: false; requirement: LoginRequirement };

/** GETs the login page and finds the form: its field names (unless params name them) and action. */
async function readLoginForm(ctx: CredentialContext): Promise<Measured<LoginForm>> {
  const path = protectedPath(ctx);
  const page = await send(ctx);
  if (!page.ok) return { ok: false, requirement: unreachable(page) };
  const html = bodyText(page);
  if (page.status < 200 || page.status >= 300 || !hasPasswordInput(html)) {
    const what = page.status === 401 ? 'asks for HTTP authentication, not a form' : `${page.status} without a password field`;
    return { ok: false, requirement: { kind: 'unreachable', status: 'protocol-mismatch', detail: `${path}: ${what}` } };
  }
  const found = formOnPage(html);
  const userField = ctx.params['user-field'] ?? found.userField;
  const passwordField = ctx.params['password-field'] ?? found.passwordField;
  if (userField === undefined || passwordField === undefined) {
    return { ok: false, requirement: { kind: 'unreachable', status: 'protocol-mismatch', detail: `${path}: login form without named user and password fields` } };
  }
  const action = found.action === undefined ? undefined : onDevice(ctx, found.action, path);
  return { ok: true, value: { userField, passwordField, action: action === undefined ? path : `${action.pathname}${action.search}` } };
}

function post(ctx: CredentialContext, form: LoginForm, credential: Credential): Promise<HttpResponse | Failure> {
  const body = `${encodeURIComponent(form.userField)}=${encodeURIComponent(credential.username)}&${encodeURIComponent(form.passwordField)}=${encodeURIComponent(credential.password)}`;
  return send(ctx, { method: 'POST', path: form.action, form: body });
}

function answerOf(ctx: CredentialContext, response: HttpResponse, requestPath: string): FormAnswer {
  const html = bodyText(response);
  const answer: FormAnswer = { status: response.status, cookies: cookiesSet(response.headers['set-cookie']), formShown: hasPasswordInput(html), lockoutWording: LOCKOUT_TEXT.test(html) };
  const location = response.headers['location'];
  if (response.status >= 300 && response.status < 400 && location !== undefined) {
    const target = onDevice(ctx, location, requestPath);
    if (target !== undefined) answer.redirectPathname = target.pathname;
  }
  return answer;
}

async function measureBaseline(ctx: CredentialContext): Promise<Measured<FormBaseline>> {
  const form = await readLoginForm(ctx);
  if (!form.ok) return form;
  const response = await post(ctx, form.value, { username: throwawayName(), password: throwawayName() });
  if (!response.ok) return { ok: false, requirement: unreachable({ status: response.status, detail: `wrong-pair POST failed${response.detail === undefined ? '' : `: ${response.detail}`}` }) };
  if (response.status === 429 || response.status === 503) {
    return { ok: false, requirement: { kind: 'unreachable', status: 'protocol-mismatch', detail: `wrong-pair POST got ${response.status}: the device is refusing logins for now` } };
  }
  const baseline: FormBaseline = { form: form.value, wrongPair: answerOf(ctx, response, form.value.action) };
  baselines.remember(baselineKey(ctx), baseline);
  return { ok: true, value: baseline };
}

function describe(answer: FormAnswer): string {
  const parts = [answer.redirectPathname === undefined ? String(answer.status) : `${answer.status} to ${answer.redirectPathname}`];
  if (answer.cookies.length > 0) parts.push(`cookie ${answer.cookies.join(',')}`);
  if (answer.formShown) parts.push('the login form');
  return parts.join(' with ');
}

export const formLogin: HttpStrategy = {
  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const measured = await measureBaseline(ctx);
    if (!measured.ok) return measured.requirement;
    const { form, wrongPair } = measured.value;
    return {
      kind: 'login-required',
      detail: printable(`login form on ${protectedPath(ctx)} (fields ${form.userField}/${form.passwordField}, POST ${form.action}); a wrong pair gets ${describe(wrongPair)}`, 400),
    };
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    let baseline = baselines.recall(baselineKey(ctx));
    if (baseline === undefined) {
      const measured = await measureBaseline(ctx);
      if (!measured.ok) return { kind: 'abort', reason: measured.requirement.detail ?? measured.requirement.kind };
      baseline = measured.value;
    }
    const { form, wrongPair } = baseline;
    const response = await post(ctx, form, credential);
    if (!response.ok) return { kind: 'abort', reason: `POST failed: ${response.status}` };
    if (response.status === 429 || response.status === 503) return { kind: 'back-off', reason: `status ${response.status}` };
    const answer = answerOf(ctx, response, form.action);
    // Wording the wrong pair's page did not have: the device has started refusing logins.
    if (answer.lockoutWording && !wrongPair.lockoutWording) return { kind: 'back-off', reason: `status ${response.status} with lockout wording` };
    // No such target, or it takes no POST: the form was misread, and no pair will do better.
    if (response.status >= 500 || response.status === 404 || response.status === 405) return { kind: 'abort', reason: `unexpected status ${response.status} from POST ${form.action}` };
    if (response.status >= 400) return { kind: 'rejected' };

    const signs: string[] = [];
    const loginPaths = new Set([protectedPath(ctx), form.action].map((path) => onDevice(ctx, path, '/')?.pathname));
    if (answer.redirectPathname !== undefined && !loginPaths.has(answer.redirectPathname) && answer.redirectPathname !== wrongPair.redirectPathname) {
      signs.push(`redirect to ${answer.redirectPathname}`);
    }
    const newCookies = answer.cookies.filter((name) => !wrongPair.cookies.includes(name));
    if (newCookies.length > 0) signs.push(`new cookie ${newCookies.join(',')}`);
    if (signs.length === 0 || answer.formShown) return { kind: 'rejected' };
    return { kind: 'success', evidence: evidenceText(`POST ${form.action}: ${response.status}, ${signs.join(', ')}, no login form; a wrong pair got ${describe(wrongPair)}`, credential, 400) };
  },
};

/** Names of the cookies a Set-Cookie value (several joined with ", ") sets to a live value. */
export function cookiesSet(header: string | undefined, now = Date.now()): string[] {
  if (header === undefined) return [];
  const names = new Set<string>();
  // Commas also occur inside Expires dates; a new cookie starts where `, name=` follows.
  for (const cookie of header.split(/,\s*(?=[!#$%&'*+.^_`|~0-9A-Za-z-]+=)/)) {
    const [pair = '', ...attributes] = cookie.split(';');
    const equals = pair.indexOf('=');
    if (equals <= 0) continue;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1');
    if (value === '' || value.toLowerCase() === 'deleted') continue;
    const expired = attributes.some((attribute) => {
      const maxAge = /^\s*max-age\s*=\s*(-?\d+)/i.exec(attribute);
      if (maxAge !== null) return Number(maxAge[1]) <= 0;
      const expires = /^\s*expires\s*=\s*(.+)$/i.exec(attribute);
      return expires !== null && Date.parse(expires[1] ?? '') < now;
    });
    if (!expired) names.add(printable(name, 64));
    if (names.size >= MAX_COOKIES) break;
  }
  return [...names];
}

/** Field names and action of the form that holds the password input, if the page has one. */
export function formOnPage(html: string): { userField?: string; passwordField?: string; action?: string } {
  const forms = [...html.matchAll(/<form\b([^>]{0,2048})>([\s\S]*?)(?:<\/form\s*>|$)/gi)];
  const holder = forms.find((match) => hasPasswordInput(match[2] ?? ''));
  const inputs = [...(holder?.[2] ?? html).matchAll(/<input\b([^>]{0,2048})>/gi)].map((match) => attributesOf(match[1] ?? ''));
  const named = (input: Record<string, string>): string | undefined => (input['name'] === '' ? undefined : input['name']);
  const passwordIndex = inputs.findIndex((input) => input['type']?.toLowerCase() === 'password' && named(input) !== undefined);
  const found: { userField?: string; passwordField?: string; action?: string } = {};
  const passwordField = passwordIndex < 0 ? undefined : named(inputs[passwordIndex] ?? {});
  if (passwordField === undefined) return found;
  found.passwordField = passwordField;
  // The user name is the nearest text-like input before the password.
  const userInput = inputs
    .slice(0, passwordIndex)
    .reverse()
    .find((input) => named(input) !== undefined && ['text', 'email', 'tel', undefined].includes(input['type']?.toLowerCase()));
  const userField = userInput === undefined ? undefined : named(userInput);
  if (userField !== undefined) found.userField = userField;
  const action = holder === undefined ? undefined : attributesOf(holder[1] ?? '')['action'];
  if (action !== undefined && action !== '') found.action = action;
  return found;
}

function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    const name = (match[1] ?? '').toLowerCase();
    if (!(name in attributes)) attributes[name] = match[2] ?? match[3] ?? match[4] ?? '';
  }
  return attributes;
}

/**
 * A location or form action resolved against the path it came with, when it points at this
 * device (relative, or absolute with the device's address, whatever scheme or port).
 */
function onDevice(ctx: CredentialContext, reference: string, base: string): URL | undefined {
  try {
    // A URL cannot carry an IPv6 zone; the zone names our interface, not the device, so it goes.
    const origin = `http://${hostHeader(ctx.subject.address.replace(/%.*$/, ''), ctx.subject.port)}`;
    const url = new URL(reference, `${origin}${base}`);
    return url.hostname === new URL(origin).hostname ? url : undefined;
  } catch {
    return undefined;
  }
}
