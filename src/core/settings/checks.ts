// The settings steps of the guide (quota settings on every host, then astakos, cyclades and
// pithos) and the settings side of loading the resource definitions: look at the copies of
// each host's /etc/synnefo instead of trusting a "yes". Tokens are never shown: only their
// length and a short fingerprint.
import { basename } from 'node:path';
import type { Check, StepModule } from '../step.js';
import { fingerprint, urlWithoutCredentials as showUrl } from '../../secrets.js';
import { memcachedAddresses, tcpReachable } from './memcached.js';
import { guideSample } from './snippets.js';
import { KNOWN_RESOURCES, loadDirs, type Host, type Loaded, type QuotaSettings, type SettingsDirs } from './quota.js';
import type { Assignment, SettingsDir } from './parse.js';
import { formatPyValue, PyDict, pyString, typeName, type PyValue } from './values.js';

/** Which settings a settings step checks and shows: the quota settings of every host, or one service's own. */
export type SettingsPart = 'quota' | 'astakos' | 'cyclades' | 'pithos';

export interface CheckOptions {
  /** TCP connect timeout for the memcached check (default 1500 ms). */
  connectTimeoutMs?: number;
}

/** The quotaholder token of the guide's example: never acceptable. */
export const GUIDE_EXAMPLE_TOKEN = 'aExampleTokenJbFm12w';

const HOSTS_OF: Record<SettingsPart, Host[]> = {
  quota: ['astakos', 'cyclades', 'pithos'],
  astakos: ['astakos'],
  cyclades: ['cyclades'],
  pithos: ['pithos'],
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
  if (guideSample(s.value)) return { check: { label, ok: false, detail: `${where(s.a)}: ${showUrl(s.value)} is the guide's sample host, not this deployment's` } };
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

function quotaChecks(hs: Hosts, unchecked: Host[]): Check[] {
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

function astakosChecks(astakos: Host_): Check[] {
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
    checks.push({ label: contactLabel, ok: false, detail: `${contact.why}; 0.13's default is the guide's sample support address, where feedback and helpdesk mail would go` });
  } else if (contact.value.toLowerCase().endsWith('example.synnefo.org') || !emailOk(contact.value)) {
    checks.push({ label: contactLabel, ok: false, detail: `${where(contact.a)}: ${pyString(contact.value)} is not a real support address` });
  } else {
    checks.push({ label: contactLabel, ok: true, detail: `${where(contact.a)}: ${pyString(contact.value)}` });
  }
  return checks;
}

async function cycladesChecks(cyclades: Host_, timeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [
    secretCheck(cyclades, 'CYCLADES_ASTAKOS_SERVICE_TOKEN',
      'it is the auth_token of the cyclades service (snf-manage service-list on the astakos host); step 6.3 needs it').check,
  ];
  const au = stringSetting(cyclades, 'ASTAKOS_URL');
  const auLabel = 'cyclades: ASTAKOS_URL points at astakos (…/im/authenticate)';
  if ('why' in au) {
    checks.push({ label: auLabel, ok: false, detail: `${au.why}; the 0.13 default is GRNET's https://astakos.okeanos.grnet.gr/im/authenticate` });
  } else {
    const sample = guideSample(au.value);
    const ok = au.value.includes('im/authenticate') && !sample;
    checks.push({ label: auLabel, ok, detail: `${where(au.a)}: ${showUrl(au.value)}${sample ? ' is the guide\'s sample host, not this deployment\'s' : ok ? '' : '; the user lookup of step 6.3 derives the user_catalogs URL from it and needs im/authenticate in it'}` });
  }
  checks.push(...await memcachedChecks(cyclades, timeoutMs));
  checks.push(urlCheck(cyclades, 'VMAPI_BASE_URL', { why: 'set it to the base URL of cyclades, the exact domain (no redirects)' }).check);
  return checks;
}

function pithosChecks(pithos: Host_, astakos?: Host_): Check[] {
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
 * The checks of PART's settings over the configured folders (a folder that is not
 * configured is reported, not failed: check that host by hand).
 */
export async function checkSettings(part: SettingsPart, dirs: SettingsDirs, options: CheckOptions = {}): Promise<Check[]> {
  const timeoutMs = options.connectTimeoutMs ?? 1500;
  const wanted = HOSTS_OF[part];
  const extra: Host[] = part === 'pithos' && dirs.astakos ? ['astakos'] : [];
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
  switch (part) {
    case 'quota': checks.push(...quotaChecks(hs, unchecked)); break;
    case 'astakos': if (hs.astakos) checks.push(...astakosChecks(hs.astakos)); break;
    case 'cyclades': if (hs.cyclades) checks.push(...await cycladesChecks(hs.cyclades, timeoutMs)); break;
    case 'pithos': if (hs.pithos) checks.push(...pithosChecks(hs.pithos, astakosForCompare)); break;
  }
  return checks;
}

/** The runbook module of a settings step: its checks gate `confirm`. */
export function settingsStep(part: SettingsPart, options: CheckOptions = {}): StepModule {
  return {
    async verify(ctx) {
      const c = ctx.config;
      return checkSettings(part, { astakos: c.astakos.settings, cyclades: c.cyclades.settings, pithos: c.pithos.settings }, options);
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
