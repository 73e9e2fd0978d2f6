// A backup made on the database host, for a server this machine's pg_dump cannot dump (a 9.1
// server and pg_dump 15, or a server newer than pg_dump): the exact command to run there, and
// the check of the file the operator copies back before it is recorded as the step's backup.
import { copyFileSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'pg-connection-string';
import { serviceNames, type Db } from './connection.js';
import { run, sha256File, versionNumOf, writeBackup, type BackupFile } from './backup.js';
import { releaseOf, serverVersionNum } from './server.js';
import { UserError } from '../errors.js';

/** What identifies the database on its server: its name, the user this tool connects as, the port. */
async function identity(db: Db): Promise<{ dbname: string; user: string; port: string }> {
  const r = await db.pool.query<{ dbname: string; usr: string; port: string }>(
    "SELECT current_database() AS dbname, current_user AS usr, current_setting('port') AS port");
  return { dbname: r.rows[0]!.dbname, user: r.rows[0]!.usr, port: r.rows[0]!.port };
}

/** A word as a POSIX shell reads it back unchanged. */
const shellWord = (w: string): string => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** The file name suggested for the dump of DBNAME made for LABEL (e.g. snf_apps-step1.dump). */
export const hostDumpName = (dbname: string, label: string): string => `${dbname}-${label}.dump`.replace(/[^\w.-]/g, '_');

/**
 * The pg_dump command that backs up DB on its own host: this deployment's host (as configured),
 * port, user and database, custom format, no password (pg_dump asks for it, or reads ~/.pgpass).
 * The database name goes last: pg_dump 9.1 has no --dbname.
 */
export async function hostDumpCommand(db: Db, label: string): Promise<{ command: string; file: string }> {
  const { dbname, user, port } = await identity(db);
  const host = parse(db.url).host || process.env.PGHOST || '';
  const file = hostDumpName(dbname, label);
  const words = ['pg_dump', '-Fc', ...(host ? ['-h', host] : []), '-p', port, '-U', user, '-f', file, dbname];
  return { command: words.map(shellWord).join(' '), file };
}

/** What `pg_restore --list` says of a dump: its database, the server release it came from, whether it holds data. */
export interface DumpHeader { dbname: string; serverVersion?: number; hasData: boolean; createdAt?: Date }

export async function readDumpHeader(path: string): Promise<DumpHeader | { problem: string }> {
  const list = await run('pg_restore', ['--list', path]);
  if (list.code === -1) return { problem: 'pg_restore is not installed on this machine, so it cannot be checked' };
  const dbname = /^;\s+dbname:\s*(.*)$/im.exec(list.stdout)?.[1]?.trim();
  if (list.code !== 0 || dbname === undefined) {
    const why = list.stderr.trim().split('\n')[0]?.replace(/^pg_restore:\s*(error:\s*)?/, '') || 'no archive header';
    return { problem: `is not a pg_dump -Fc archive (pg_restore --list: ${why})` };
  }
  const from = /^;\s+Dumped from database version:\s*(.*)$/im.exec(list.stdout)?.[1];
  const created = /^;\s+Archive created at\s*(.*)$/im.exec(list.stdout)?.[1]?.trim();
  const createdAt = created ? new Date(created.replace(' ', 'T').replace(/ (UTC|GMT)$/, 'Z')) : undefined;
  return { dbname, serverVersion: from ? versionNumOf(from) : undefined, hasData: /\bTABLE DATA\b/.test(list.stdout),
    ...(createdAt && !Number.isNaN(createdAt.getTime()) ? { createdAt } : {}) };
}

/**
 * Checks SOURCE, a dump the operator made of DB on the database host (pg_restore --list reads it,
 * it is of this database and this server's release, it holds table data), and copies it into DIR
 * (0600, named like the other backups, sha256 of the copy). Refuses in one line otherwise.
 */
export async function adoptHostDump(db: Db, source: string, dir: string, label: string, notBefore?: string): Promise<BackupFile> {
  const path = resolve(source.trim());
  const refuse = (why: string): UserError => new UserError(`${path} ${why}; nothing was recorded`,
    'run the pg_dump -Fc command shown on the database host, copy the file to this machine and give its path');
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw refuse('is not a file');
    size = st.size;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw refuse('does not exist on this machine');
  }
  if (size === 0) throw refuse('is empty');
  const header = await readDumpHeader(path);
  if ('problem' in header) throw refuse(header.problem);
  const { dbname } = await identity(db);
  if (header.dbname !== dbname) throw refuse(`is a dump of database "${header.dbname}", not of the ${serviceNames(db)} database "${dbname}" (${db.label})`);
  const server = await serverVersionNum(db.pool);
  if (header.serverVersion !== undefined && releaseOf(header.serverVersion) !== releaseOf(server)) {
    throw refuse(`was dumped from a PostgreSQL ${releaseOf(header.serverVersion)} server; the ${serviceNames(db)} database runs ${releaseOf(server)}`);
  }
  if (!header.hasData) throw refuse('holds no table data (a --schema-only dump?)');
  if (notBefore && header.createdAt && header.createdAt.toISOString() < notBefore) {
    throw refuse(`was made at ${header.createdAt.toISOString().slice(0, 16).replace('T', ' ')}, before the moment it must hold (${notBefore.slice(0, 16).replace('T', ' ')}): make a new one`);
  }
  const before = await sha256File(path);
  const copy = await writeBackup(db, dir, label, 'pg_dump', async (partial) => { copyFileSync(path, partial); return size; });
  if (copy.sha256 !== before) {
    rmSync(copy.path, { force: true });
    throw refuse(`changed while it was copied (sha256 ${before.slice(0, 12)}… became ${copy.sha256.slice(0, 12)}…)`);
  }
  return copy;
}
