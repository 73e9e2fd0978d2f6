// The /etc/synnefo settings files of the sandbox's three hosts, named and laid out as on
// real hosts, with the per-user settings (keyed by emails in mixed case, with case
// duplicates and unknown users) that step 6.3 must convert. Valid Python (2 and 3).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Service } from '../db/connection.js';
import type { GenParams } from './params.js';
import type { Queryable } from './schema.js';
import { streamId, u } from './sqlgen.js';

/** Python string literal (single-quoted; u'' for non-ASCII, as a Python 2 host would need). */
export function pyStr(s: string): string {
  const body = s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  return /[^\x00-\x7f]/.test(s) ? `u'${body}'` : `'${body}'`;
}

function pyDict(entries: ReadonlyArray<[string, string]>, indent = '    '): string {
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${indent}${pyStr(k)}: ${v},`).join('\n')}\n}`;
}

/** Deterministic small integer in [lo, hi] from the seed and a key (TS side). */
function pickInt(seed: number, key: string, lo: number, hi: number): number {
  const x = streamId(`${seed}:${key}`);
  return lo + (x % (hi - lo + 1));
}

export interface SettingsInput {
  /** Sample of cyclades owners: [ident, pid, tag]. */
  owners: Array<{ ident: string; pid: number; tag: string | null }>;
  dbLines: Partial<Record<Service, string>>;
}

/** Reads what the cyclades settings need from sbx_people (in the cyclades session). */
export async function settingsInput(client: Queryable, p: GenParams): Promise<Array<{ ident: string; pid: number; tag: string | null }>> {
  const want = Math.min(40, Math.max(6, Math.round(p.users / 50)));
  const r = await client.query(
    `SELECT ident, pid, tag FROM sbx_people
      WHERE cyc AND kind = 'regular' AND astakos
      ORDER BY ${u('settings.sample', 'pid')}, pid LIMIT ${want}`);
  return r.rows.map((x) => ({ ident: x.ident as string, pid: Number(x.pid), tag: x.tag as string | null }));
}

function recase(seed: number, ident: string, key: string): string {
  const k = pickInt(seed, key, 0, 9);
  if (k < 6) return ident;
  if (k < 8) return ident.toUpperCase();
  const [local, ...rest] = ident.split('@');
  return `${local.charAt(0).toUpperCase()}${local.slice(1)}@${rest.join('@')}`;
}

export function writeSettings(dirs: Record<Service, string>, p: GenParams, input: SettingsInput): void {
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const seed = p.seed;
  const sample = input.owners;
  const half = Math.ceil(sample.length / 2);

  // ---------------------------------------------------------------- cyclades
  const vms: Array<[string, string]> = [
    ['Maria.K@example.gr', '5'], // case duplicates of one another, different values
    ['maria.k@example.gr', '8'],
    ['Eleni.P@example.gr', '4'], // only cyclades has this case
    ['deleted.user@example.org', '6'], // astakos does not know it
    ['ANNA.S@EXAMPLE.GR', '10'], // astakos has Anna.S@example.gr: never applied in 0.12
    ['Σωκράτης.Π@example.gr', '6'],
  ];
  for (const o of sample.slice(0, half)) vms.push([recase(seed, o.ident, `vmq:${o.pid}`), String(pickInt(seed, `vmq.v:${o.pid}`, 4, 20))]);
  const nets: Array<[string, string]> = [
    ['k.lee@example.net', '10'],
    ['K.Lee@example.net', '12'],
    ['john+cloud@example.com', '8'], // astakos has John+Cloud@ and john+cloud@
    ['b1946ac9-2b5e-4c47-9a4f-7d5c3e8f0a12', '7'], // already a uuid
  ];
  for (const o of sample.slice(half)) nets.push([recase(seed, o.ident, `netq:${o.pid}`), String(pickInt(seed, `netq.v:${o.pid}`, 6, 15))]);
  const backendPerUser: Array<[string, string]> = [
    ['Nikos.Ioannou@uoa.gr', String(Math.min(2, p.backends))],
    ['archive@example.org', '1'],
    ['NIKOS.IOANNOU@UOA.GR', '1'],
  ];
  const imagesOwners: Array<[string, string]> = [['images@example.org', "'system'"], ['admin@example.org', "'system'"]];

  writeFileSync(join(dirs.cyclades, '20-snf-cyclades-app-api.conf'), `## -*- coding: utf-8 -*-
##
## API configuration
######################
#
#DEBUG = False
#
## Top-level URL for deployment. Numerous other URLs depend on this.
#APP_INSTALL_URL = "https://host:port"
#
## The API will return HTTP Bad Request if the ?changes-since
## parameter refers to a point in time more than POLL_LIMIT seconds ago.
#POLL_LIMIT = 3600
#
## Astakos authentication
ASTAKOS_URL = 'https://accounts.example.org/im/authenticate'

## Maximum number of VMs a user can create (default for everybody)
MAX_VMS_PER_USER = 3

## Override the default VM limit for specific users
VMS_USER_QUOTA = ${pyDict(vms)}

## Maximum number of private networks a user can create
MAX_NETWORKS_PER_USER = 5

## Override the default network limit for specific users
NETWORKS_USER_QUOTA = ${pyDict(nets)}

#MAX_CIDR_BLOCK = 22
#DEFAULT_MAC_PREFIX = 'aa:00:0'
#DEFAULT_BRIDGE = 'br0'
`);
  writeFileSync(join(dirs.cyclades, '20-snf-cyclades-app-backend.conf'), `## -*- coding: utf-8 -*-
##
## Ganeti backend configuration
###############################
#
## Fixed mapping of user VMs to a specific backend.
## e.g. BACKEND_PER_USER = {'example@synnefo.org': 2}
BACKEND_PER_USER = ${pyDict(backendPerUser)}

## List of backend IDs used *only* for archipelago.
#ARCHIPELAGO_BACKENDS = []
`);
  writeFileSync(join(dirs.cyclades, '20-snf-cyclades-app-ui.conf'), `## -*- coding: utf-8 -*-
##
## UI settings
###################
#
## Image owners whose images are shown as system images
UI_SYSTEM_IMAGES_OWNERS = ${pyDict(imagesOwners)}

#UI_LOGOUT_URL = '/im/logout'
#UI_LOGIN_URL = '/im/login'
`);
  writeFileSync(join(dirs.cyclades, '20-snf-cyclades-app-plankton.conf'), `## -*- coding: utf-8 -*-
##
## Plankton settings
##################################
#
## Backend settings
BACKEND_DB_CONNECTION = ${pyStr(input.dbLines.pithos ?? 'postgresql://pithos@localhost/pithos')}
BACKEND_BLOCK_PATH = '/srv/pithos/data/'

## The owner of the images that will be marked as "system images" by the UI
SYSTEM_IMAGES_OWNER = 'images@example.org'
`);

  // ---------------------------------------------------------------- pithos
  writeFileSync(join(dirs.pithos, '20-snf-pithos-app-settings.conf'), `## -*- coding: utf-8 -*-
#
# Top-level URL for Pithos. Must set.
PITHOS_BASE_URL = "https://pithos.example.org/"

# Authentication
PITHOS_AUTHENTICATION_URL = 'https://accounts.example.org/im/authenticate'
PITHOS_AUTHENTICATION_USERS = {}

# SQLAlchemy (choose SQLite/MySQL/PostgreSQL).
PITHOS_BACKEND_DB_MODULE = 'pithos.backends.lib.sqlalchemy'
PITHOS_BACKEND_DB_CONNECTION = ${pyStr(input.dbLines.pithos ?? 'postgresql://pithos@localhost/pithos')}

# Block storage.
PITHOS_BACKEND_BLOCK_MODULE = 'pithos.backends.lib.hashfiler'
PITHOS_BACKEND_BLOCK_PATH = '/srv/pithos/data/'

# Default setting for new accounts.
PITHOS_BACKEND_QUOTA = 50 * 1024 * 1024 * 1024
PITHOS_BACKEND_VERSIONING = 'auto'

# Service Token acquired by identity provider.
#PITHOS_SERVICE_TOKEN = ''

# Enable if object checksums are required
#PITHOS_UPDATE_MD5 = True
`);

  // ---------------------------------------------------------------- astakos
  writeFileSync(join(dirs.astakos, '20-snf-astakos-app-settings.conf'), `## -*- coding: utf-8 -*-
#
# Set the expiration time of newly created auth tokens
# to be this many hours after their creation time.
#ASTAKOS_AUTH_TOKEN_DURATION = 30 * 24

#ASTAKOS_DEFAULT_USER_LEVEL = 4

ASTAKOS_INVITATIONS_PER_LEVEL = {
    0: 100,
    1: 2,
    2: 1,
    3: 0,
    4: 0,
}

# Identity Management enabled modules
ASTAKOS_IM_MODULES = ['local', 'shibboleth', 'twitter', 'google']

ASTAKOS_INVITATIONS_ENABLED = True
ASTAKOS_MODERATION_ENABLED = True
ASTAKOS_EMAILCHANGE_ENABLED = True

ASTAKOS_COOKIE_DOMAIN = '.example.org'
ASTAKOS_BASEURL = 'https://accounts.example.org'
ASTAKOS_SITENAME = 'Example Cloud'

# Mail sender and recipients (0.12.5 names)
ASTAKOS_DEFAULT_FROM_EMAIL = 'Example Cloud <no-reply@example.org>'
ASTAKOS_DEFAULT_ADMIN_EMAIL = 'cloud-admins@example.org'
ASTAKOS_DEFAULT_CONTACT_EMAIL = 'support@example.org'

#ASTAKOS_RECAPTCHA_ENABLED = False
#ASTAKOS_RE_USER_EMAIL_PATTERNS = []
`);
  writeFileSync(join(dirs.astakos, '00-snf-common-admins.conf'), `## -*- coding: utf-8 -*-
#ADMINS = (('Admin name', 'admin@example.synnefo.org'),
#          ('Admin2 name', 'admin2@example.synnefo.org'))
#MANAGERS = ADMINS
`);
  for (const s of ['astakos', 'cyclades'] as const) {
    const line = input.dbLines[s];
    if (!line) continue;
    writeFileSync(join(dirs[s], '10-snf-webproject-database.conf'), `## -*- coding: utf-8 -*-
DATABASES = {
    'default': ${line},
}
`);
  }
}

/** DATABASES['default'] for a postgres URL, and the pithos SQLAlchemy URL (no passwords). */
export function databaseLines(urls: Record<Service, string>): Partial<Record<Service, string>> {
  const out: Partial<Record<Service, string>> = {};
  for (const s of ['astakos', 'cyclades'] as const) {
    if (urls[s].startsWith('pglite:')) continue;
    const x = new URL(urls[s]);
    out[s] = `{
        'ENGINE': 'django.db.backends.postgresql_psycopg2',
        'NAME': ${pyStr(decodeURIComponent(x.pathname.slice(1)))},
        'USER': ${pyStr(decodeURIComponent(x.username || 'postgres'))},
        'PASSWORD': '',
        'HOST': ${pyStr(x.hostname || 'localhost')},
        'PORT': ${pyStr(x.port || '5432')},
    }`;
  }
  if (!urls.pithos.startsWith('pglite:')) {
    const x = new URL(urls.pithos);
    out.pithos = `postgresql://${x.username || 'postgres'}@${x.hostname || 'localhost'}:${x.port || '5432'}${x.pathname}`;
  }
  return out;
}
