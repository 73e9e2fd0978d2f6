// The PostgreSQL server's release: the tool supports 9.1 and later (README, "Supported servers"),
// and a few statements differ by release (db/sessions.ts, db/backup.ts).
import type pg from 'pg';

/** Anything that runs a query: a pool, a pool client, a client. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** The oldest server this tool runs on (server_version_num): PostgreSQL 9.1, Debian wheezy's. */
export const OLDEST_SERVER = 90100;

/** The server's server_version_num (e.g. 90124 for 9.1.24, 150004 for 15.4). */
export async function serverVersionNum(q: Queryable): Promise<number> {
  const r = await q.query<{ server_version_num: string }>('SHOW server_version_num');
  return Number(r.rows[0]!.server_version_num);
}

/** A server_version_num as its release: 90124 → 9.1, 150004 → 15. */
export function releaseOf(versionNum: number): string {
  return versionNum >= 100000 ? String(Math.floor(versionNum / 10000)) : `${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}`;
}

/** Why a server of VERSIONNUM is refused, or undefined when this tool supports it. */
export function unsupportedServer(versionNum: number): string | undefined {
  if (versionNum >= OLDEST_SERVER) return undefined;
  return `runs PostgreSQL ${releaseOf(versionNum)}; snf-upgrade supports PostgreSQL ${releaseOf(OLDEST_SERVER)} and later`;
}
