// Other sessions connected to a service database: services must be down from step 1 on, and
// the engine looks again before every batch. Sessions of snf-upgrade itself (this process,
// or a `status` in another terminal; a second runner is kept out by the lock) do not count.
import type { Db } from './connection.js';
import { serverVersionNum, type Queryable } from './server.js';

export interface Session {
  pid: number;
  application: string;
  client: string;
  user: string;
  since: Date | null;
  state: string;
}

/** The application_name this process uses (snf-upgrade:PID), so its sessions can be told apart. */
export const ownApplicationName = (): string => `snf-upgrade:${process.pid}`;
const OWN_PREFIX = 'snf-upgrade';

/**
 * pg_stat_activity's columns on a server of VERSIONNUM: before 9.2 the pid column was procpid
 * and there was no state column (the one place that knows; every reader goes through it).
 */
export function activityColumns(versionNum: number): { pid: string; state: string } {
  return versionNum < 90200 ? { pid: 'procpid', state: "''" } : { pid: 'pid', state: 'state' };
}

/** The backend pids of the other sessions on this database whose application_name is APPLICATION. */
export async function sessionsNamed(q: Queryable, application: string): Promise<number[]> {
  const { pid } = activityColumns(await serverVersionNum(q));
  const r = await q.query<{ pid: number }>(
    `SELECT ${pid} AS pid FROM pg_stat_activity WHERE datname = current_database() AND ${pid} <> pg_backend_pid() AND application_name = $1`, [application]);
  return r.rows.map((row) => row.pid);
}

export async function otherSessions(db: Db): Promise<Session[]> {
  const { pid: pidCol, state: stateCol } = activityColumns(await serverVersionNum(db.pool));
  const r = await db.pool.query<{ pid: number; app: string | null; client: string | null; usename: string | null; since: Date | null; state: string | null }>(
    `SELECT ${pidCol} AS pid, application_name AS app, host(client_addr) AS client, usename, backend_start AS since, ${stateCol} AS state
       FROM pg_stat_activity
      WHERE datname = current_database() AND ${pidCol} <> pg_backend_pid()
        AND coalesce(application_name, '') NOT IN ($1, $2) AND coalesce(application_name, '') NOT LIKE $3
      ORDER BY backend_start`, [ownApplicationName(), OWN_PREFIX, `${OWN_PREFIX}:%`]);
  return r.rows
    .filter((row) => !(row.state === '' && row.app === null && row.usename === null)) // background workers
    .map((row) => ({
      pid: row.pid,
      application: row.app || '(no name)',
      client: row.client ?? 'local socket',
      user: row.usename ?? '',
      since: row.since,
      state: row.state ?? '',
    }));
}

export function describeSession(s: Session): string {
  const since = s.since ? s.since.toISOString().slice(0, 16).replace('T', ' ') : '?';
  return `${s.application} from ${s.client} as ${s.user} since ${since} (pid ${s.pid})`;
}
