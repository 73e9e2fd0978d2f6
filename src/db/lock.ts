// One runner at a time (design rule 3): a session-level advisory lock per physical database
// (services sharing one database share its lock: the engine takes it once), held on a
// dedicated connection for the whole run, with the holder's identity in a small table so a
// second runner can be told who holds it and can take over a stale lock.
import { hostname } from 'node:os';
import type pg from 'pg';
import { serviceNames, type Db } from './connection.js';
import { sessionsNamed } from './sessions.js';
import { UserError } from '../errors.js';

/** Advisory lock key: the first 8 bytes of "snfupgrd" as a big-endian bigint. */
export const LOCK_KEY = '8317698216382919268';
const HOLDER_TABLE = 'snf_upgrade_lock';

export interface LockHolder {
  host: string;
  pid: number;
  command: string;
  since: Date;
  backendPid: number;
  /** Whether the holder's database session is still connected. */
  connected: boolean;
}

export interface HeldLock {
  db: Db;
  /** A holder recorded by a run whose session ended without releasing the lock (killed, cut off). */
  previous?: LockHolder;
  /** The backend holding the lock (a batch checks it still does before it commits). */
  backendPid: number;
  /** True once the lock's session was cut (e.g. a second runner took over). */
  lost(): boolean;
  release(): Promise<void>;
}

export class LockHeld extends UserError {
  constructor(readonly service: string, readonly holder: LockHolder | undefined) {
    const who = holder
      ? `${holder.host} pid ${holder.pid} (${holder.command}) since ${holder.since.toISOString().slice(0, 19).replace('T', ' ')}`
      : 'another session (no holder recorded)';
    super(`the ${service} database is locked by ${who}`,
      holder && !holder.connected
        ? 'that session is gone: run again with --take-over'
        : 'wait for it to finish; to take over from it (it hangs, or its host is gone) run again with --take-over: its sessions are ended and its open batch rolls back');
  }
}

const HELD_BY = `locktype = 'advisory' AND granted AND classid = 1936615029 AND objid = 1885827684`;

/** Whether backend PID still holds the advisory lock (asked from any session, e.g. a batch's). */
export async function lockStillHeld(q: pg.Pool | pg.PoolClient, pid: number): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM pg_locks WHERE ${HELD_BY} AND pid = $1`, [pid]);
  return r.rowCount! > 0;
}

async function tryLock(client: pg.PoolClient): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [LOCK_KEY]);
  return r.rows[0]!.ok;
}

export async function lockHolder(q: pg.Pool | pg.PoolClient): Promise<LockHolder | undefined> {
  const exists = await q.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [HOLDER_TABLE]);
  if (exists.rowCount === 0) return undefined;
  const r = await q.query<{ host: string; pid: number; command: string; since: Date; backend_pid: number }>(
    `SELECT host, pid, command, since, backend_pid FROM ${HOLDER_TABLE} ORDER BY since DESC LIMIT 1`);
  const row = r.rows[0];
  if (!row) return undefined;
  const connected = await lockStillHeld(q, row.backend_pid);
  return { host: row.host, pid: row.pid, command: row.command, since: row.since, backendPid: row.backend_pid, connected };
}

async function backendPidOf(client: pg.PoolClient): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/**
 * Takes the lock on DB or throws LockHeld naming the holder. With takeOver, a holder's
 * session is terminated first (the operator confirmed it is stale).
 */
export async function acquireLock(db: Db, command: string, opts: { takeOver?: boolean } = {}): Promise<HeldLock> {
  const client = await db.pool.connect();
  let lost = false;
  let previous: LockHolder | undefined;
  let backendPid = 0;
  client.on('error', () => { lost = true; });
  try {
    let ok = await tryLock(client);
    if (!ok) {
      const holder = await lockHolder(client);
      if (!opts.takeOver) throw new LockHeld(serviceNames(db), holder);
      // The holder's lock session and its batch sessions (application_name snf-upgrade:PID),
      // so that an open batch of the old runner rolls back instead of committing next to ours.
      const lockPids = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE ${HELD_BY} AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND pid <> pg_backend_pid()`);
      const batchPids = holder && holder.pid !== process.pid ? await sessionsNamed(client, `snf-upgrade:${holder.pid}`) : [];
      for (const pid of new Set([...lockPids.rows.map((r) => r.pid), ...batchPids])) {
        try {
          await client.query('SELECT pg_terminate_backend($1)', [pid]);
        } catch (err) {
          if ((err as { code?: string }).code !== '42501') throw err;
          throw new UserError(`taking over the ${serviceNames(db)} lock needs the right to end session ${pid}, which this database user lacks`,
            `ask a superuser to run: SELECT pg_terminate_backend(${pid}); then run again`);
        }
      }
      for (let i = 0; i < 50 && !ok; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ok = await tryLock(client);
      }
      if (!ok) throw new LockHeld(serviceNames(db), holder);
    } else {
      const before = await lockHolder(client);
      if (before && before.backendPid !== (await backendPidOf(client))) previous = before;
    }
    backendPid = await backendPidOf(client);
    await client.query(`CREATE TABLE IF NOT EXISTS ${HOLDER_TABLE} (
      host varchar(255) NOT NULL, pid integer NOT NULL, command varchar(255) NOT NULL,
      since timestamp with time zone NOT NULL DEFAULT now(), backend_pid integer NOT NULL)`);
    await client.query(`DELETE FROM ${HOLDER_TABLE}`);
    await client.query(`INSERT INTO ${HOLDER_TABLE} (host, pid, command, backend_pid) VALUES ($1, $2, $3, pg_backend_pid())`,
      [hostname(), process.pid, command.slice(0, 255)]);
  } catch (err) {
    client.release(true);
    throw err;
  }
  let released = false;
  return {
    db,
    previous,
    backendPid,
    lost: () => lost,
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query(`DELETE FROM ${HOLDER_TABLE} WHERE backend_pid = pg_backend_pid()`);
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [LOCK_KEY]);
        client.release();
      } catch {
        client.release(true);
      }
    },
  };
}
