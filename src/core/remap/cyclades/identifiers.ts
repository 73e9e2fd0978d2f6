// The three cyclades owner columns, and read-only queries over them: case-duplicate sets
// (aggregated in SQL, folded in TypeScript where non-ASCII text makes PostgreSQL's folding
// differ from Python's), what each identifier owns, and a streamed pass over every
// distinct identifier (bounded memory: a cursor, one chunk at a time).
import Cursor from 'pg-cursor';
import type pg from 'pg';
import { byCodeUnits, UnionFind } from '../../dedup/fold.js';
import { pyLower } from '../../fold.js';
import { cycladesOwned, identifierCollisions, num } from '../../dedup/inspect.js';
import { joinLinked } from '../sets.js';
import { UUID_SHAPE, type UuidMap } from '../uuids.js';
import type { Owned, TableCounts, UnknownKind } from './types.js';

export type Q = pg.Pool | pg.PoolClient;

export interface OwnerTable {
  table: keyof TableCounts;
  /** The owner column, quoted for SQL. */
  column: string;
}

/** Every column of cyclades that holds a user identifier (cyclades.md §1.2). */
export const OWNER_TABLES: readonly OwnerTable[] = [
  { table: 'db_virtualmachine', column: 'userid' },
  { table: 'db_network', column: 'userid' },
  { table: 'userdata_publickeypair', column: '"user"' },
];

/** What one row of each owner table is, in the operator's terms. */
export const OWNER_NOUN: Record<keyof TableCounts, string> = { db_virtualmachine: 'VM', db_network: 'network', userdata_publickeypair: 'public key' };

/** The first rows (at most LIMIT, by table then id) that the identifiers IDS own: examples for a message. */
export async function ownedRows(q: Q, ids: string[], limit: number): Promise<{ table: keyof TableCounts; id: number; owner: string }[]> {
  const out: { table: keyof TableCounts; id: number; owner: string }[] = [];
  for (const t of OWNER_TABLES) {
    if (out.length >= limit || !ids.length) break;
    const r = await q.query<{ id: number; owner: string }>(
      `SELECT t.id, t.${t.column} AS owner FROM ${t.table} t WHERE t.${t.column} = ANY($1::text[]) ORDER BY t.id LIMIT $2`, [ids, limit - out.length]);
    out.push(...r.rows.map((row) => ({ table: t.table, id: Number(row.id), owner: row.owner })));
  }
  return out;
}

/** Distinct non-empty identifiers, as upstream's get_existing_users collects them (all rows). */
export const DISTINCT_IDENTIFIERS = `SELECT id FROM (
    SELECT "user" AS id FROM userdata_publickeypair
    UNION SELECT userid FROM db_virtualmachine
    UNION SELECT userid FROM db_network) ids
  WHERE id IS NOT NULL AND id <> ''`;

/** Per distinct identifier, what it owns: one pre-aggregated query per table. */
export const OWNED_BY_IDENTIFIER = `SELECT id, sum(vl) AS vl, sum(vd) AS vd, sum(n) AS n, sum(k) AS k FROM (
    SELECT userid AS id, sum(CASE WHEN deleted THEN 0 ELSE 1 END) AS vl, sum(CASE WHEN deleted THEN 1 ELSE 0 END) AS vd,
           0 AS n, 0 AS k FROM db_virtualmachine GROUP BY userid
    UNION ALL SELECT userid, 0, 0, count(*), 0 FROM db_network GROUP BY userid
    UNION ALL SELECT "user", 0, 0, 0, count(*) FROM userdata_publickeypair GROUP BY "user") x
  WHERE id IS NOT NULL AND id <> ''`;

export const totalOwned = (o: Owned): number => o.vms_live + o.vms_deleted + o.networks + o.keys;


/** Upstream's test for "an email" is only: contains "@" (cyclades.md §2.4). */
export const isEmailish = (id: string): boolean => id.includes('@');

export function unknownKind(id: string): UnknownKind {
  if (isEmailish(id)) return 'email';
  if (/^[0-9]+$/.test(id)) return 'numeric';
  if (UUID_SHAPE.test(id)) return 'uuid';
  return 'other';
}

/** The uuid astakos gives IDENTIFIER the way 0.13's user_catalogs does, or undefined (non-emails never resolve, as upstream). */
export function resolve(uuids: UuidMap, id: string): string | undefined {
  if (!isEmailish(id)) return undefined;
  return uuids.lookup(pyLower(id));
}

/** Whether astakos knows IDENTIFIER: an email it resolves, or one of its uuids. */
export const known = (uuids: UuidMap, id: string): boolean => uuids.isUuid(id) || resolve(uuids, id) !== undefined;

/**
 * Sets of distinct identifiers equal under Python lower(), keyed by that lowered form (the
 * first in code-unit order where step 2's LINKS join identifiers of several folds).
 * ASCII identifiers are grouped by PostgreSQL (translate() folds exactly A–Z, which is
 * Python's lower() for ASCII, in any locale); the few non-ASCII ones are folded here and
 * joined to their ASCII twins.
 */
export async function caseSets(q: Q, links: [string, string][] = []): Promise<Map<string, string[]>> {
  const found = await identifierCollisions(q, DISTINCT_IDENTIFIERS);
  if (!links.length) return new Map([...found.keys()].sort(byCodeUnits).map((k) => [k, found.get(k)!]));
  const uf = new UnionFind<string>();
  for (const ids of found.values()) for (const id of ids) uf.union(id, ids[0]!);
  await joinLinked(q, DISTINCT_IDENTIFIERS, links, uf);
  const sets = uf.groups(2).map((ids) => [ids.map(pyLower).sort(byCodeUnits)[0]!, ids.sort(byCodeUnits)] as const);
  return new Map(sets.sort(([a], [b]) => byCodeUnits(a, b)));
}

/** What each exact identifier of IDS owns: one aggregated query per table. */
export const ownedBy = (q: Q, ids: string[]): Promise<Map<string, Owned>> => cycladesOwned(q, ids);

/**
 * Calls VISIT with every distinct identifier and what it owns, chunk by chunk from a
 * cursor on a connection of its own (no other query may use that connection meanwhile).
 */
export async function eachIdentifier(pool: pg.Pool, visit: (id: string, owned: Owned) => void, chunk = 5000): Promise<void> {
  const client = await pool.connect();
  try {
    const cursor = client.query(new Cursor<{ id: string; vl: string; vd: string; n: string; k: string }>(`${OWNED_BY_IDENTIFIER} GROUP BY id`));
    try {
      for (;;) {
        const rows = await cursor.read(chunk);
        if (!rows.length) break;
        for (const r of rows) visit(r.id, { vms_live: num(r.vl), vms_deleted: num(r.vd), networks: num(r.n), keys: num(r.k) });
      }
    } finally {
      await cursor.close();
    }
  } finally {
    client.release();
  }
}

/** The astakos account emails (exactly as stored) whose username is one of KEYS. */
export async function astakosEmails(q: Q, keys: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!keys.length) return out;
  const r = await q.query<{ username: string; email: string }>(
    `SELECT u.username, u.email FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id WHERE u.username = ANY($1::text[])`, [keys]);
  for (const row of r.rows) out.set(row.username, row.email);
  return out;
}
