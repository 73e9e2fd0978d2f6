// Restoring a database from one of the tool's checked backups: a server database is dropped and
// created again as it was (owner, encoding, collation) and the pg_dump archive restored into it;
// an embedded one gets its data directory back from the archive. Nothing may have it open.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { UserError } from '../errors.js';
import { scrubSecrets } from '../secrets.js';
import { run, sha256File } from './backup.js';
import { clientConfig, embeddedDir, libpqConnection, type Service } from './connection.js';
import { activityColumns } from './sessions.js';
import { serverVersionNum } from './server.js';

export interface RestoreSource { service: Service; url: string; path: string; sha256: string | null; kind: 'pg_dump' | 'embedded' }

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Why SOURCE cannot be restored from (missing, or not the file that was recorded), or undefined. */
export async function backupProblem(source: RestoreSource): Promise<string | undefined> {
  if (!existsSync(source.path)) return `${source.path} does not exist`;
  if (source.sha256 && (await sha256File(source.path)) !== source.sha256) return `${source.path} is not the file that was recorded (its sha256 differs)`;
  return undefined;
}

/** The commands an operator runs by hand for SOURCE (printed by --print). */
export function restoreCommands(source: RestoreSource): string[] {
  if (source.kind === 'embedded') {
    return [`rm -rf ${embeddedDir(source.url)}/data && mkdir -p ${embeddedDir(source.url)}/data && tar -xzf ${source.path} -C ${embeddedDir(source.url)}/data`];
  }
  const c = parse(source.url);
  const where = ['-h', c.host || 'localhost', '-p', c.port || '5432', ...(c.user ? ['-U', c.user] : [])].join(' ');
  const db = c.database ?? '';
  return [`dropdb ${where} ${db}`, `createdb ${where} -T template0 -O OWNER -E UTF8 --lc-collate=COLLATE --lc-ctype=CTYPE ${db}   # as the database had them: psql -l shows them`,
    `pg_restore ${where} --exit-on-error -d ${db} ${source.path}`];
}

/** Restores SOURCE into its database. */
export async function restoreDatabase(source: RestoreSource): Promise<void> {
  if (source.kind === 'embedded') return restoreEmbedded(source);
  const target = parse(source.url).database;
  if (!target) throw new UserError(`the ${source.service} URL names no database`, 'fix its "db" in the config file');
  const admin = new pg.Client({ ...clientConfig(source.url, source.service), database: 'postgres', application_name: `snf-upgrade:${process.pid}` });
  await admin.connect();
  try {
    const r = await admin.query<{ owner: string; enc: string; collate: string; ctype: string }>(
      `SELECT pg_get_userbyid(datdba) AS owner, pg_encoding_to_char(encoding) AS enc, datcollate AS collate, datctype AS ctype
         FROM pg_database WHERE datname = $1`, [target]);
    const was = r.rows[0];
    if (!was) throw new UserError(`the ${source.service} database ${target} does not exist on its server`, 'create it (createdb), then restore again');
    const { pid } = activityColumns(await serverVersionNum(admin));
    await admin.query(`SELECT pg_terminate_backend(${pid}) FROM pg_stat_activity WHERE datname = $1 AND ${pid} <> pg_backend_pid()`, [target]);
    await admin.query(`DROP DATABASE ${ident(target)}`);
    await admin.query(`CREATE DATABASE ${ident(target)} OWNER ${ident(was.owner)} TEMPLATE template0 ENCODING ${literal(was.enc)} LC_COLLATE ${literal(was.collate)} LC_CTYPE ${literal(was.ctype)}`);
  } finally {
    await admin.end();
  }
  const { conninfo, password } = libpqConnection(source.url);
  const env = { ...process.env, ...(password ? { PGPASSWORD: password } : {}) };
  const restored = await run('pg_restore', ['--exit-on-error', '--no-password', '-d', conninfo, source.path], env);
  if (restored.code !== 0) {
    throw new UserError(`pg_restore of the ${source.service} backup ${source.path} failed: ${scrubSecrets(restored.stderr.trim().split('\n')[0] ?? '', [source.url])}`,
      'the database is empty now: restore it by hand (snf-upgrade restore --print shows the commands)');
  }
}

async function restoreEmbedded(source: RestoreSource): Promise<void> {
  const dir = embeddedDir(source.url);
  const data = join(dir, 'data');
  rmSync(data, { recursive: true, force: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(data, { loadDataDir: new Blob([readFileSync(source.path)]) });
  await db.close();
}
