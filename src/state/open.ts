// Opening the state file without ever damaging it: refuse (with a UserError) anything that
// is not one of our files at a version we understand, before writing a single byte.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../errors.js';
import { APPLICATION_ID, LATEST_SCHEMA, applyMigrations, schemaVersion } from './schema.js';

export interface OpenDatabaseOptions {
  /** Create the file (and its folder) if missing. Default true; ignored when readonly. */
  create?: boolean;
  readonly?: boolean;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const BUSY_TIMEOUT_MS = 5000;
const FILE_MODE = 0o600;

const NEXT_CORRUPT = 'restore it from a copy, or move it aside to start a new upgrade record';
const NEXT_OTHER_FILE = 'use the newer snf-upgrade, or point --state at another file';

/** Opens (creating and migrating when allowed) the state file at PATH. */
export function openStateDatabase(path: string, options: OpenDatabaseOptions = {}): Database.Database {
  const readonly = options.readonly ?? false;
  const create = !readonly && (options.create ?? true);
  const file = resolve(path);

  const size = fileSize(path, file);
  if (size === undefined) {
    if (!create) throw new UserError(`state file ${path} does not exist`, 'check the --state path');
    createEmptyFile(path, file);
  } else if (size > 0) {
    checkHeader(path, file, size);
  }

  // SQLite creates -wal/-shm beside a file in WAL mode even to read it; a refused file keeps none.
  const sidecars = ['-wal', '-shm'].filter((suffix) => !existsSync(file + suffix));
  const removeSidecars = () => { for (const suffix of sidecars) rmSync(file + suffix, { force: true }); };
  let db: Database.Database;
  try {
    db = new Database(file, { readonly, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    removeSidecars();
    throw translate(err, path);
  }
  try {
    checkContents(db, path, readonly);
    if (!readonly) {
      tightenMode(path, file); // only once the file is known to be ours
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new UserError(`state file ${path} cannot use write-ahead logging (journal mode ${String(mode)})`, 'put the state file on a local file system');
      db.pragma('foreign_keys = ON');
      applyMigrations(db);
      for (const suffix of ['-wal', '-shm']) tightenMode(path + suffix, file + suffix, true);
    } else {
      db.pragma('foreign_keys = ON');
    }
    return db;
  } catch (err) {
    db.close();
    removeSidecars();
    throw translate(err, path);
  }
}

function fileSize(path: string, file: string): number | undefined {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new UserError(`state file ${path} is not a regular file`, 'point --state at a file');
    return stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw translate(err, path);
  }
}

/** Creates an empty file readable by its owner only; the umask can only narrow 0600. */
function createEmptyFile(path: string, file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'wx', FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // another process won the race
    throw translate(err, path);
  }
}

function tightenMode(path: string, file: string, optional = false): void {
  try {
    if ((statSync(file).mode & 0o777) !== FILE_MODE) chmodSync(file, FILE_MODE);
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw translate(err, path);
  }
}

function checkHeader(path: string, file: string, size: number): void {
  const head = Buffer.alloc(SQLITE_MAGIC.length);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, head, 0, head.length, 0);
  } catch (err) {
    throw translate(err, path);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (size < 100 || !head.equals(SQLITE_MAGIC)) throw corrupt(path, 'not an SQLite database');
}

/** Refuses files that are damaged, someone else's, or from a newer snf-upgrade. Reads only. */
function checkContents(db: Database.Database, path: string, readonly: boolean): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = schemaVersion(db);
  checkTables(db, path, (name) => name !== BULK_TABLE);
  const hasTables = (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n > 0;
  if ((appId !== 0 && appId !== APPLICATION_ID) || (appId === 0 && (version > 0 || hasTables))) {
    throw new UserError(`state file ${path} is an SQLite database of another program`,
      'point --state at another file');
  }
  if (version > LATEST_SCHEMA) {
    throw new UserError(`state file ${path} was written by a newer snf-upgrade (schema ${version}, this one knows ${LATEST_SCHEMA})`,
      NEXT_OTHER_FILE);
  }
  if (readonly && version < LATEST_SCHEMA) {
    throw version === 0
      ? new UserError(`state file ${path} holds no upgrade record yet`, 'start the upgrade first, or point --state at another file')
      : new UserError(`state file ${path} has schema ${version}, this snf-upgrade reads ${LATEST_SCHEMA}`,
        'open it once with a command that is not read-only, which upgrades it');
  }
}

/**
 * The before-images: most of a big state file (millions of rows after a national-scale run), read
 * only by undo, which checks it first (checkBeforeImages). Checking it on every open would make
 * the first screen wait seconds.
 */
const BULK_TABLE = 'journal';

/** SQLite's quick check of each table (and its indexes) that WHICH picks. */
function checkTables(db: Database.Database, path: string, which: (name: string) => boolean): void {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[])
    .map((r) => r.name).filter(which);
  for (const name of tables) {
    const check = String(db.pragma(`quick_check("${name.replace(/"/g, '""')}")`, { simple: true }));
    if (check !== 'ok') throw corrupt(path, `integrity check failed: ${oneLine(check)}`);
  }
}

/** The quick check of the before-images, which opening the file leaves out (for undo). */
export function checkBeforeImages(db: Database.Database, path: string): void {
  try {
    checkTables(db, path, (name) => name === BULK_TABLE);
  } catch (err) {
    throw translate(err, path);
  }
}

/** The first complaint of a multi-line SQLite report, short enough for one line. */
function oneLine(report: string): string {
  const first = report.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('***')) ?? report.trim();
  return first.length > 120 ? `${first.slice(0, 117)}...` : first;
}

function corrupt(path: string, why: string): UserError {
  return new UserError(`state file ${path} is damaged or not a state file (${why})`, NEXT_CORRUPT);
}

const ENVIRONMENT_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY',
  'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', 'SQLITE_PERM'];

/**
 * For errors while the file is in use: failures of the disk or file (full, busy, damaged,
 * read-only) become UserErrors; anything else (a constraint broken by a bug) is returned as is.
 */
export function translateRuntime(err: unknown, path: string): unknown {
  if (err instanceof Database.SqliteError && ENVIRONMENT_CODES.some((code) => err.code.startsWith(code))) {
    return translate(err, path);
  }
  return err;
}

/** Turns SQLite and file-system errors into one-line UserErrors; passes UserErrors through. */
export function translate(err: unknown, path: string): Error {
  if (err instanceof UserError) return err;
  if (err instanceof Database.SqliteError) {
    const code = err.code;
    if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) return corrupt(path, err.message);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return new UserError(`state file ${path} is busy (another process holds it)`, 'wait for that process, then try again');
    }
    if (code.startsWith('SQLITE_FULL')) return new UserError(`cannot write state file ${path}: disk full`, 'free some space, then try again');
    return new UserError(`cannot use state file ${path}: ${err.message}`, 'check the path and its permissions');
  }
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string') {
    const cause = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied'
      : e.code === 'ENOTDIR' ? 'a parent is not a folder'
      : e.code === 'EROFS' ? 'read-only file system'
      : e.code === 'ENOSPC' ? 'disk full'
      : e.code;
    return new UserError(`cannot use state file ${path}: ${cause}`, 'check the path and its permissions');
  }
  return err instanceof Error ? err : new Error(String(err));
}
