// The deployment's configuration: a JSON file plus environment overrides.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isEmbeddedUrl, physicalDatabase, SERVICES, type Service } from './db/connection.js';
import { EXIT, UserError } from './errors.js';

export interface ServiceConfig {
  db?: string;
  /** Folder holding copies of that host's /etc/synnefo files. */
  settings?: string;
  /** Astakos only: a folder with a copy of the host's Apache configuration (the login RewriteRule check). */
  apache?: string;
  /** Astakos only: a copy of the host's crontab or /etc/cron.d (a file or a folder: the project-control check). */
  cron?: string;
}

export interface Config {
  /** The file it was read from, if any. */
  file?: string;
  astakos: ServiceConfig;
  cyclades: ServiceConfig;
  pithos: ServiceConfig;
  state: string;
  backups: string;
}

export const DEFAULT_CONFIG_FILE = 'snf-upgrade.json';
const ENV_DB: Record<Service, string> = {
  astakos: 'SNF_ASTAKOS_DB',
  cyclades: 'SNF_CYCLADES_DB',
  pithos: 'SNF_PITHOS_DB',
};
const TOP_KEYS = new Set<string>([...SERVICES, 'state', 'backups']);
const SERVICE_KEYS = new Set(['db', 'settings']);
/** Keys only the astakos host has: copies of its web-server configuration and its crontab. */
const ASTAKOS_KEYS = new Set(['apache', 'cron']);

/**
 * Reads FILE (default ./snf-upgrade.json; a missing default file is fine when the
 * environment names the databases). Relative paths count from the file's folder.
 */
/** Refuses (exit 2) a config that names no database at all: there is no deployment to work on. */
export function requireDeployment(config: Config): void {
  if (config.astakos.db || config.cyclades.db || config.pithos.db) return;
  throw new UserError(`no deployment is configured: ${config.file ? `${config.file} names no database` : `there is no ${DEFAULT_CONFIG_FILE} here and no ${Object.values(ENV_DB).join(', ')}`}`,
    `write ${DEFAULT_CONFIG_FILE} (see "Configuration" in the README) or pass --config FILE; snf-upgrade demo tries the wizard on a sandbox`, EXIT.usage);
}

export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const path = resolve(file ?? DEFAULT_CONFIG_FILE);
  let raw: unknown = {};
  let base = process.cwd();
  const present = existsSync(path);
  if (present) {
    const text = readText(path, 'config file', 'pass the right --config FILE (see "Configuration" in the README)');
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new UserError(`config file ${path} is not valid JSON: ${jsonErrorWhere(text, err as Error)}`,
        'fix the file (see "Configuration" in the README)', EXIT.usage);
    }
    base = dirname(path);
  } else if (file !== undefined) {
    throw new UserError(`config file ${path} does not exist`,
      'pass the right --config FILE, or create one (see "Configuration" in the README)', EXIT.usage);
  }
  const config = validate(raw, path);
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  for (const s of SERVICES) {
    const fromEnv = env[ENV_DB[s]];
    if (fromEnv) {
      if (!isDbUrl(fromEnv)) {
        throw new UserError(`${ENV_DB[s]} must be a postgres:// URL (or pglite:DIR for an embedded database)`,
          `fix or unset ${ENV_DB[s]}`, EXIT.usage);
      }
      config[s].db = fromEnv;
    }
    const db = config[s].db;
    if (db && isEmbeddedUrl(db)) config[s].db = `pglite:${at(db.slice('pglite:'.length))}`;
    for (const k of ['settings', 'apache', 'cron'] as const) if (config[s][k]) config[s][k] = at(config[s][k]!);
  }
  config.state = env.SNF_UPGRADE_STATE ? resolve(env.SNF_UPGRADE_STATE) : at(config.state);
  config.backups = at(config.backups);
  if (present) config.file = path;
  return config;
}

/** A file's text, or a one-line UserError (exit 2) for a folder, a missing or unreadable file. */
export function readText(path: string, what: string, next: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const cause = code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)'
      : code === 'EISDIR' ? 'is a folder, not a file'
      : code === 'ENOENT' ? 'does not exist'
      : `cannot be read (${code ?? (err as Error).message})`;
    throw new UserError(`${what} ${path} ${cause}`, next, EXIT.usage);
  }
}

function validate(raw: unknown, path: string): Config {
  const bad = (what: string): never => {
    throw new UserError(`config file ${path}: ${what}`, 'fix the file (see "Configuration" in the README)', EXIT.usage);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('the top level must be a JSON object');
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!TOP_KEYS.has(key)) bad(`unknown key "${key}" (known: ${[...TOP_KEYS].join(', ')})`);
  const config: Config = { astakos: {}, cyclades: {}, pithos: {}, state: 'state/upgrade.db', backups: 'backups' };
  for (const s of SERVICES) {
    const v = obj[s];
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`"${s}" must be an object like {"db": "postgres://host/${s}"}`);
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (ASTAKOS_KEYS.has(k) && s !== 'astakos') bad(`"${s}.${k}": only astakos has "${k}" (the astakos host's copy)`);
      if (!SERVICE_KEYS.has(k) && !ASTAKOS_KEYS.has(k)) bad(`unknown key "${s}.${k}" (known: db, settings${s === 'astakos' ? ', apache, cron' : ''})`);
      if (typeof val !== 'string' || val === '') bad(`"${s}.${k}" must be a non-empty string`);
      config[s][k as keyof ServiceConfig] = val as string;
    }
    const db = config[s].db;
    if (db && !isDbUrl(db)) bad(`"${s}.db" must be a postgres:// URL (or pglite:DIR for an embedded database)`);
  }
  for (const k of ['state', 'backups'] as const) {
    if (obj[k] === undefined) continue;
    if (typeof obj[k] !== 'string' || obj[k] === '') bad(`"${k}" must be a non-empty string (a path)`);
    config[k] = obj[k] as string;
  }
  return config;
}

const isDbUrl = (url: string): boolean => isEmbeddedUrl(url) || /^postgres(ql)?:\/\//.test(url);

/** V8 quotes this many characters either side of an unexpected token. */
const JSON_CONTEXT = 10;

/**
 * The parser's complaint with its line and column, without the excerpt of the source that
 * V8 quotes (it may hold a password).
 */
export function jsonErrorWhere(text: string, err: Error): string {
  const message = err.message.split('\n')[0]!;
  let pos: number | undefined;
  let why = message;
  const at = / in JSON at position (\d+).*$/.exec(message) ?? / at position (\d+).*$/.exec(message);
  const quoted = /, (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (at) {
    pos = Number(at[1]);
    why = message.slice(0, at.index);
  } else if (quoted) {
    why = message.slice(0, quoted.index);
    const start = text.indexOf(quoted[2]!);
    if (start >= 0) pos = quoted[1] ? start + JSON_CONTEXT : quoted[3] ? start + quoted[2]!.length - JSON_CONTEXT : undefined;
  }
  if (pos === undefined) return why.replace(/ is not valid JSON$/, '');
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${why} at line ${line}, column ${col}`;
}

/** The URL of a service's database, or a usage error naming where to set it. */
export function requireDb(config: Config, service: Service): string {
  const url = config[service].db;
  if (!url) {
    throw new UserError(`no database configured for ${service}`,
      `set "${service}": {"db": "postgres://host/dbname"} in ${config.file ?? DEFAULT_CONFIG_FILE}, or ${ENV_DB[service]}`,
      EXIT.usage);
  }
  return url;
}

/** SERVICE's physical database (host, port, name); an unconfigured service has one of its own. */
export function databaseKey(config: Config, service: Service): string {
  const url = config[service].db;
  return url ? physicalDatabase(url) : `(${service} not configured)`;
}

/** The services configured in SERVICE's physical database (itself included), in runbook order. */
export function servicesSharing(config: Config, service: Service): Service[] {
  const key = databaseKey(config, service);
  return SERVICES.filter((s) => databaseKey(config, s) === key);
}

/** The services of each physical database, in runbook order: [[astakos, cyclades], [pithos]] for snf_apps. */
export function databaseGroups(config: Config): Service[][] {
  const groups = new Map<string, Service[]>();
  for (const s of SERVICES) {
    const key = databaseKey(config, s);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}
