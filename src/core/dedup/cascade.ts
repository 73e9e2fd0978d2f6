// Deleting astakos users with plain SQL, exactly as Django 1.2 does at 0.12.5, and putting
// them back.
//
// Django 1.2 deletes a user together with every row that references it through a foreign
// key, recursively, nullable FKs included (they are set to NULL first, then the rows are
// deleted anyway): astakos.md §3.1. At 0.12.5 that is auth_user_groups,
// auth_user_user_permissions, auth_message, django_admin_log (→ auth_user) and
// im_invitation (sent), im_emailchange, im_additionalmail (→ im_astakosuser), then
// im_astakosuser and auth_user. The graph is read from pg_constraint rather than written
// down, so a deployment with extra tables referencing its users gets them handled the same
// way (and listed in the plan) instead of a failing COMMIT.
//
// Rows are read as text in a fixed session format (ISO dates in UTC, hex bytea, full float
// precision), so writing that text back restores every value exactly.
import { type FkEdge, reachByForeignKeys } from '../../db/introspect.js';
import { stashSecrets } from '../../db/secrets.js';
import type pg from 'pg';
import type { BeforeImage } from '../step.js';
import {
  cascadeReach, deleteCascade, loadCascade as loadCascadeOf, quoteIdent, type Cascade, type CascadeReach, type CascadeRoots, type CascadeTable, type TextRow,
} from '../cascade.js';

export { countCascade, fixTextFormats, quoteIdent, type Cascade, type CascadeTable } from '../cascade.js';

type Q = pg.Pool | pg.PoolClient;

export const ROOT_TABLE = 'auth_user';

const NEXT = 'delete the duplicate users with the guide\'s delete_astakos_users.py instead';

const USERS: CascadeRoots = {
  roots: { [ROOT_TABLE]: 'id = ANY($1::int[])' }, keyType: 'int', rootKey: { table: ROOT_TABLE, column: 'id' },
  skipSelf: false, what: 'astakos users', next: NEXT,
};

/** Every table a user's rows reach through single-column foreign keys, and how. */
function reach(q: Q): Promise<{ reached: Set<string>; via: Map<string, FkEdge[]> }> {
  return reachByForeignKeys(q, [ROOT_TABLE], NEXT);
}

/**
 * The reference graph alone (no delete order), for checks: after 3.2 the 0.13 tables form
 * cycles that a delete could not order, but references can still be followed.
 */
export async function referenceGraph(q: Q): Promise<{ tables: Pick<CascadeTable, 'table' | 'via'>[] }> {
  const { reached, via } = await reach(q);
  return { tables: [...reached].map((table) => ({ table, via: via.get(table)! })) };
}

export function loadCascade(q: Q): Promise<Cascade> {
  return loadCascadeOf(q, USERS);
}

/** Which of the users CANDIDATES reach which rows, per table: what the plan counts a deletion by. */
export function usersReach(q: Q, candidates: number[]): Promise<CascadeReach<number>> {
  return cascadeReach(q, USERS, candidates);
}

/**
 * Deletes the users IDS and everything that goes with them, children first, handing the
 * full rows of every table to KEEP before they are deleted. Returns rows deleted per table.
 * Must run inside a transaction on CLIENT (the caller's batch).
 */
export function deleteUsers(client: pg.PoolClient, cascade: Cascade, ids: number[],
  keep: (images: BeforeImage[]) => void, step: string): Promise<Map<string, number>> {
  return deleteCascade(client, cascade, ids, keep, {
    service: 'astakos',
    rowsOf: (table) => `the ${table} rows of the users being deleted`,
    stash: (c, table, key, rows) => stashSecrets(c, step, table, key, rows),
  });
}

const INSERT_CHUNK = 200;

/**
 * Inserts ROWS (text values as deleteUsers read them) back into TABLE, column by column;
 * PostgreSQL converts each text back to the column's type. Returns how many.
 */
export async function insertRows(client: pg.PoolClient, table: string, rows: Iterable<TextRow>): Promise<number> {
  let n = 0;
  let chunk: TextRow[] = [];
  const flush = async () => {
    if (!chunk.length) return;
    const columns = Object.keys(chunk[0]!);
    const params: (string | null)[] = [];
    const tuples = chunk.map((row) => {
      const cells = columns.map((c) => { params.push(row[c] ?? null); return `$${params.length}`; });
      return `(${cells.join(', ')})`;
    });
    await client.query(`INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')}`, params);
    n += chunk.length;
    chunk = [];
  };
  for (const row of rows) {
    if (chunk.length && (chunk.length >= INSERT_CHUNK || Object.keys(row).join('\0') !== Object.keys(chunk[0]!).join('\0'))) await flush();
    chunk.push(row);
  }
  await flush();
  return n;
}

/** Moves TABLE's serial sequence past the restored ids, only when it is behind them. */
export async function fixSequence(client: pg.PoolClient, table: string, column: string): Promise<boolean> {
  const seq = await client.query<{ s: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS s', [quoteIdent(table), column]);
  const name = seq.rows[0]?.s;
  if (!name) return false;
  const state = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM ${name}`);
  const max = await client.query<{ m: string | null }>(`SELECT max(${quoteIdent(column)})::text AS m FROM ${quoteIdent(table)}`);
  const top = max.rows[0]?.m;
  if (top === null || top === undefined) return false;
  const { last_value, is_called } = state.rows[0]!;
  const behind = is_called ? BigInt(top) > BigInt(last_value) : BigInt(top) >= BigInt(last_value);
  if (!behind) return false;
  await client.query('SELECT setval($1, $2::bigint, true)', [name, top]);
  return true;
}

/** Rows of any FK of the cascade that point at a row that no longer exists. */
export async function danglingReferences(q: Q, cascade: { tables: Pick<CascadeTable, 'via'>[] }): Promise<{ fk: string; rows: number }[]> {
  const out: { fk: string; rows: number }[] = [];
  for (const t of cascade.tables) {
    for (const e of t.via) {
      const r = await q.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${quoteIdent(e.child)} c WHERE c.${quoteIdent(e.column)} IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(e.parent)} p WHERE p.${quoteIdent(e.refColumn)} = c.${quoteIdent(e.column)})`);
      const n = Number(r.rows[0]!.n);
      if (n) out.push({ fk: `${e.child}.${e.column} → ${e.parent}.${e.refColumn}`, rows: n });
    }
  }
  return out;
}

/** Rows that still name one of the user IDS in a column that holds user ids (FK to auth_user.id or im_astakosuser's key). */
export async function referencesTo(q: Q, cascade: { tables: Pick<CascadeTable, 'via'>[] }, ids: number[]): Promise<{ column: string; rows: number }[]> {
  const userKey = new Set([`${ROOT_TABLE}.id`]);
  for (const t of cascade.tables) {
    for (const e of t.via) if (userKey.has(`${e.parent}.${e.refColumn}`)) userKey.add(`${e.child}.${e.column}`);
  }
  const out: { column: string; rows: number }[] = [];
  for (const key of userKey) {
    const [table, column] = key.split('.') as [string, string];
    const r = await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(table)} WHERE ${quoteIdent(column)} = ANY($1::int[])`, [ids]);
    const n = Number(r.rows[0]!.n);
    if (n) out.push({ column: key, rows: n });
  }
  return out;
}
