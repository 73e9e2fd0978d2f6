// The lines each settings step asks the operator to paste, per host and file, filled in with
// this deployment's values (tokens from astakos, URLs and e-mails from the settings folders).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type pg from 'pg';
import { quotaholderToken, readQuotaholderToken, serviceToken, serviceUrl } from '../../db/tokens.js';
import { EXIT, UserError } from '../../errors.js';
import type { SettingsPart } from './checks.js';
import { memcachedAddresses } from './memcached.js';
import { loadDirs, type Host, type SettingsDirs } from './quota.js';
import { pyString, type PyValue } from './values.js';

export interface SettingsSnippet {
  host: Host;
  file: string;
  lines: string[];
}

export interface SnippetOptions {
  /** Base URL of astakos, e.g. https://accounts.example.org (unknown: a placeholder). */
  astakosUrl?: string;
  /** Base URL of cyclades for VMAPI_BASE_URL. */
  cycladesUrl?: string;
  /** memcached host:port (default 127.0.0.1:11211). */
  memcached?: string;
  serverEmail?: string;
  admins?: [string, string][];
  contactEmail?: string;
}

/** What the quota settings' lines carry when no quotaholder token is given. */
export const QUOTAHOLDER_PLACEHOLDER = '<the same random string>';

/**
 * A value this deployment has not told the tool: written as `<what>`, which is not Python, so a
 * line pasted with it stops the service at once and the step's check fails until it is filled in.
 */
export const placeholder = (what: string): string => `<${what}>`;
/** Whether TEXT (a settings line) still holds a placeholder. */
export const hasPlaceholder = (text: string): boolean => /=\s*<[^>]+>|\(<[^>]+>/.test(text);

const trimSlash = (s: string): string => (s.endsWith('/') ? trimSlash(s.slice(0, -1)) : s);

/**
 * The lines to put in each host's settings for PART. TOKEN is, per part: quota the shared
 * quotaholder token (see generateToken), cyclades the cyclades service token, pithos the
 * pithos+ service token (both from `snf-manage service-list`); '' leaves a placeholder.
 * The lines carry the token: show them only to the operator, never log or store them.
 */
export function settingsSnippets(part: SettingsPart, token: string, options: SnippetOptions = {}): SettingsSnippet[] {
  const astakos = options.astakosUrl ? trimSlash(options.astakosUrl) : undefined;
  const url = (path: string): string => (astakos ? pyString(`${astakos}${path}`) : placeholder(`the astakos URL + ${path}`));
  const qh = url('/quotaholder/v');
  const tok = (what: string): string => (token ? pyString(token) : placeholder(what));
  switch (part) {
    case 'quota': {
      const t = token ? pyString(token) : pyString(QUOTAHOLDER_PLACEHOLDER);
      return [
        {
          host: 'astakos', file: '/etc/synnefo/20-snf-astakos-app-settings.conf', lines: [
            '# QUOTAHOLDER_URL is not read by 0.13; kept as in the guide',
            `QUOTAHOLDER_URL = ${qh}`,
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
    case 'astakos': {
      const admins = options.admins ?? [];
      return [{
        host: 'astakos', file: '/etc/synnefo/20-snf-astakos-app-settings.conf', lines: [
          'ASTAKOS_EMAILCHANGE_ENABLED = True',
          '',
          '# replaces ASTAKOS_DEFAULT_FROM_EMAIL (remove it: 0.13 does not read it)',
          `SERVER_EMAIL = ${options.serverEmail ? pyString(options.serverEmail) : placeholder('the sender of astakos mail')}`,
          '',
          '# replaces ASTAKOS_DEFAULT_ADMIN_EMAIL (remove it: 0.13 does not read it)',
          'ADMINS = (',
          ...(admins.length ? admins.map(([n, e]) => `    (${pyString(n)}, ${pyString(e)}),`) : [`    (${placeholder('an admin\'s name')}, ${placeholder('their e-mail')}),`]),
          ')',
          '',
          '# 0.13\'s default is the guide\'s sample support address: set your own',
          `ASTAKOS_DEFAULT_CONTACT_EMAIL = ${options.contactEmail ? pyString(options.contactEmail) : placeholder('your support address')}`,
        ],
      }];
    }
    case 'cyclades':
      return [
        {
          host: 'cyclades', file: '/etc/synnefo/20-snf-cyclades-app-api.conf', lines: [
            `CYCLADES_ASTAKOS_SERVICE_TOKEN = ${tok('cyclades auth_token from service-list')}`,
            `ASTAKOS_URL = ${url('/im/authenticate')}`,
          ],
        },
        {
          host: 'cyclades', file: '/etc/synnefo/20-snf-cyclades-app-vmapi.conf', lines: [
            `VMAPI_CACHE_BACKEND = ${pyString(`memcached://${options.memcached ?? '127.0.0.1:11211'}/?timeout=3600`)}`,
            `VMAPI_BASE_URL = ${options.cycladesUrl ? pyString(trimSlash(options.cycladesUrl)) : placeholder('the base URL of cyclades')}`,
          ],
        },
      ];
    case 'pithos':
      return [{
        host: 'pithos', file: '/etc/synnefo/20-snf-pithos-app-settings.conf', lines: [
          `PITHOS_USER_CATALOG_URL = ${url('/user_catalogs/')}`,
          `PITHOS_USER_FEEDBACK_URL = ${url('/feedback/')}`,
          `PITHOS_USER_LOGIN_URL = ${url('/login/')}`,
          '',
          '# Set to False if astakos & pithos are on the same host',
          '#PITHOS_PROXY_USER_SERVICES = True',
          '',
          '# needed by pithos-migrate (step 6.4); not in the guide',
          `PITHOS_SERVICE_TOKEN = ${tok('pithos+ auth_token from service-list')}`,
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
  const astakosUrl = [str('astakos', 'ASTAKOS_BASEURL'), str('astakos', 'ASTAKOS_QUOTAHOLDER_URL'), str('cyclades', 'ASTAKOS_URL'),
    str('cyclades', 'CYCLADES_QUOTAHOLDER_URL'), str('pithos', 'PITHOS_QUOTAHOLDER_URL')].map(origin).find((u) => u && !guideSample(u));
  if (astakosUrl) out.astakosUrl = astakosUrl;
  const vmapi = str('cyclades', 'VMAPI_BASE_URL');
  if (vmapi && !guideSample(vmapi)) out.cycladesUrl = vmapi;
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

/** Whether URL is on the guide's sample domain (example.synnefo.org): never this deployment's. */
export function guideSample(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host === 'example.synnefo.org' || host.endsWith('.example.synnefo.org');
  } catch {
    return false;
  }
}

/** A file of settings lines written for the operator to copy. */
export interface WrittenSnippet { path: string; host: Host; file: string; placeholder: boolean }

/** "FILE on the HOST host", and what is left to fill in. */
export const writtenTarget = (w: WrittenSnippet): string => `${w.file} on the ${w.host} host${w.placeholder ? ' (fill in its <…> first)' : ''}`;

/**
 * Writes SET's lines to DIR (0700), a file per host and settings file (0600: the tokens are in
 * them), each headed by where its lines go. Returns each file: where it is, where its lines go,
 * and whether a <…> placeholder in it waits for a value.
 */
export function writeSnippetFiles(set: SnippetSet, dir: string, step: string): WrittenSnippet[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return set.snippets.map((s) => {
    const path = join(dir, `${s.host}-${basename(s.file)}`);
    writeFileSync(path, [`# snf-upgrade step ${step}: add these lines to ${s.file} on the ${s.host} host`, ...s.lines, ''].join('\n'), { mode: 0o600 });
    chmodSync(path, 0o600);
    return { path, host: s.host, file: s.file, placeholder: s.lines.some(hasPlaceholder) };
  });
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

const SERVICE_OF: Partial<Record<SettingsPart, { names: string[]; what: string }>> = {
  cyclades: { names: ['cyclades'], what: 'the cyclades service token' },
  pithos: { names: ['pithos+', 'pithos'], what: 'the pithos+ service token' },
};

/**
 * The snippets of settings step STEP (its settings: PART) for this deployment: the shared
 * quotaholder token (quota) or the service's token from astakos (cyclades, pithos; a placeholder when it cannot be read), and URLs and e-mail
 * settings taken from the settings folders when they are configured. With generate: false
 * (read-only callers) a quotaholder token not made yet is left as a placeholder (`pending`).
 */
export async function deploymentSnippets({ step, part }: { step: string; part: SettingsPart }, astakos: pg.Pool | undefined, dirs: SettingsDirs,
  opts: { generate?: boolean } = {}): Promise<SnippetSet> {
  const notes: string[] = [];
  const secrets: SnippetSet['secrets'] = [];
  let pending: SnippetSet['pending'];
  let token = '';
  const service = SERVICE_OF[part];
  if (part === 'quota') {
    if (!astakos) {
      throw new UserError(`no astakos database is configured: the quotaholder token of step ${step} is kept there`,
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
  // The base URL of cyclades, when the settings do not say it: the one astakos lists for the cyclades service.
  if (!options.cycladesUrl && part === 'cyclades' && astakos) {
    const listed = await serviceUrl(astakos, ['cyclades']).catch(() => undefined);
    if (listed && !guideSample(listed)) options.cycladesUrl = new URL(listed).origin;
  }
  const snippets = settingsSnippets(part, token, options);
  if (snippets.some((s) => s.lines.some(hasPlaceholder))) {
    notes.push(`<…> marks what this deployment has not told the tool${configured ? '' : ' (no settings folders are configured)'}: put the real value in; it is not Python, so a line pasted with it fails at once`);
  }
  return { snippets, secrets, notes, ...(pending ? { pending } : {}) };
}
