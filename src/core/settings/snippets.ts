// The lines each settings step asks the operator to paste, per host and file, filled in with
// this deployment's values (tokens from astakos, URLs and e-mails from the settings folders).
import type pg from 'pg';
import { quotaholderToken, readQuotaholderToken, serviceToken } from '../../db/tokens.js';
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

/** What the quota settings' lines carry when no quotaholder token is given. */
export const QUOTAHOLDER_PLACEHOLDER = '<the same random string>';

const trimSlash = (s: string): string => (s.endsWith('/') ? trimSlash(s.slice(0, -1)) : s);

/**
 * The lines to put in each host's settings for PART. TOKEN is, per part: quota the shared
 * quotaholder token (see generateToken), cyclades the cyclades service token, pithos the
 * pithos+ service token (both from `snf-manage service-list`); '' leaves a placeholder.
 * The lines carry the token: show them only to the operator, never log or store them.
 */
export function settingsSnippets(part: SettingsPart, token: string, options: SnippetOptions = {}): SettingsSnippet[] {
  const astakos = trimSlash(options.astakosUrl ?? 'https://accounts.example.synnefo.org');
  const cycladesUrl = trimSlash(options.cycladesUrl ?? 'https://cyclades.example.synnefo.org');
  const qh = pyString(`${astakos}/quotaholder/v`);
  const tok = (placeholder: string): string => pyString(token || placeholder);
  switch (part) {
    case 'quota': {
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
    case 'astakos': {
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
    case 'cyclades':
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
    case 'pithos':
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
  if (!configured) notes.push('no settings folders are configured: URLs and e-mails are the guide\'s examples; change them to this deployment\'s');
  else if (!options.astakosUrl && part !== 'astakos') notes.push('the astakos URL is not in the settings folders yet: the guide\'s example stands in for it');
  return { snippets: settingsSnippets(part, token, options), secrets, notes, ...(pending ? { pending } : {}) };
}
