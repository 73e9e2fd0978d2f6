// createSandbox / dropSandbox: a realistic Synnefo 0.12.5 deployment (three databases,
// settings files, a config file) on a PostgreSQL server or in embedded PostgreSQL.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { scrubSecrets } from '../secrets.js';
import { clientConfig, embeddedDir, isEmbeddedUrl, openDb, physicalDatabase, processAlive, SERVICES, type Db, type Service } from '../db/connection.js';
import { EXIT, UserError } from '../errors.js';
import { astakosDataSql } from './gen-astakos.js';
import { cycladesDataSql } from './gen-cyclades.js';
import { pithosDataSql } from './gen-pithos.js';
import { checkSandboxDatabases, checkSandboxFiles, databaseName, markSandboxDatabase, removeSandboxFiles, writePrivateFile, writeSettingsSealed } from './guard.js';
import { genParams, type GenParams, type Scale } from './params.js';
import { loadSchema, type Queryable } from './schema.js';
import { databaseLines, settingsInput, writeSettings } from './settings.js';
import { helperFunctionsSql } from './sqlgen.js';
import { peopleSql } from './universe.js';

/**
 * How the services' databases are laid out: one each (NAME_astakos, NAME_cyclades,
 * NAME_pithos), or astakos and cyclades in one NAME_apps as Synnefo's guide installs them.
 */
export type SandboxLayout = 'separate' | 'shared';
export const SANDBOX_LAYOUTS: readonly SandboxLayout[] = ['separate', 'shared'];

export interface CreateOptions {
  name: string;
  /** Default 'separate'. */
  layout?: SandboxLayout;
  /** Admin URL of a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/postgres. */
  pg?: string;
  /** Directory for embedded PostgreSQL data (one sub-directory per service); the default,
   *  when pg is not given either, is CONFIGDIR/NAME-db. */
  embedded?: string;
  scale: Scale;
  seed?: number;
  /** Default ./snf-upgrade-NAME.json. */
  configPath?: string;
  /** The server databases' LC_CTYPE (default C; e.g. C.UTF-8, as Debian installs PostgreSQL, where upper('ς') is 'Σ'). */
  ctype?: string;
  log?: (line: string) => void;
}

export interface CreateResult {
  configPath: string;
  urls: Record<Service, string>;
  /** 'astakos.auth_user' → rows. */
  counts: Record<string, number>;
  ms: number;
}

export interface DropOptions {
  name: string;
  pg?: string;
  embedded?: string;
  configPath?: string;
  log?: (line: string) => void;
}

export interface SandboxPaths {
  configPath: string;
  settings: Record<Service, string>;
  state: string;
  backups: string;
}

export function validateName(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(name)) {
    throw new UserError(`sandbox name "${name}" is not usable`,
      'use lower-case letters, digits and _ (starting with a letter, at most 41 characters)', EXIT.usage);
  }
}

export function sandboxPaths(name: string, configPath?: string): SandboxPaths {
  const config = resolve(configPath ?? `snf-upgrade-${name}.json`);
  const dir = dirname(config);
  const settings = {} as Record<Service, string>;
  for (const s of SERVICES) settings[s] = join(dir, `${name}-settings`, s);
  return { configPath: config, settings, state: join(dir, `${name}-state.db`), backups: join(dir, `${name}-backups`) };
}

function serverDbUrl(admin: string, db: string): string {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
}

/** The database each service lives in: NAME_SERVICE, or NAME_apps for astakos and cyclades when shared. */
export function sandboxDbName(name: string, service: Service, layout: SandboxLayout = 'separate'): string {
  return layout === 'shared' && service !== 'pithos' ? `${name}_apps` : `${name}_${service}`;
}

/** Every database name a sandbox NAME may have, in either layout. */
function sandboxDbNames(name: string): string[] {
  return [...new Set(SANDBOX_LAYOUTS.flatMap((l) => SERVICES.map((s) => sandboxDbName(name, s, l))))];
}

export function sandboxUrls(name: string, target: { pg?: string; embedded?: string }, layout: SandboxLayout = 'separate'): Record<Service, string> {
  const urls = {} as Record<Service, string>;
  for (const s of SERVICES) {
    const db = sandboxDbName(name, s, layout);
    urls[s] = target.pg ? serverDbUrl(target.pg, db) : `pglite:${join(resolve(target.embedded!), db)}`;
  }
  return urls;
}

function checkTarget(t: { pg?: string; embedded?: string }): void {
  if (t.pg && t.embedded) throw new UserError('both --pg and --embedded were given', 'choose one', EXIT.usage);
  if (!t.pg && !t.embedded) throw new UserError('no place for the sandbox databases', 'give --pg URL (a server) or --embedded DIR', EXIT.usage);
  if (t.pg) {
    try {
      const u = new URL(t.pg);
      if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error('protocol');
    } catch {
      throw new UserError(`--pg ${t.pg} is not a postgres:// URL`, 'e.g. --pg postgres://postgres@127.0.0.1/postgres', EXIT.usage);
    }
  }
}

async function withAdmin<T>(adminUrl: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ ...clientConfig(adminUrl), application_name: 'snf-upgrade sandbox' });
  try {
    await c.connect();
  } catch (err) {
    throw new UserError(`cannot connect to the PostgreSQL server at ${scrubSecrets(adminUrl)}: ${(err as Error).message}`,
      'check --pg (an admin URL such as postgres://postgres@127.0.0.1/postgres) and that the server runs');
  }
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}


async function dropServerDbs(admin: pg.Client, name: string): Promise<string[]> {
  const v = Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num);
  const dropped: string[] = [];
  for (const db of sandboxDbNames(name)) {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount;
    if (!exists) continue;
    if (v >= 130000) {
      await admin.query(`DROP DATABASE "${db}" WITH (FORCE)`);
    } else {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
      await admin.query(`DROP DATABASE "${db}"`);
    }
    dropped.push(db);
  }
  return dropped;
}

function removeEmbeddedDir(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const lock = join(dir, 'snf-upgrade.pid');
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').split('\n')[0]);
    if (pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new UserError(`the embedded database ${dir} is in use by process ${pid}`, 'stop that process (e.g. the wizard) first');
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return true;
}

/**
 * Refuses (one line) unless every database and file of sandbox NAME that exists is the sandbox's
 * own (guard.ts): the databases of every layout (NAME_astakos, NAME_cyclades, NAME_pithos and
 * NAME_apps), since create and drop remove all of them.
 */
async function checkOwnSandbox(name: string, target: { pg?: string; embedded?: string }, paths: SandboxPaths,
  command: 'create' | 'drop'): Promise<void> {
  checkSandboxFiles(name, paths, command);
  for (const layout of SANDBOX_LAYOUTS) {
    const urls = sandboxUrls(name, target, layout);
    const exists = (s: Service) => (target.pg
      ? withAdmin(target.pg, async (a) => (await a.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName(urls[s])])).rowCount! > 0)
      : Promise.resolve(false));
    await checkSandboxDatabases({ name, urls, statePath: paths.state, exists, command });
  }
}

// ------------------------------------------------------------------ create

async function sessionSetup(c: Queryable, embedded: boolean): Promise<void> {
  const settings: Array<[string, string]> = embedded
    ? [['work_mem', '32MB'], ['maintenance_work_mem', '64MB'], ['client_min_messages', 'warning']]
    : [['work_mem', '128MB'], ['maintenance_work_mem', '512MB'], ['synchronous_commit', 'off'],
      ['client_min_messages', 'warning'], ['jit', 'off'], ['temp_buffers', '256MB']];
  for (const [k, v] of settings) {
    try {
      await c.query(`SET ${k} = '${v}'`);
    } catch { /* not settable here: fine */ }
  }
}

async function setSequences(c: Queryable): Promise<void> {
  const seqs = await c.query(`
    SELECT s.relname AS seq, t.relname AS tbl, a.attname AS col
      FROM pg_class s
      JOIN pg_depend d ON d.objid = s.oid AND d.deptype = 'a' AND d.classid = 'pg_class'::regclass
      JOIN pg_class t ON t.oid = d.refobjid
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      JOIN pg_namespace n ON n.oid = s.relnamespace AND n.nspname = 'public'
     WHERE s.relkind = 'S' ORDER BY 1`);
  for (const r of seqs.rows) {
    await c.query(`SELECT setval('public."${r.seq}"', coalesce((SELECT max("${r.col}") FROM public."${r.tbl}"), 1),
                                 (SELECT max("${r.col}") FROM public."${r.tbl}") IS NOT NULL)`);
  }
}

export async function tableCounts(c: Queryable, service: Service): Promise<Record<string, number>> {
  const tables = await c.query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                  WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`);
  if (tables.rows.length === 0) return {};
  const sql = tables.rows.map((r) => `SELECT '${r.relname}' AS t, count(*) AS n FROM public."${r.relname}"`).join(' UNION ALL ');
  const out: Record<string, number> = {};
  for (const r of (await c.query(sql)).rows) out[`${service}.${r.t}`] = Number(r.n);
  return out;
}

interface ServiceBuild {
  counts: Record<string, number>;
  owners?: Array<{ ident: string; pid: number; tag: string | null }>;
}

/** DJANGO_SHARED: another Django service's schema is already in DB (snf_apps): its Django tables are left alone. */
async function buildService(db: Db, service: Service, p: GenParams, log: (l: string) => void, djangoShared = false): Promise<ServiceBuild> {
  const c = await db.pool.connect();
  const t0 = Date.now();
  const step = async (what: string, sql: string) => {
    const t = Date.now();
    await c.query(sql);
    const ms = Date.now() - t;
    if (ms >= 1000) log(`${service}: ${what} (${(ms / 1000).toFixed(1)} s)`);
  };
  try {
    await sessionSetup(c, db.embedded);
    await c.query('BEGIN');
    const version = Number((await c.query<{ v: string }>('SELECT current_setting(\'server_version_num\') AS v')).rows[0]!.v);
    await c.query(helperFunctionsSql(p.seed, version >= 110000));
    const before = new Set(Object.keys(await tableCounts(c, service)));
    await loadSchema(c, service, '0.12.5', { sections: ['tables'], djangoShared });
    await step('people', peopleSql(p));
    const stmts = service === 'astakos' ? astakosDataSql(p) : service === 'cyclades' ? cycladesDataSql(p) : pithosDataSql(p);
    let i = 0;
    for (const s of stmts) await step(`data ${++i}/${stmts.length}`, s);
    const owners = service === 'cyclades' ? await settingsInput(c, p) : undefined;
    await c.query('DROP TABLE sbx_people');
    const t1 = Date.now();
    await loadSchema(c, service, '0.12.5', { sections: ['constraints', 'foreign-keys', 'version-rows'], djangoShared });
    if (Date.now() - t1 >= 1000) log(`${service}: constraints, indexes and foreign keys (${((Date.now() - t1) / 1000).toFixed(1)} s)`);
    await setSequences(c);
    await c.query('COMMIT');
    await c.query('ANALYZE');
    // In a shared database: only the tables this service's schema added.
    const counts = Object.fromEntries(Object.entries(await tableCounts(c, service)).filter(([t]) => !before.has(t)));
    log(`${service}: built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { counts, owners };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

export async function createSandbox(opts: CreateOptions): Promise<CreateResult> {
  const start = Date.now();
  const log = opts.log ?? (() => undefined);
  validateName(opts.name);
  const p = genParams(opts.scale, opts.seed ?? 1);
  const paths = sandboxPaths(opts.name, opts.configPath);
  // neither a server nor a directory: embedded, next to the config file
  opts = opts.pg || opts.embedded ? opts : { ...opts, embedded: join(dirname(paths.configPath), `${opts.name}-db`) };
  checkTarget(opts);
  const layout = opts.layout ?? 'separate';
  const urls = sandboxUrls(opts.name, opts, layout);

  log(`sandbox ${opts.name}: ${p.users} users, seed ${p.seed}${layout === 'shared' ? ', astakos and cyclades in one database' : ''}, ${opts.pg ? `server ${scrubSecrets(opts.pg)}` : `embedded ${resolve(opts.embedded!)}`}`);
  await checkOwnSandbox(opts.name, opts, paths, 'create');
  if (opts.pg) {
    await withAdmin(opts.pg, async (admin) => {
      const dropped = await dropServerDbs(admin, opts.name);
      if (dropped.length) log(`dropped old ${dropped.join(', ')}`);
      for (const db of new Set(SERVICES.map((s) => sandboxDbName(opts.name, s, layout)))) {
        await admin.query(`CREATE DATABASE "${db}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE '${(opts.ctype ?? 'C').replace(/'/g, "''")}'`);
      }
    });
  } else {
    for (const db of sandboxDbNames(opts.name)) {
      const dir = join(resolve(opts.embedded!), db);
      if (removeEmbeddedDir(dir)) log(`removed old ${dir}`);
    }
    mkdirSync(resolve(opts.embedded!), { recursive: true, mode: 0o700 });
  }
  removeSandboxFiles(opts.name, paths, log, false);

  const dbs: Db[] = [];
  const counts: Record<string, number> = {};
  let owners: ServiceBuild['owners'];
  try {
    for (const s of SERVICES) dbs.push(await openDb(s, urls[s], { max: 2, application: 'snf-upgrade sandbox' }));
    // Services sharing a database are built one after the other in it, the first with Django's tables.
    const groups = new Map<string, Db[]>();
    for (const db of dbs) groups.set(physicalDatabase(db.url), [...(groups.get(physicalDatabase(db.url)) ?? []), db]);
    for (const group of groups.values()) await markSandboxDatabase(group[0]!.pool, opts.name);
    const builds = (await Promise.all([...groups.values()].map(async (group) => {
      const out: ServiceBuild[] = [];
      for (const [i, db] of group.entries()) out.push(await buildService(db, db.service, p, log, i > 0));
      return out;
    }))).flat();
    for (const b of builds) {
      Object.assign(counts, b.counts);
      owners ??= b.owners;
    }
  } finally {
    for (const db of dbs) await db.close().catch(() => undefined);
  }

  writeSettingsSealed(dirname(paths.settings.astakos), opts.name,
    () => writeSettings(paths.settings, p, { owners: owners ?? [], dbLines: databaseLines(urls) }));
  const config = {
    astakos: { db: urls.astakos, settings: paths.settings.astakos },
    cyclades: { db: urls.cyclades, settings: paths.settings.cyclades },
    pithos: { db: urls.pithos, settings: paths.settings.pithos },
    state: paths.state,
    backups: paths.backups,
  };
  mkdirSync(dirname(paths.configPath), { recursive: true });
  writePrivateFile(paths.configPath, `${JSON.stringify(config, null, 2)}\n`);
  const ms = Date.now() - start;
  log(`wrote ${paths.configPath}; done in ${(ms / 1000).toFixed(1)} s`);
  return { configPath: paths.configPath, urls, counts, ms };
}

// ------------------------------------------------------------------ drop

/** URLs recorded in a sandbox config file, if it is one. */
export function readSandboxConfig(configPath: string): Record<Service, string> | undefined {
  if (!existsSync(configPath)) return undefined;
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch {
    throw new UserError(`${configPath} is not valid JSON`, 'fix or remove the file');
  }
  const urls = {} as Record<Service, string>;
  for (const s of SERVICES) {
    const db = raw?.[s]?.db;
    if (typeof db !== 'string') return undefined;
    urls[s] = db;
  }
  return urls;
}

export async function dropSandbox(opts: DropOptions): Promise<{ removed: string[] }> {
  const log = opts.log ?? (() => undefined);
  validateName(opts.name);
  const paths = sandboxPaths(opts.name, opts.configPath);
  const removed: string[] = [];
  const note = (l: string) => {
    removed.push(l);
    log(l);
  };
  let target: { pg?: string; embedded?: string } = { pg: opts.pg, embedded: opts.embedded };
  if (!target.pg && !target.embedded) {
    const recorded = readSandboxConfig(paths.configPath);
    if (!recorded) {
      throw new UserError(`no --pg or --embedded given and no sandbox config at ${paths.configPath}`,
        'give --pg URL or --embedded DIR (as for create), or --config FILE', EXIT.usage);
    }
    if (isEmbeddedUrl(recorded.astakos)) {
      target = { embedded: dirname(embeddedDir(recorded.astakos)) };
    } else {
      const u = new URL(recorded.astakos);
      u.pathname = '/postgres';
      target = { pg: u.toString() };
    }
  }
  checkTarget(target);
  await checkOwnSandbox(opts.name, target, paths, 'drop');
  if (target.pg) {
    await withAdmin(target.pg, async (admin) => {
      for (const db of await dropServerDbs(admin, opts.name)) note(`dropped database ${db}`);
    });
  } else {
    for (const db of sandboxDbNames(opts.name)) {
      const dir = join(resolve(target.embedded!), db);
      if (removeEmbeddedDir(dir)) note(`removed ${dir}`);
    }
    // the default directory of create (CONFIGDIR/NAME-db) goes too once empty
    const root = resolve(target.embedded!);
    if (root === join(dirname(paths.configPath), `${opts.name}-db`) && existsSync(root) && readdirSync(root).length === 0) {
      rmSync(root, { recursive: true, force: true });
    }
  }
  removeSandboxFiles(opts.name, paths, note, true);
  return { removed };
}
