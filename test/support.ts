// Where database tests run: the PostgreSQL server named by SNF_TEST_PG_URL (or the PG*
// variables), or, with neither set, embedded PostgreSQL instances in a temporary folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Io } from '../src/cli/main.js';
import { closeAllEmbedded, openDb, SERVICES, type Db, type Service } from '../src/db/connection.js';
import { loadSchema } from '../src/sandbox/schema.js';

export function serverUrl(): string | undefined {
  if (process.env.SNF_TEST_PG_URL) return process.env.SNF_TEST_PG_URL;
  if (process.env.PGHOST) return `postgres:///${process.env.PGDATABASE ?? 'postgres'}`;
  return undefined;
}

export const usingServer = (): boolean => serverUrl() !== undefined;

/** Where a test sandbox's databases go: the test server, else embedded under DIR. */
export function sandboxTarget(dir: string): { pg: string } | { embedded: string } {
  const base = serverUrl();
  return base ? { pg: base } : { embedded: join(dir, 'db') };
}

/** A URL for database NAME on the test server, or an embedded directory URL. */
export function dbUrl(base: string, name: string): string {
  if (base.startsWith('pglite:')) return `pglite:${join(base.slice(7), name)}`;
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

let tmpRoot: string | undefined;
export function tempDir(prefix = 'snf-test-'): string {
  tmpRoot ??= mkdtempSync(join(tmpdir(), 'snf-upgrade-tests-'));
  return mkdtempSync(join(tmpRoot, prefix));
}

/** What every test database's name starts with: SNF_TEST_DB_PREFIX, so that two test runs can share one server. */
const testDbPrefix = (): string => process.env.SNF_TEST_DB_PREFIX || 'snft_';

/** NAME with the test run's prefix before it. */
export const testDbName = (name: string): string => `${testDbPrefix()}${name}`;

/** Drops every database of this test run on the test server (test files run one at a time). */
async function dropTestDatabases(): Promise<void> {
  const base = serverUrl();
  if (!base) return;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    const prefix = testDbPrefix();
    const r = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1', [prefix]);
    for (const { datname } of r.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Empty databases NAME_astakos, NAME_cyclades, NAME_pithos: on the server (dropped and
 * created again) or as fresh embedded directories. Returns their URLs.
 */
export async function emptyDatabases(name: string): Promise<Record<Service, string>> {
  const base = serverUrl();
  const urls = {} as Record<Service, string>;
  if (!base) {
    const dir = tempDir(`${name}-`);
    for (const s of SERVICES) urls[s] = `pglite:${join(dir, `${name}_${s}`)}`;
    return urls;
  }
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    for (const s of SERVICES) {
      const db = `${testDbName(name)}_${s}`;
      await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${db}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
      urls[s] = dbUrl(base, db);
    }
  } finally {
    await admin.end();
  }
  return urls;
}

/** Databases NAME_<service> (emptyDatabases) with each service's schema of RELEASE loaded, no rows. Returns their URLs. */
export async function schemaDatabases(name: string, release: '0.12.5' | '0.13' = '0.12.5'): Promise<Record<Service, string>> {
  const urls = await emptyDatabases(name);
  for (const s of SERVICES) await withDb(s, urls[s], (db) => loadSchema(db.pool, s, release));
  return urls;
}

export async function cleanupAll(): Promise<void> {
  await closeAllEmbedded();
  await dropTestDatabases();
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  tmpRoot = undefined;
}

/** Runs `snf-upgrade ARGS` from source in a child process and collects its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const cli = new URL('./helpers/cli.ts', import.meta.url).pathname;
  return spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Writes a config file for URLS into DIR and returns its path. */
export function writeConfig(dir: string, urls: Record<Service, string>, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'snf-upgrade.json');
  writeFileSync(file, JSON.stringify({
    astakos: { db: urls.astakos }, cyclades: { db: urls.cyclades }, pithos: { db: urls.pithos },
    state: join(dir, 'upgrade.db'), backups: join(dir, 'backups'), ...extra,
  }, null, 2));
  return file;
}

/** Runs `snf-upgrade ARGS --config CFG` in this process and collects its output. */
export async function cliIn(cfg: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += `${s}\n`; }, err: (s) => { err += `${s}\n`; }, isTTY: false };
  const { main } = await import('../src/cli/main.js');
  const code = await main([...args, '--config', cfg], io);
  return { code, out, err };
}

/** Opens SERVICE's database at URL for FN, and closes it. */
export async function withDb<T>(service: Service, url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(service, url, { max: 2 });
  try { return await fn(db); } finally { await db.close(); }
}

/** A PATH whose pg_dump says it is VERSION and refuses to dump (this machine's pg_restore is still found after it). */
export function pathWithRefusingPgDump(version = '14.9'): string {
  const bin = tempDir('pg-dump-stub-');
  writeFileSync(join(bin, 'pg_dump'), `#!/bin/sh\n[ "$1" = --version ] && { echo "pg_dump (PostgreSQL) ${version}"; exit 0; }\necho "pg_dump: error: aborting because of server version mismatch" >&2\nexit 1\n`, { mode: 0o755 });
  return `${bin}:${process.env.PATH}`;
}

const stateFiles = (path: string): string[] => ['', '-wal', '-shm'].map((x) => path + x).filter(existsSync);

/** Removes a state file with its SQLite sidecars (a lost state file). */
export function removeStateFile(path: string): void {
  for (const f of stateFiles(path)) rmSync(f);
}

/** Copies a state file with its sidecars over TO (an older copy put back). */
export function copyStateFile(from: string, to: string): void {
  removeStateFile(to);
  for (const f of stateFiles(from)) copyFileSync(f, to + f.slice(from.length));
}
