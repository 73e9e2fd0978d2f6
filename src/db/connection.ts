// Connections to the service databases: a pg pool per service, either to a real
// PostgreSQL server (postgres:// URLs, PG* variables, ~/.pgpass) or to an embedded
// PostgreSQL (pglite:DIR) served on a loopback port so the same pg code talks to it.
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { parse, toClientConfig, type ConnectionOptions } from 'pg-connection-string';
import { EXIT, UserError } from '../errors.js';
import { passwordFromPgpass } from './pgpass.js';
import { scrubSecrets } from '../secrets.js';
import { processAlive, processLiveness, processStartTime } from '../processes.js';
import { statementTimeoutMs } from './timeouts.js';

export type Service = 'astakos' | 'cyclades' | 'pithos';
export const SERVICES: readonly Service[] = ['astakos', 'cyclades', 'pithos'];

export interface Db {
  service: Service;
  /** The URL as given, for display only after redactUrl(). */
  url: string;
  /** What to show the operator: host:port/dbname, never a password. */
  label: string;
  pool: pg.Pool;
  embedded: boolean;
  /** Every configured service living in this physical database (absent: only `service`). */
  services?: readonly Service[];
  close(): Promise<void>;
}

/** The services DB holds, for messages: "astakos", or "astakos and cyclades" in a shared database. */
export function serviceNames(db: Pick<Db, 'service' | 'services'>, join = ' and '): string {
  return (db.services ?? [db.service]).join(join);
}

const EMBEDDED_PREFIX = 'pglite:';

export function isEmbeddedUrl(url: string): boolean {
  return url.startsWith(EMBEDDED_PREFIX);
}

export function embeddedDir(url: string): string {
  return resolve(url.slice(EMBEDDED_PREFIX.length));
}

/** Which database a URL reaches, as pg resolves it (the PG* variables fill what the URL leaves out). */
export interface ConnectionIdentity {
  /** A host name, an IP address, or a unix-socket directory (starting with "/"). */
  host: string;
  port: string;
  database: string;
  user: string;
}

/**
 * The URL parsed by pg's own parser (so that socket directories, ?host= and ?port= count),
 * or a one-line usage error: the usual cause is a password with URL metacharacters.
 */
function parseUrl(url: string, service?: Service): ConnectionOptions {
  try {
    return parse(url);
  } catch {
    throw new UserError(`${service ? `the ${service} database URL` : 'a database URL'} does not parse as a postgres:// URL`,
      'if its password holds any of @ : / ? # [ ] % or a space, write them percent-encoded (%40 %3A %2F %3F %23 %5B %5D %25 %20), or leave the password out of the URL and put it in ~/.pgpass or PGPASSWORD',
      EXIT.usage);
  }
}

/** HOST:PORT/DATABASE of a server database: socket directories as they are, IPv6 addresses in brackets. */
export function connectionIdentity(url: string, env: NodeJS.ProcessEnv = process.env): ConnectionIdentity {
  const c = parseUrl(url);
  const user = c.user || env.PGUSER || env.USER || '';
  const host = (c.host || env.PGHOST || 'localhost').replace(/(.)\/+$/, '$1');
  return {
    host,
    port: String(c.port || env.PGPORT || 5432),
    database: c.database || env.PGDATABASE || user,
    user,
  };
}

/** host:port/dbname (or pglite:DIR) — safe to print: user names and passwords are dropped. */
export function redactUrl(url: string): string {
  if (isEmbeddedUrl(url)) return url;
  try {
    const { host, port, database } = connectionIdentity(url);
    return `${host.includes(':') ? `[${host}]` : host}:${port}/${database}`;
  } catch {
    return '<unparseable url>';
  }
}

/**
 * What pg.Pool and pg.Client are given for URL. With no password in the URL or PGPASSWORD,
 * the password comes from ~/.pgpass (PGPASSFILE) through a function, as pg asks callers to
 * do instead of its own deprecated lookup (which warns on stderr at every connection).
 */
export function clientConfig(url: string, service?: Service): pg.ClientConfig {
  const config = toClientConfig(parseUrl(url, service));
  // pg calls it with the connection's resolved parameters (its types say no argument).
  if (!config.password && !process.env.PGPASSWORD) config.password = passwordFromPgpass as unknown as () => Promise<string>;
  return config;
}

/**
 * URL as a libpq connection string for pg_dump and pg_restore, without its password (which
 * goes in PGPASSWORD, never on a command line): host, port, database and user as pg resolves
 * them, and the URL's other parameters (sslmode, …) as they are.
 */
export function libpqConnection(url: string): { conninfo: string; password?: string } {
  const { host, port, database, user } = connectionIdentity(url);
  const params = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  for (const k of ['host', 'port', 'dbname', 'user', 'password']) params.delete(k);
  const quote = (v: string): string => `'${v.replace(/[\\']/g, '\\$&')}'`;
  const pairs = [['host', host], ['port', port], ['dbname', database], ...(user ? [['user', user]] : []), ...params];
  const password = parseUrl(url).password || undefined;
  return { conninfo: pairs.map(([k, v]) => `${k}=${quote(v!)}`).join(' '), password };
}

/**
 * Which physical database URL names: host, port and database name as connectionIdentity()
 * reads them (pg's parser, PG* defaults), or the embedded folder. Two URLs with the same key
 * reach the same database, however they are written.
 */
export function physicalDatabase(url: string): string {
  if (isEmbeddedUrl(url)) return `${EMBEDDED_PREFIX}${embeddedDir(url)}`;
  let id: ConnectionIdentity;
  try {
    id = connectionIdentity(url);
  } catch {
    return url;
  }
  return `${id.host.startsWith('/') ? id.host : id.host.toLowerCase()}:${id.port}/${id.database}`;
}

/** Whether two connection URLs reach the same physical database. */
export function sameDatabase(a: string, b: string): boolean {
  return physicalDatabase(a) === physicalDatabase(b);
}

export interface OpenOptions {
  /** Pool size; the engine needs one connection for the lock plus one or two for work. */
  max?: number;
  application?: string;
}

export async function openDb(service: Service, url: string, opts: OpenOptions = {}): Promise<Db> {
  const label = redactUrl(url);
  if (isEmbeddedUrl(url)) return openEmbedded(service, url, label, opts);
  const pool = new pg.Pool({
    ...clientConfig(url, service),
    max: opts.max ?? 4,
    application_name: opts.application ?? 'snf-upgrade',
    connectionTimeoutMillis: 10_000,
    // A frozen server or a cut network ends in an error instead of a wait without end.
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    statement_timeout: statementTimeoutMs(),
  });
  pool.on('error', () => { /* idle client errors surface on the next query */ });
  await probe(pool, service, label, [url]);
  return { service, url, label, pool, embedded: false, close: () => pool.end() };
}

async function probe(pool: pg.Pool, service: Service, label: string, urls: string[]): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    const e = err as NodeJS.ErrnoException & { code?: string };
    const cause = e.code === 'ECONNREFUSED' ? 'connection refused'
      : e.code === 'ENOTFOUND' ? 'host not found'
      : e.code === '3D000' ? 'database does not exist'
      : e.code === '28P01' || e.code === '28000' ? 'authentication failed'
      : scrubSecrets(e.message, urls);
    throw new UserError(`cannot reach the ${service} database at ${label}: ${cause}`,
      `check "${service}.db" in the config file (or SNF_${service.toUpperCase()}_DB) and that the server is running`);
  }
}

// ---------------------------------------------------------------- embedded

interface EmbeddedInstance { refs: number; port: number; dump(): Promise<Buffer>; close(): Promise<void> }
const embedded = new Map<string, Promise<EmbeddedInstance>>();

async function openEmbedded(service: Service, url: string, label: string, opts: OpenOptions): Promise<Db> {
  const dir = embeddedDir(url);
  let inst = embedded.get(dir);
  if (!inst) {
    inst = startEmbedded(dir);
    embedded.set(dir, inst);
    inst.catch(() => embedded.delete(dir));
  }
  const instance = await inst;
  instance.refs++;
  const pool = new pg.Pool({
    host: '127.0.0.1', port: instance.port, user: 'postgres', database: 'postgres',
    max: opts.max ?? 4, application_name: opts.application ?? 'snf-upgrade',
  });
  pool.on('error', () => undefined);
  await probe(pool, service, label, []);
  let closed = false;
  return {
    service, url, label, pool, embedded: true,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
      if (--instance.refs === 0) {
        embedded.delete(dir);
        await instance.close();
      }
    },
  };
}

/** An embedded database another process has open: there, and at work (status shows it, and succeeds). */
export class DatabaseInUse extends UserError {}

/** A lock file keeps a second process from opening the same embedded data directory. */
function takeDirLock(dir: string): () => void {
  const file = join(dir, 'snf-upgrade.pid');
  if (existsSync(file)) {
    const [pidText, host, since, start] = readFileSync(file, 'utf8').split('\n');
    const pid = Number(pidText);
    // Its start time tells a live holder from a pid the kernel has since given to another process.
    const alive = host === hostname() && pid !== process.pid && processLiveness(pid, start).alive;
    if (alive) {
      throw new DatabaseInUse(`the embedded database ${dir} is in use by process ${pid} on ${host}${since ? ` since ${since.slice(0, 19).replace('T', ' ')}` : ''}`,
        'wait for that process to finish, or stop it (--take-over cannot end a live process that has an embedded database open)');
    }
  }
  writeFileSync(file, `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n${processStartTime(process.pid) ?? ''}\n`, { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

export { processAlive };

async function startEmbedded(dir: string): Promise<EmbeddedInstance> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const release = takeDirLock(dir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const db = await PGlite.create(join(dir, 'data'));
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
    await server.start();
    const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
    return {
      refs: 0,
      port: address.port,
      async dump() {
        const blob = await db.dumpDataDir('gzip');
        return Buffer.from(await blob.arrayBuffer());
      },
      async close() {
        await server.stop();
        await db.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** A gzipped tar of an open embedded database's data directory (its backup). */
export async function dumpEmbeddedDir(dir: string): Promise<Buffer> {
  const inst = embedded.get(dir);
  if (!inst) throw new Error(`embedded database ${dir} is not open`);
  return (await inst).dump();
}

/** Closes every embedded instance this process still has open (for tests and exit paths). */
export async function closeAllEmbedded(): Promise<void> {
  const all = [...embedded.values()];
  embedded.clear();
  for (const p of all) await (await p).close().catch(() => undefined);
}
