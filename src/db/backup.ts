// Database backups: pg_dump -Fc for servers, a data-directory archive for embedded ones.
// A backup is written under a .partial name and renamed only once it is complete and checked.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, mkdirSync, readdirSync, renameSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { embeddedDir, libpqConnection, serviceNames, type Db } from './connection.js';
import { releaseOf, serverVersionNum } from './server.js';
import { scrubSecrets } from '../secrets.js';
import { UserError } from '../errors.js';
import { faultPoint } from '../faults.js';

export interface BackupFile {
  path: string;
  bytes: number;
  sha256: string;
  kind: 'pg_dump' | 'embedded';
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// What a signal that ends the tool must end with it: the pg_dump / pg_restore it started (they
// would run on as orphans) and the backup files they were writing.
const children = new Set<ChildProcess>();
const partials = new Set<string>();

/**
 * Ends every child process this tool started and removes the half-written backups (SIGTERM,
 * SIGHUP: the tool is going away). Synchronous, so it can run in a signal handler before exit.
 */
export function abortBackups(): void {
  for (const child of children) child.kill('SIGTERM');
  children.clear();
  for (const file of partials) rmSync(file, { force: true });
  partials.clear();
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (err) => resolveRun({ code: -1, stdout, stderr: err.message }));
    child.on('close', (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
  });
}

/** A PostgreSQL version as written by `pg_dump --version` or in a dump's header ("9.1.24", "15.4 (Debian …)") as a server_version_num. */
export function versionNumOf(text: string): number | undefined {
  const m = /(?:\(PostgreSQL\)\s+|^|\s)(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100 + patch;
}

/** The release a server_version_num belongs to, as a comparable number: 9.1 → 901, 15 → 1500. */
const majorOf = (versionNum: number): number => (versionNum >= 100000 ? Math.floor(versionNum / 10000) * 100 : Math.floor(versionNum / 100));

/**
 * Whether a pg_dump of version PGDUMP (undefined: none installed) can dump a server of version
 * SERVER (both server_version_num): why not, or undefined. pg_dump refuses servers newer than
 * itself, and from 15 on servers older than 9.2.
 */
export function dumpProblem(pgDump: number | undefined, server: number): string | undefined {
  if (pgDump === undefined) return 'pg_dump is not installed on this machine';
  if (pgDump >= 150000 && server < 90200) {
    return `pg_dump ${releaseOf(pgDump)} cannot dump PostgreSQL ${releaseOf(server)} (pg_dump 15 and later need a 9.2 or later server)`;
  }
  if (majorOf(pgDump) < majorOf(server)) return `pg_dump ${releaseOf(pgDump)} is older than the server (PostgreSQL ${releaseOf(server)})`;
  return undefined;
}

/** This machine's pg_dump version (server_version_num form), or undefined when there is none. */
export async function pgDumpVersion(): Promise<number | undefined> {
  const v = await run('pg_dump', ['--version']);
  return v.code === 0 ? versionNumOf(v.stdout) : undefined;
}

/** Why this machine's pg_dump cannot back up DB (missing, too old, too new for a 9.1 server), or undefined. */
export async function pgDumpProblem(db: Db): Promise<string | undefined> {
  if (db.embedded) return undefined;
  return dumpProblem(await pgDumpVersion(), await serverVersionNum(db.pool));
}

/** Removes half-written backups left by an interrupted run. */
export function removePartials(dir: string): string[] {
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return []; }
  const partial = names.filter((n) => n.endsWith('.partial'));
  for (const n of partial) rmSync(join(dir, n), { force: true });
  return partial;
}

export async function backupDatabase(db: Db, dir: string, label: string): Promise<BackupFile> {
  return writeBackup(db, dir, label, db.embedded ? 'embedded' : 'pg_dump',
    async (partial) => (db.embedded ? dumpEmbedded(db, partial) : pgDump(db, partial).then(() => undefined)));
}

/**
 * Writes one backup of DB into DIR through WRITE (given the .partial file to fill; it may return the
 * size the folder must hold), then names it for LABEL and the service: 0600, checked, complete or absent.
 */
export async function writeBackup(db: Db, dir: string, label: string, kind: BackupFile['kind'],
  write: (partial: string) => Promise<number | undefined>): Promise<BackupFile> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:]/g, '').replace(/\..*/, '');
  // A shared database's one dump is named for every service in it (step1-astakos+cyclades-…).
  const base = `${label}-${serviceNames(db, '+')}-${stamp}`;
  const final = join(dir, kind === 'embedded' ? `${base}.tar.gz` : `${base}.dump`);
  const partial = `${final}.partial`;
  let needed: number | undefined;
  partials.add(partial);
  try {
    writeFileSync(partial, '', { mode: 0o600 });
    needed = await write(partial);
    chmodSync(partial, 0o600);
    await faultPoint('backup:written');
    renameSync(partial, final);
    partials.delete(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    partials.delete(partial);
    if (isDiskFull(err)) throw await folderFull(db, dir, needed ?? (err as { needed?: number }).needed);
    throw err;
  }
  return { path: final, bytes: statSync(final).size, sha256: await sha256File(final), kind };
}

function isDiskFull(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'ENOSPC' || e?.code === 'EDQUOT' || /No space left on device|Disk quota exceeded/i.test(e?.message ?? '');
}

/** The backup folder is full: name it, what the backup needs and what is free. */
async function folderFull(db: Db, dir: string, needed?: number): Promise<UserError> {
  let free = '';
  try {
    const fs = statfsSync(dir);
    free = `, ${formatBytes(fs.bavail * fs.bsize)} free`;
  } catch { /* the folder's file system cannot be asked */ }
  let need = needed !== undefined ? `needs ${formatBytes(needed)}` : '';
  if (!need) {
    const r = await db.pool.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n').catch(() => undefined);
    if (r) need = `needs up to ${formatBytes(Number(r.rows[0]!.n))} (the database's size; the dump is compressed)`;
  }
  return new UserError(`the backup folder ${dir} is full: the ${db.service} backup ${need || 'did not fit'}${free}; nothing was recorded`,
    'free space there (or point "backups" in the config at a bigger disk), then run the same command again');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

async function pgDump(db: Db, file: string): Promise<void> {
  // The password travels in the environment, never on the command line.
  const { conninfo, password } = libpqConnection(db.url);
  const env = { ...process.env };
  if (password) env.PGPASSWORD = password;
  const r = await run('pg_dump', ['-Fc', '--no-password', '-f', file, '--dbname', conninfo], env);
  if (r.code !== 0) {
    throw new UserError(`pg_dump of the ${db.service} database failed: ${scrubSecrets(r.stderr.trim().split('\n')[0] ?? '', [db.url])}`,
      'check disk space in the backup folder and the database connection, then run step 1 again');
  }
  const list = await run('pg_restore', ['--list', file]);
  if (list.code !== 0 || !list.stdout.includes('TABLE DATA')) {
    throw new UserError(`the ${db.service} backup ${file} does not read back with pg_restore --list`,
      'check the backup folder (disk full?) and run step 1 again');
  }
}

/** Writes the archive to FILE and returns its size (what the folder must hold). */
async function dumpEmbedded(db: Db, file: string): Promise<number> {
  const r = await db.pool.query<{ n: string }>('SELECT 1 AS n');
  if (!r.rowCount) throw new Error('embedded database did not answer');
  const { dumpEmbeddedDir } = await import('./connection.js');
  const data = await dumpEmbeddedDir(embeddedDir(db.url));
  try {
    writeFileSync(file, data, { mode: 0o600 });
  } catch (err) {
    if (isDiskFull(err)) throw Object.assign(err as Error, { needed: data.length });
    throw err;
  }
  const tar = gunzipSync(data);
  if (tar.subarray(257, 262).toString() !== 'ustar') {
    throw new UserError(`the ${db.service} backup ${file} is not a readable archive`, 'run step 1 again');
  }
  return data.length;
}
