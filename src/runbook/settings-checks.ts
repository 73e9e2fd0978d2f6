// Guide steps 3.3–3.6 (and the settings side of step 5): look at the copies of each host's
// /etc/synnefo instead of trusting a "yes". Tokens are never shown: only their length and a
// short fingerprint.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { basename } from 'node:path';
import type pg from 'pg';
import type { Check, StepModule } from '../core/step.js';
import { ensureSecretsTable } from '../db/secrets.js';
import { EXIT, UserError } from '../errors.js';
import {
  formatPyValue, KNOWN_RESOURCES, loadDirs, PyDict, pyString, typeName,
  type Assignment, type Host, type Loaded, type PyValue, type QuotaSettings, type SettingsDir, type SettingsDirs,
} from '../core/settings/index.js';

export { quotaSettings } from '../core/settings/index.js';
export type { QuotaSettings, SettingsDirs } from '../core/settings/index.js';

export type SettingsStep = '3.3' | '3.4' | '3.5' | '3.6';
export const SETTINGS_STEPS: readonly SettingsStep[] = ['3.3', '3.4', '3.5', '3.6'];
export const isSettingsStep = (id: string | undefined): id is SettingsStep => (SETTINGS_STEPS as readonly (string | undefined)[]).includes(id);

export interface CheckOptions {
  /** TCP connect timeout for the memcached check (default 1500 ms). */
  connectTimeoutMs?: number;
}

/** The quotaholder token of the guide's example: never acceptable. */
export const GUIDE_EXAMPLE_TOKEN = 'aExampleTokenJbFm12w';

/** A random url-safe token of 32 characters (24 random bytes). */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** What may be shown of a secret: "sha256:1a2b3c4d". */
export function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 8)}`;
}

/**
 * How a hidden secret shows in the snippets: not Python, so a pasted hidden line fails loudly
 * instead of setting a wrong value. HOW names the way to see it (wizard: "t").
 */
export const hiddenSecret = (value: string, how: string): string => `<hidden ${fingerprint(value)}, ${how} shows it>`;

/** TEXT with every secret's literal (quoted or bare) replaced by its hidden form. */
export function hideSecrets(text: string, secrets: readonly { value: string }[], how: string): string {
  let out = text;
  for (const { value } of secrets) {
    if (!value) continue;
    for (const literal of [pyString(value), `"${value}"`, value]) out = out.split(literal).join(hiddenSecret(value, how));
  }
  return out;
}

const HOSTS_OF: Record<SettingsStep, Host[]> = {
  '3.3': ['astakos', 'cyclades', 'pithos'],
  '3.4': ['astakos'],
  '3.5': ['cyclades'],
  '3.6': ['pithos'],
};

// ---------------------------------------------------------------------------------------
// Reading values

const where = (a: Assignment): string => `${basename(a.file)}:${a.line}`;

function truthy(v: PyValue): boolean {
  if (v === null || v === false || v === 0n || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PyDict) return v.size > 0;
  if (typeof v === 'object') return v.size > 0;
  return true;
}

/** URL without credentials, for showing. */
function showUrl(s: string): string {
  try {
    const u = new URL(s);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return pyString(s.length > 80 ? `${s.slice(0, 80)}…` : s);
  }
}

class Host_ {
  constructor(readonly host: Host, readonly dir: SettingsDir) {}
  get(name: string): Assignment | undefined {
    return this.dir.settings.get(name);
  }
  notSet(name: string): string {
    return `${name} is not set in ${this.dir.dir}`;
  }
}

type Hosts = { [H in Host]?: Host_ };

/** A string setting, or why it is not usable (never the value itself). */
function stringSetting(h: Host_, name: string): { a: Assignment; value: string } | { a?: Assignment; why: string } {
  const a = h.get(name);
  if (!a) return { why: h.notSet(name) };
  if (a.value === undefined) return { a, why: `${where(a)}: the tool cannot evaluate it (${a.unsupported}); write it as a plain string` };
  if (typeof a.value !== 'string') return { a, why: `${where(a)}: a ${typeName(a.value)}, not a string` };
  if (a.value === '') return { a, why: `${where(a)}: empty` };
  return { a, value: a.value };
}

// ---------------------------------------------------------------------------------------
// Check builders

function secretCheck(h: Host_, name: string, hint?: string): { check: Check; value?: string } {
  const label = `${h.host}: ${name} set`;
  const s = stringSetting(h, name);
  if ('why' in s) return { check: { label, ok: false, detail: hint ? `${s.why}; ${hint}` : s.why } };
  if (s.value === GUIDE_EXAMPLE_TOKEN) {
    return { check: { label, ok: false, detail: `${where(s.a)}: this is the guide's example token; use a random one` } };
  }
  return {
    check: { label, ok: true, detail: `${where(s.a)}: ${s.value.length} characters, ${fingerprint(s.value)}` },
    value: s.value,
  };
}

function boolCheck(h: Host_, name: string, want: boolean, dflt: boolean, why: string): Check {
  const label = `${h.host}: ${name} = ${want ? 'True' : 'False'}`;
  const a = h.get(name);
  if (!a) {
    return { label, ok: dflt === want, detail: `not set (0.13 default ${dflt ? 'True' : 'False'})${dflt === want ? '' : `; ${why}`}` };
  }
  if (a.value === undefined) return { label, ok: false, detail: `${where(a)}: the tool cannot evaluate it (${a.unsupported})` };
  const ok = truthy(a.value) === want;
  return { label, ok, detail: `${where(a)}: ${formatPyValue(a.value)}${ok ? '' : `; ${why}`}` };
}

function urlCheck(h: Host_, name: string, opts: { endsWith?: string[]; why?: string } = {}): { check: Check; value?: string } {
  const want = opts.endsWith;
  const label = want ? `${h.host}: ${name} ends in ${want[0]}` : `${h.host}: ${name} set`;
  const s = stringSetting(h, name);
  if ('why' in s) return { check: { label, ok: false, detail: opts.why ? `${s.why}; ${opts.why}` : s.why } };
  let u: URL;
  try {
    u = new URL(s.value);
  } catch {
    return { check: { label, ok: false, detail: `${where(s.a)}: ${showUrl(s.value)} is not a URL` } };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return { check: { label, ok: false, detail: `${where(s.a)}: ${showUrl(s.value)} is not an http(s) URL` } };
  }
  if (want && !want.some((w) => u.pathname.endsWith(w))) {
    return { check: { label, ok: false, detail: `${where(s.a)}: ${showUrl(s.value)} must end in ${want[0]}` } };
  }
  return { check: { label, ok: true, detail: `${where(s.a)}: ${showUrl(s.value)}` }, value: s.value };
}

function sameCheck(label: string, values: { name: string; value?: string }[], show: (v: string) => string,
  unchecked: Host[]): Check {
  const missing = values.filter((v) => v.value === undefined).map((v) => v.name);
  const present = values.filter((v): v is { name: string; value: string } => v.value !== undefined);
  const tail = unchecked.length ? ` (${unchecked.join(', ')} not checked here)` : '';
  if (missing.length) return { label, ok: false, detail: `cannot compare: ${missing.join(', ')} not usable (see above)${tail}` };
  const distinct = [...new Set(present.map((v) => v.value))];
  if (distinct.length <= 1) {
    return { label, ok: true, detail: `${present.length} settings agree${distinct[0] !== undefined ? `: ${show(distinct[0])}` : ''}${tail}` };
  }
  return {
    label, ok: false,
    detail: `they differ: ${distinct.map((d) => `${present.filter((p) => p.value === d).map((p) => p.name).join(', ')} = ${show(d)}`).join('; ')}`,
  };
}

/** The addresses of a Django 1.2 CACHE_BACKEND memcached URL, or why it is not one. */
export function memcachedAddresses(backend: string): { host: string; port: number }[] | { error: string } {
  const scheme = 'memcached://';
  if (!backend.startsWith(scheme)) {
    const s = backend.indexOf('://');
    return { error: `uses ${s > 0 ? backend.slice(0, s + 3) : pyString(backend)}, not memcached://` };
  }
  let rest = backend.slice(scheme.length);
  for (const stop of ['/', '?']) {
    const i = rest.indexOf(stop);
    if (i >= 0) rest = rest.slice(0, i);
  }
  const out: { host: string; port: number }[] = [];
  for (const part of rest.split(';').map((p) => p.trim()).filter(Boolean)) {
    let host = part;
    let port = '11211';
    if (part.startsWith('[')) {
      const close = part.indexOf(']');
      if (close < 0) return { error: `bad address ${part}` };
      host = part.slice(1, close);
      if (part[close + 1] === ':') port = part.slice(close + 2);
    } else if (part.startsWith('unix:')) {
      return { error: `${part} is a unix socket; it must be reachable over TCP from every cyclades worker` };
    } else {
      const c = part.lastIndexOf(':');
      if (c >= 0) {
        host = part.slice(0, c);
        port = part.slice(c + 1);
      }
    }
    const p = Number(port);
    if (!host || !Number.isInteger(p) || p < 1 || p > 65535 || port.trim() !== port || port === '') {
      return { error: `bad address ${part}` };
    }
    out.push({ host, port: p });
  }
  if (!out.length) return { error: 'names no server' };
  return out;
}

/** Opens and closes a TCP connection to HOST:PORT. */
export function tcpReachable(host: string, port: number, timeoutMs: number): Promise<{ ok: true; ms: number } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ host, port });
    let done = false;
    const finish = (r: { ok: true; ms: number } | { ok: false; error: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => finish({ ok: true, ms: Date.now() - started }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ?? err.message }));
  });
}

async function memcachedChecks(h: Host_, timeoutMs: number): Promise<Check[]> {
  const label = `${h.host}: VMAPI_CACHE_BACKEND is memcached`;
  let a = h.get('VMAPI_CACHE_BACKEND');
  let via = '';
  if (!a && h.get('CACHE_BACKEND')) {
    a = h.get('CACHE_BACKEND');
    via = ' (VMAPI_CACHE_BACKEND is not set: Django\'s CACHE_BACKEND is used)';
  }
  if (!a) return [{ label, ok: false, detail: `${h.notSet('VMAPI_CACHE_BACKEND')}; set it to "memcached://<host>:11211/?timeout=3600"` }];
  if (a.value === undefined) return [{ label, ok: false, detail: `${where(a)}: the tool cannot evaluate it (${a.unsupported})` }];
  if (typeof a.value !== 'string') return [{ label, ok: false, detail: `${where(a)}: a ${typeName(a.value)}, not a string` }];
  const addrs = memcachedAddresses(a.value);
  if ('error' in addrs) {
    return [{ label, ok: false, detail: `${where(a)}${via}: ${addrs.error}; VMAPI needs a cache shared by all cyclades workers` }];
  }
  const checks: Check[] = [{ label, ok: true, detail: `${where(a)}${via}: ${pyString(a.value)}` }];
  for (const { host, port } of addrs) {
    const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const r = await tcpReachable(host, port, timeoutMs);
    const loopback = /^(127\.|localhost$|::1$)/.test(host);
    checks.push({
      label: `${h.host}: memcached reachable at ${addr}`,
      ok: r.ok,
      // A loopback address is the cyclades host's own: this machine can only judge it when
      // it is that host, so the check informs but does not block.
      advisory: loopback && !r.ok ? true : undefined,
      detail: r.ok
        ? `connected from this machine in ${r.ms} ms`
        : `cannot connect to ${addr} from this machine (${r.error}); start memcached there (apt-get install memcached) and make it reachable from every cyclades worker`,
    });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------
// The steps

function step33(hs: Hosts, unchecked: Host[]): Check[] {
  const checks: Check[] = [];
  const tokens: { name: string; value?: string }[] = [];
  const urls: { name: string; value?: string }[] = [];
  const mismatch = 'every quotaholder call fails with "invalid token" otherwise';
  const { astakos, cyclades, pithos } = hs;
  if (astakos) {
    const qh = secretCheck(astakos, 'QUOTAHOLDER_TOKEN', 'the quotaholder answers every request with HTTP 500 without it');
    const at = secretCheck(astakos, 'ASTAKOS_QUOTAHOLDER_TOKEN', mismatch);
    checks.push(qh.check, at.check);
    tokens.push({ name: 'QUOTAHOLDER_TOKEN', value: qh.value }, { name: 'ASTAKOS_QUOTAHOLDER_TOKEN', value: at.value });
  }
  if (cyclades) {
    const t = secretCheck(cyclades, 'CYCLADES_QUOTAHOLDER_TOKEN', mismatch);
    checks.push(t.check);
    tokens.push({ name: 'CYCLADES_QUOTAHOLDER_TOKEN', value: t.value });
  }
  if (pithos) {
    const t = secretCheck(pithos, 'PITHOS_QUOTAHOLDER_TOKEN', mismatch);
    checks.push(t.check);
    tokens.push({ name: 'PITHOS_QUOTAHOLDER_TOKEN', value: t.value });
  }
  if (tokens.length) checks.push(sameCheck('one quotaholder token everywhere', tokens, fingerprint, unchecked));

  const qhUrl = { endsWith: ['/quotaholder/v'] };
  for (const [h, name] of [[astakos, 'ASTAKOS_QUOTAHOLDER_URL'], [cyclades, 'CYCLADES_QUOTAHOLDER_URL'], [pithos, 'PITHOS_QUOTAHOLDER_URL']] as const) {
    if (!h) continue;
    const u = urlCheck(h, name, qhUrl);
    checks.push(u.check);
    urls.push({ name, value: u.value });
  }
  if (urls.length) {
    const same = sameCheck('one quotaholder URL everywhere', urls, showUrl, unchecked);
    const plain = astakos?.get('QUOTAHOLDER_URL');
    const first = urls.find((u) => u.value)?.value;
    if (plain && typeof plain.value === 'string' && first && plain.value !== first) {
      same.detail += `; QUOTAHOLDER_URL (${where(plain)}) differs, but no 0.13 code reads it`;
    }
    checks.push(same);
  }
  if (cyclades) {
    checks.push(boolCheck(cyclades, 'CYCLADES_USE_QUOTAHOLDER', true, false,
      'cyclades must use the quotaholder (cyclades-reset-usage in step 9.2 needs it)'));
  }
  if (pithos) checks.push(pithosQuotaholderOff(pithos));
  return checks;
}

function pithosQuotaholderOff(pithos: Host_): Check {
  return boolCheck(pithos, 'PITHOS_USE_QUOTAHOLDER', false, false,
    'it must stay False during the migration (set it to True after step 6.4)');
}

function emailOk(v: string): boolean {
  const at = v.lastIndexOf('@');
  return at > 0 && at < v.length - 1;
}

function step34(astakos: Host_): Check[] {
  const checks: Check[] = [
    boolCheck(astakos, 'ASTAKOS_EMAILCHANGE_ENABLED', true, false, 'the guide enables email change in 0.13'),
  ];
  const oldFrom = astakos.get('ASTAKOS_DEFAULT_FROM_EMAIL');
  const server = stringSetting(astakos, 'SERVER_EMAIL');
  const label = 'astakos: SERVER_EMAIL set (replaces ASTAKOS_DEFAULT_FROM_EMAIL)';
  if ('why' in server) {
    const hint = oldFrom
      ? `rename ASTAKOS_DEFAULT_FROM_EMAIL (${where(oldFrom)}) to SERVER_EMAIL: 0.13 no longer reads it`
      : 'astakos mails would come from root@localhost';
    checks.push({ label, ok: false, detail: `${server.why}; ${hint}` });
  } else {
    checks.push({
      label, ok: true,
      detail: `${where(server.a)}: ${pyString(server.value)}${oldFrom ? `; ASTAKOS_DEFAULT_FROM_EMAIL (${where(oldFrom)}) is no longer read: remove it` : ''}`,
    });
  }

  const oldAdmin = astakos.get('ASTAKOS_DEFAULT_ADMIN_EMAIL');
  const adminsLabel = 'astakos: ADMINS non-empty (replaces ASTAKOS_DEFAULT_ADMIN_EMAIL)';
  const admins = astakos.get('ADMINS');
  const oldHint = oldAdmin && typeof oldAdmin.value === 'string'
    ? `; put ${pyString(oldAdmin.value)} (ASTAKOS_DEFAULT_ADMIN_EMAIL, ${where(oldAdmin)}, no longer read) into ADMINS = (('Name', 'email'),)`
    : '; add ADMINS = ((\'Name\', \'email\'),): admins are told about new accounts and applications';
  if (!admins) checks.push({ label: adminsLabel, ok: false, detail: `${astakos.notSet('ADMINS')}${oldHint}` });
  else if (admins.value === undefined) {
    checks.push({ label: adminsLabel, ok: false, detail: `${where(admins)}: the tool cannot evaluate it (${admins.unsupported})` });
  } else {
    const v = admins.value;
    const items = Array.isArray(v) ? v : undefined;
    const bad = items?.filter((p) => !(Array.isArray(p) && p.length === 2 && typeof p[0] === 'string'
      && typeof p[1] === 'string' && emailOk(p[1])));
    if (!items) checks.push({ label: adminsLabel, ok: false, detail: `${where(admins)}: a ${typeName(v)}, not a tuple of (name, email) pairs` });
    else if (!items.length) checks.push({ label: adminsLabel, ok: false, detail: `${where(admins)}: empty${oldHint}` });
    else if (bad!.length) {
      checks.push({ label: adminsLabel, ok: false, detail: `${where(admins)}: ${bad!.length} entr${bad!.length === 1 ? 'y is' : 'ies are'} not a (name, email) pair, e.g. ${formatPyValue(bad![0]!)}` });
    } else {
      checks.push({
        label: adminsLabel, ok: true,
        detail: `${where(admins)}: ${items.map((p) => (p as string[])[1]).join(', ')}${oldAdmin ? `; ASTAKOS_DEFAULT_ADMIN_EMAIL (${where(oldAdmin)}) is no longer read: remove it` : ''}`,
      });
    }
  }

  const contact = stringSetting(astakos, 'ASTAKOS_DEFAULT_CONTACT_EMAIL');
  const contactLabel = 'astakos: ASTAKOS_DEFAULT_CONTACT_EMAIL set to your own address';
  if ('why' in contact) {
    checks.push({ label: contactLabel, ok: false, detail: `${contact.why}; 0.13's default is support@example.synnefo.org, where feedback and helpdesk mail would go` });
  } else if (contact.value.toLowerCase().endsWith('example.synnefo.org') || !emailOk(contact.value)) {
    checks.push({ label: contactLabel, ok: false, detail: `${where(contact.a)}: ${pyString(contact.value)} is not a real support address` });
  } else {
    checks.push({ label: contactLabel, ok: true, detail: `${where(contact.a)}: ${pyString(contact.value)}` });
  }
  return checks;
}

async function step35(cyclades: Host_, timeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [
    secretCheck(cyclades, 'CYCLADES_ASTAKOS_SERVICE_TOKEN',
      'it is the auth_token of the cyclades service (snf-manage service-list on the astakos host); step 6.3 needs it').check,
  ];
  const au = stringSetting(cyclades, 'ASTAKOS_URL');
  const auLabel = 'cyclades: ASTAKOS_URL points at astakos (…/im/authenticate)';
  if ('why' in au) {
    checks.push({ label: auLabel, ok: false, detail: `${au.why}; the 0.13 default is GRNET's https://astakos.okeanos.grnet.gr/im/authenticate` });
  } else {
    const ok = au.value.includes('im/authenticate');
    checks.push({ label: auLabel, ok, detail: `${where(au.a)}: ${showUrl(au.value)}${ok ? '' : '; the user lookup of step 6.3 derives the user_catalogs URL from it and needs im/authenticate in it'}` });
  }
  checks.push(...await memcachedChecks(cyclades, timeoutMs));
  checks.push(urlCheck(cyclades, 'VMAPI_BASE_URL', { why: 'set it to the base URL of cyclades, the exact domain (no redirects)' }).check);
  return checks;
}

function step36(pithos: Host_, astakos?: Host_): Check[] {
  const checks: Check[] = [];
  const catalog = urlCheck(pithos, 'PITHOS_USER_CATALOG_URL', { endsWith: ['/user_catalogs/', '/user_catalogs'] });
  if (catalog.value) {
    const qh = ['PITHOS_QUOTAHOLDER_URL', 'ASTAKOS_QUOTAHOLDER_URL']
      .map((n) => (n.startsWith('PITHOS') ? pithos : astakos)?.get(n)?.value)
      .find((v): v is string => typeof v === 'string');
    try {
      const qhHost = qh ? new URL(qh).host : undefined;
      const host = new URL(catalog.value).host;
      if (qhHost && qhHost !== host) {
        catalog.check.detail += `; note: its host ${host} differs from the quotaholder's ${qhHost}: it must be astakos itself, not the pithos proxy`;
      }
    } catch { /* not URLs: reported elsewhere */ }
  }
  checks.push(catalog.check);
  checks.push(urlCheck(pithos, 'PITHOS_USER_FEEDBACK_URL').check, urlCheck(pithos, 'PITHOS_USER_LOGIN_URL').check);
  checks.push(secretCheck(pithos, 'PITHOS_SERVICE_TOKEN',
    'pithos-migrate upgrade head (step 6.4) needs it and the guide never says so: it is the auth_token of the pithos+ service (snf-manage service-list)').check);
  const users = pithos.get('PITHOS_AUTHENTICATION_USERS');
  const label = 'pithos: PITHOS_AUTHENTICATION_USERS empty';
  if (!users) checks.push({ label, ok: true, detail: 'not set (default {})' });
  else if (users.value === undefined) {
    checks.push({ label, ok: false, detail: `${where(users)}: the tool cannot evaluate it (${users.unsupported}); it must be empty during step 6.4` });
  } else {
    const n = users.value instanceof PyDict ? users.value.size : undefined;
    const ok = !truthy(users.value);
    checks.push({
      label, ok,
      detail: ok ? `${where(users)}: empty`
        : `${where(users)}: ${n !== undefined ? `${n} entr${n === 1 ? 'y' : 'ies'}` : `a non-empty ${typeName(users.value)}`}; with it set every astakos lookup returns names unchanged and step 6.4 silently migrates nothing: set it to {}`,
    });
  }
  checks.push(pithosQuotaholderOff(pithos));
  return checks;
}

/**
 * The checks of settings step STEP over the configured folders (a folder that is not
 * configured is reported, not failed: check that host by hand).
 */
export async function checkSettings(step: SettingsStep, dirs: SettingsDirs, options: CheckOptions = {}): Promise<Check[]> {
  const timeoutMs = options.connectTimeoutMs ?? 1500;
  const wanted = HOSTS_OF[step];
  const extra: Host[] = step === '3.6' && dirs.astakos ? ['astakos'] : [];
  const loaded: Loaded = loadDirs(Object.fromEntries([...wanted, ...extra].map((h) => [h, dirs[h]])));
  const checks: Check[] = [];
  const hs: Hosts = {};
  const unchecked: Host[] = [];
  for (const h of wanted) {
    const l = loaded[h];
    if (!l) {
      unchecked.push(h);
      checks.push({ label: `${h} settings not checked`, ok: true, detail: `no ${h} settings folder is configured: check /etc/synnefo on the ${h} host by hand` });
    } else if ('error' in l) {
      checks.push({ label: `${h} settings readable`, ok: false, detail: l.error });
    } else if (!l.files.length) {
      checks.push({ label: `${h} settings readable`, ok: false, detail: `no *.conf file in ${l.dir}` });
    } else {
      hs[h] = new Host_(h, l);
      const blind = l.notes.filter((x) => x.text.includes('import *'));
      if (blind.length) {
        checks.push({
          label: `${h}: statements the tool cannot follow`, ok: true,
          detail: `${blind.map((x) => `${basename(x.file)}:${x.line}: ${x.text}`).join('; ')}: check by hand that they set nothing checked here`,
        });
      }
    }
  }
  const astakosForCompare = loaded.astakos && !('error' in loaded.astakos) ? new Host_('astakos', loaded.astakos) : undefined;
  switch (step) {
    case '3.3': checks.push(...step33(hs, unchecked)); break;
    case '3.4': if (hs.astakos) checks.push(...step34(hs.astakos)); break;
    case '3.5': if (hs.cyclades) checks.push(...await step35(hs.cyclades, timeoutMs)); break;
    case '3.6': if (hs.pithos) checks.push(...step36(hs.pithos, astakosForCompare)); break;
  }
  return checks;
}

/** The runbook module of a settings step: its checks gate `confirm`. */
export function settingsStep(step: SettingsStep, options: CheckOptions = {}): StepModule {
  return {
    async verify(ctx) {
      const c = ctx.config;
      return checkSettings(step, { astakos: c.astakos.settings, cyclades: c.cyclades.settings, pithos: c.pithos.settings }, options);
    },
  };
}

/**
 * Step 5: ASTAKOS_SERVICES against what 0.13 needs and against the 0.12 defaults it replaces
 * (a lower uplimit silently lowers every user without an override).
 */
export function servicesChecks(q: QuotaSettings): Check[] {
  const s = q.astakosServices;
  const at = s.file ? `${basename(s.file)}:${s.line}` : s.isDefault ? 'not set (astakos default)' : '';
  if (!s.value) return [{ label: 'astakos: ASTAKOS_SERVICES readable', ok: false, detail: s.problem }];
  const checks: Check[] = [{
    label: 'astakos: ASTAKOS_SERVICES well-formed', ok: q.servicesProblems.length === 0,
    detail: q.servicesProblems.length ? `${at}: ${q.servicesProblems.join('; ')}` : at,
  }];
  const names = s.value.map((x) => x.name);
  const byName = new Map(s.value.flatMap((x) => x.resources).map((r) => [r.fullName, r]));
  checks.push({
    label: 'astakos: services are named "cyclades" and "pithos+"',
    ok: names.includes('cyclades') && names.includes('pithos+') && !names.includes('pithos'),
    detail: `${names.map((n) => pyString(n)).join(', ')}${names.includes('pithos') ? '; "pithos" must be "pithos+" (and the existing service renamed before astakos-init)' : ''}`,
  });
  const missing = KNOWN_RESOURCES.filter((r) => !byName.has(r));
  checks.push({
    label: 'astakos: every resource cyclades and pithos use is defined',
    ok: missing.length === 0,
    detail: missing.length ? `missing: ${missing.join(', ')} (commissions for them would fail)` : KNOWN_RESOURCES.join(', '),
  });
  const noLimit = [...byName.values()].filter((r) => r.uplimit === undefined).map((r) => r.fullName);
  checks.push({
    label: 'astakos: every resource has an uplimit',
    ok: noLimit.length === 0,
    detail: noLimit.length ? `${noLimit.join(', ')}: a missing uplimit means a default limit of 0` : 'yes',
  });
  const keep = (full: string, old: FoundLike, oldName: string, zeroUnlimited = false): void => {
    const r = byName.get(full);
    const label = `astakos: ${full} default not lower than 0.12's ${oldName}`;
    if (old.value === undefined) {
      checks.push({ label, ok: false, detail: `cannot read ${oldName}: ${old.problem}` });
      return;
    }
    if (!r || r.uplimit === undefined) return;
    const oldText = `${old.value}${old.isDefault ? ' (default)' : ''}`;
    if (zeroUnlimited && old.value === 0n) {
      checks.push({ label, ok: false, detail: `${oldName} is 0 (unlimited) in 0.12; ${full} uplimit ${r.uplimit} is a limit` });
      return;
    }
    const ok = r.uplimit >= old.value;
    checks.push({ label, ok, detail: `${r.uplimit} vs ${oldText}${ok ? '' : ': users without an override would get a lower limit than in 0.12'}` });
  };
  keep('cyclades.vm', q.maxVmsPerUser, 'MAX_VMS_PER_USER');
  keep('cyclades.network.private', q.maxNetworksPerUser, 'MAX_NETWORKS_PER_USER');
  keep('pithos+.diskspace', q.pithosBackendQuota, 'PITHOS_BACKEND_QUOTA', true);
  return checks;
}

type FoundLike = { value: bigint | undefined; isDefault: boolean; problem?: string };

// ---------------------------------------------------------------------------------------
// Snippets for the wizard

export interface SettingsSnippet {
  host: Host;
  file: string;
  lines: string[];
}

export interface SnippetOptions {
  /** Base URL of astakos, e.g. https://accounts.example.org (default: the guide's example). */
  astakosUrl?: string;
  /** Base URL of cyclades for VMAPI_BASE_URL. */
  cycladesUrl?: string;
  /** memcached host:port (default 127.0.0.1:11211). */
  memcached?: string;
  serverEmail?: string;
  admins?: [string, string][];
  contactEmail?: string;
}

/** What the 3.3 lines carry when no quotaholder token is given. */
export const QUOTAHOLDER_PLACEHOLDER = '<the same random string>';

const trimSlash = (s: string): string => (s.endsWith('/') ? trimSlash(s.slice(0, -1)) : s);

/**
 * The lines to put in each host's settings for STEP. TOKEN is, per step: 3.3 the shared
 * quotaholder token (see generateToken), 3.5 the cyclades service token, 3.6 the pithos+
 * service token (both from `snf-manage service-list`); '' leaves a placeholder.
 * The lines carry the token: show them only to the operator, never log or store them.
 */
export function settingsSnippets(step: SettingsStep, token: string, options: SnippetOptions = {}): SettingsSnippet[] {
  const astakos = trimSlash(options.astakosUrl ?? 'https://accounts.example.synnefo.org');
  const cycladesUrl = trimSlash(options.cycladesUrl ?? 'https://cyclades.example.synnefo.org');
  const qh = pyString(`${astakos}/quotaholder/v`);
  const tok = (placeholder: string): string => pyString(token || placeholder);
  switch (step) {
    case '3.3': {
      const t = tok(QUOTAHOLDER_PLACEHOLDER);
      return [
        {
          host: 'astakos', file: '/etc/synnefo/20-snf-astakos-app-settings.conf', lines: [
            `QUOTAHOLDER_URL = ${qh}  # not read by 0.13; kept as in the guide`,
            `QUOTAHOLDER_TOKEN = ${t}`,
            `ASTAKOS_QUOTAHOLDER_TOKEN = ${t}`,
            `ASTAKOS_QUOTAHOLDER_URL = ${qh}`,
          ],
        },
        {
          host: 'cyclades', file: '/etc/synnefo/20-snf-cyclades-app-quotas.conf', lines: [
            'CYCLADES_USE_QUOTAHOLDER = True',
            `CYCLADES_QUOTAHOLDER_URL = ${qh}`,
            `CYCLADES_QUOTAHOLDER_TOKEN = ${t}`,
            '',
            '# Set to False if astakos & cyclades are on the same host',
            '#CYCLADES_PROXY_USER_SERVICES = True',
          ],
        },
        {
          host: 'pithos', file: '/etc/synnefo/20-snf-pithos-app-settings.conf', lines: [
            `PITHOS_QUOTAHOLDER_URL = ${qh}`,
            `PITHOS_QUOTAHOLDER_TOKEN = ${t}`,
            'PITHOS_USE_QUOTAHOLDER = False  # set to True after step 6.4',
          ],
        },
      ];
    }
    case '3.4': {
      const admins = options.admins?.length ? options.admins : [['Joe Doe', 'doe@example.net'] as [string, string]];
      return [{
        host: 'astakos', file: '/etc/synnefo/20-snf-astakos-app-settings.conf', lines: [
          'ASTAKOS_EMAILCHANGE_ENABLED = True',
          '',
          '# replaces ASTAKOS_DEFAULT_FROM_EMAIL (remove it: 0.13 does not read it)',
          `SERVER_EMAIL = ${pyString(options.serverEmail ?? 'Cloud <no-reply@example.org>')}`,
          '',
          '# replaces ASTAKOS_DEFAULT_ADMIN_EMAIL (remove it: 0.13 does not read it)',
          'ADMINS = (',
          ...admins.map(([n, e]) => `    (${pyString(n)}, ${pyString(e)}),`),
          ')',
          '',
          '# 0.13 changed its default to support@example.synnefo.org',
          `ASTAKOS_DEFAULT_CONTACT_EMAIL = ${pyString(options.contactEmail ?? 'support@example.org')}`,
        ],
      }];
    }
    case '3.5':
      return [
        {
          host: 'cyclades', file: '/etc/synnefo/20-snf-cyclades-app-api.conf', lines: [
            `CYCLADES_ASTAKOS_SERVICE_TOKEN = ${tok('<auth_token of cyclades from snf-manage service-list>')}`,
            `ASTAKOS_URL = ${pyString(`${astakos}/im/authenticate`)}`,
          ],
        },
        {
          host: 'cyclades', file: '/etc/synnefo/20-snf-cyclades-app-vmapi.conf', lines: [
            `VMAPI_CACHE_BACKEND = ${pyString(`memcached://${options.memcached ?? '127.0.0.1:11211'}/?timeout=3600`)}`,
            `VMAPI_BASE_URL = ${pyString(cycladesUrl)}`,
          ],
        },
      ];
    case '3.6':
      return [{
        host: 'pithos', file: '/etc/synnefo/20-snf-pithos-app-settings.conf', lines: [
          `PITHOS_USER_CATALOG_URL = ${pyString(`${astakos}/user_catalogs/`)}`,
          `PITHOS_USER_FEEDBACK_URL = ${pyString(`${astakos}/feedback/`)}`,
          `PITHOS_USER_LOGIN_URL = ${pyString(`${astakos}/login/`)}`,
          '',
          '# Set to False if astakos & pithos are on the same host',
          '#PITHOS_PROXY_USER_SERVICES = True',
          '',
          '# needed by pithos-migrate (step 6.4); not in the guide',
          `PITHOS_SERVICE_TOKEN = ${tok('<auth_token of pithos+ from snf-manage service-list>')}`,
          '# must stay empty, or step 6.4 silently migrates nothing',
          'PITHOS_AUTHENTICATION_USERS = {}',
          'PITHOS_USE_QUOTAHOLDER = False  # set to True after step 6.4',
        ],
      }];
  }
}

/** Snippet options taken from what the folders already say (old e-mail settings, URLs). */
export function snippetOptionsFrom(dirs: SettingsDirs): SnippetOptions {
  const loaded = loadDirs(dirs);
  const get = (h: Host, name: string): PyValue | undefined => {
    const l = loaded[h];
    return l && !('error' in l) ? l.settings.get(name)?.value : undefined;
  };
  const str = (h: Host, name: string): string | undefined => {
    const v = get(h, name);
    return typeof v === 'string' && v ? v : undefined;
  };
  const origin = (s: string | undefined): string | undefined => {
    if (!s) return undefined;
    try {
      return new URL(s).origin;
    } catch {
      return undefined;
    }
  };
  const out: SnippetOptions = {};
  const astakosUrl = origin(str('astakos', 'ASTAKOS_QUOTAHOLDER_URL') ?? str('cyclades', 'ASTAKOS_URL')
    ?? str('cyclades', 'CYCLADES_QUOTAHOLDER_URL') ?? str('pithos', 'PITHOS_QUOTAHOLDER_URL'));
  if (astakosUrl) out.astakosUrl = astakosUrl;
  const vmapi = str('cyclades', 'VMAPI_BASE_URL');
  if (vmapi) out.cycladesUrl = vmapi;
  const backend = str('cyclades', 'VMAPI_CACHE_BACKEND');
  if (backend) {
    const a = memcachedAddresses(backend);
    if (!('error' in a)) out.memcached = a.map((x) => (x.host.includes(':') ? `[${x.host}]:${x.port}` : `${x.host}:${x.port}`)).join(';');
  }
  const from = str('astakos', 'SERVER_EMAIL') ?? str('astakos', 'ASTAKOS_DEFAULT_FROM_EMAIL');
  if (from) out.serverEmail = from;
  const admins = get('astakos', 'ADMINS');
  if (Array.isArray(admins) && admins.length && admins.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string'))) {
    out.admins = admins.map((p) => [(p as string[])[0]!, (p as string[])[1]!]);
  } else {
    const old = str('astakos', 'ASTAKOS_DEFAULT_ADMIN_EMAIL');
    if (old) out.admins = [['Administrator', old]];
  }
  const contact = str('astakos', 'ASTAKOS_DEFAULT_CONTACT_EMAIL');
  if (contact && !contact.toLowerCase().endsWith('example.synnefo.org')) out.contactEmail = contact;
  return out;
}

// ---------------------------------------------------------------------------------------
// The tokens the snippets carry (secrets: shown to the operator only, never logged or stored
// in the state file)

/** Where the generated quotaholder token is kept: astakos' snf_upgrade_secrets, one row. */
const QUOTAHOLDER_TOKEN_ROW = ['snippets', 'settings', 'QUOTAHOLDER_TOKEN', 'token'] as const;
/** Transaction-level advisory lock around reading or making it (not the runner lock's key). */
const TOKEN_LOCK_KEY = '8317698216382919200';

const TOKEN_WHERE = 'step = $1 AND tbl = $2 AND pk = $3 AND col = $4';

async function storedToken(q: pg.Pool | pg.PoolClient): Promise<string> {
  const r = await q.query<{ value: string | null }>(`SELECT value FROM snf_upgrade_secrets WHERE ${TOKEN_WHERE}`, [...QUOTAHOLDER_TOKEN_ROW]);
  return r.rows[0]?.value ?? '';
}

/**
 * The stored quotaholder token, or undefined when it has not been generated yet. Reads only:
 * creates neither the table nor the row (for `plan`, which writes nothing).
 */
export async function readQuotaholderToken(pool: pg.Pool): Promise<string | undefined> {
  const exists = await pool.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'snf_upgrade_secrets'`);
  if (!exists.rowCount) return undefined;
  return (await storedToken(pool)) || undefined;
}

/**
 * The deployment's shared quotaholder token for the 3.3 snippets: generated on first use and
 * kept in the astakos database (which holds the deployment's other tokens anyway), so every
 * screen and every later session shows the same one.
 */
export async function quotaholderToken(pool: pg.Pool): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Two sessions asking at once (even before the table exists) get the same token.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [TOKEN_LOCK_KEY]);
    await ensureSecretsTable(client);
    let token = await storedToken(client);
    if (!token) {
      token = generateToken();
      await client.query(`DELETE FROM snf_upgrade_secrets WHERE ${TOKEN_WHERE}`, [...QUOTAHOLDER_TOKEN_ROW]);
      await client.query('INSERT INTO snf_upgrade_secrets (step, tbl, pk, col, value) VALUES ($1, $2, $3, $4, $5)', [...QUOTAHOLDER_TOKEN_ROW, token]);
    }
    await client.query('COMMIT');
    return token;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A service's auth_token from astakos' im_service (what `snf-manage service-list` shows), or ''. */
export async function serviceToken(pool: pg.Pool, names: string[]): Promise<string> {
  const r = await pool.query<{ auth_token: string | null }>(
    'SELECT auth_token FROM im_service WHERE name = ANY($1) AND auth_token IS NOT NULL ORDER BY id LIMIT 1', [names]);
  return r.rows[0]?.auth_token ?? '';
}

/** The snippets of a step with this deployment's values filled in. */
export interface SnippetSet {
  snippets: SettingsSnippet[];
  /** The secret values inside the lines (to hide until the operator asks), with what each is. */
  secrets: { value: string; what: string }[];
  /** What could not be filled in, and why. */
  notes: string[];
  /** A secret not made yet (read-only use): the placeholder literal the lines carry instead, and what it stands for. */
  pending?: { literal: string; what: string };
}

const SERVICE_OF: Partial<Record<SettingsStep, { names: string[]; what: string }>> = {
  '3.5': { names: ['cyclades'], what: 'the cyclades service token' },
  '3.6': { names: ['pithos+', 'pithos'], what: 'the pithos+ service token' },
};

/**
 * STEP's snippets for this deployment: the shared quotaholder token (3.3) or the service's
 * token from astakos (3.5, 3.6; a placeholder when it cannot be read), and URLs and e-mail
 * settings taken from the settings folders when they are configured. With generate: false
 * (read-only callers) a quotaholder token not made yet is left as a placeholder (`pending`).
 */
export async function deploymentSnippets(step: SettingsStep, astakos: pg.Pool | undefined, dirs: SettingsDirs,
  opts: { generate?: boolean } = {}): Promise<SnippetSet> {
  const notes: string[] = [];
  const secrets: SnippetSet['secrets'] = [];
  let pending: SnippetSet['pending'];
  let token = '';
  const service = SERVICE_OF[step];
  if (step === '3.3') {
    if (!astakos) {
      throw new UserError('no astakos database is configured: the quotaholder token of step 3.3 is kept there',
        'set "astakos": {"db": "postgres://host/dbname"} in the config file, or SNF_ASTAKOS_DB', EXIT.usage);
    }
    // generate: false reads only (plan); the token is then made by whoever shows it first.
    token = opts.generate === false ? (await readQuotaholderToken(astakos)) ?? '' : await quotaholderToken(astakos);
    if (token) secrets.push({ value: token, what: 'quotaholder token, generated once, kept in astakos' });
    else pending = { literal: pyString(QUOTAHOLDER_PLACEHOLDER), what: 'the quotaholder token' };
  } else if (service) {
    try {
      token = astakos ? await serviceToken(astakos, service.names) : '';
      if (!token) notes.push(`${service.what} is not in astakos' im_service yet: fill in its auth_token from snf-manage service-list`);
    } catch (err) {
      notes.push(`${service.what} could not be read from astakos (${(err as Error).message.split('\n')[0]}): fill it in from snf-manage service-list`);
    }
    if (token) secrets.push({ value: token, what: `${service.what.replace(/^the /, '')}, from astakos' im_service` });
  }
  const configured = Object.values(dirs).some((d) => !!d);
  const options = configured ? snippetOptionsFrom(dirs) : {};
  if (!configured) notes.push('no settings folders are configured: URLs and e-mails are the guide\'s examples; change them to this deployment\'s');
  else if (!options.astakosUrl && step !== '3.4') notes.push('the astakos URL is not in the settings folders yet: the guide\'s example stands in for it');
  return { snippets: settingsSnippets(step, token, options), secrets, notes, ...(pending ? { pending } : {}) };
}
