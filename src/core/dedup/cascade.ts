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
import { reachByForeignKeys, tableShapes, type FkEdge } from '../../db/introspect.js';
import { stashSecrets } from '../../db/secrets.js';
import type pg from 'pg';
import type { BeforeImage } from '../step.js';
import { UserError } from '../../errors.js';
import { changedWhileRunning } from '../errors.js';

type Q = pg.Pool | pg.PoolClient;

export const ROOT_TABLE = 'auth_user';


export interface CascadeTable {
  table: string;
  /** Every column, in table order. */
  columns: string[];
  /** Primary key columns (empty when the table has none). */
  pk: string[];
  /** The FKs through which rows of this table are reached (empty for the root). */
  via: FkEdge[];
}

export interface Cascade {
  /** Parents before children: the order to restore in. */
  tables: CascadeTable[];
  /** Children before parents: the order to delete in. */
  deleteOrder: CascadeTable[];
  /** SQL condition on TABLE selecting the rows that go with the users in $1 (int[]). */
  where(table: string): string;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Session settings under which the text form of every value is unambiguous and exact. */
export async function fixTextFormats(client: pg.PoolClient): Promise<void> {
  await client.query(`SET LOCAL datestyle = 'ISO, YMD'`);
  await client.query(`SET LOCAL timezone = 'UTC'`);
  await client.query('SET LOCAL extra_float_digits = 3');
  await client.query(`SET LOCAL bytea_output = 'hex'`);
}

/** Every table a user's rows reach through single-column foreign keys, and how. */
function reach(q: Q): Promise<{ reached: Set<string>; via: Map<string, FkEdge[]> }> {
  return reachByForeignKeys(q, [ROOT_TABLE], 'delete the duplicate users with the guide\'s delete_astakos_users.py instead');
}

/**
 * The reference graph alone (no delete order), for checks: after 3.2 the 0.13 tables form
 * cycles that a delete could not order, but references can still be followed.
 */
export async function referenceGraph(q: Q): Promise<{ tables: Pick<CascadeTable, 'table' | 'via'>[] }> {
  const { reached, via } = await reach(q);
  return { tables: [...reached].map((table) => ({ table, via: via.get(table)! })) };
}

export async function loadCascade(q: Q): Promise<Cascade> {
  const { reached, via } = await reach(q);
  // Parents first (Kahn's algorithm); a cycle among the reached tables is refused.
  const order: string[] = [];
  const pending = new Map([...reached].map((t) => [t, new Set(via.get(t)!.map((e) => e.parent))]));
  while (pending.size) {
    const ready = [...pending].filter(([, parents]) => [...parents].every((p) => !pending.has(p))).map(([t]) => t).sort();
    if (!ready.length) {
      throw new UserError(`the tables referencing astakos users form a cycle (${[...pending.keys()].join(', ')}), which this tool cannot cascade`,
        'delete the duplicate users with the guide\'s delete_astakos_users.py instead');
    }
    for (const t of ready) { order.push(t); pending.delete(t); }
  }
  const shapes = await tableShapes(q, order);
  const tables: CascadeTable[] = order.map((t) => ({ table: t, ...shapes.get(t)!, via: via.get(t)! }));

  const memo = new Map<string, string>();
  const where = (table: string): string => {
    const hit = memo.get(table);
    if (hit) return hit;
    let sql: string;
    if (table === ROOT_TABLE) {
      sql = 'id = ANY($1::int[])';
    } else {
      const parts = via.get(table)!.map((e) => (e.parent === ROOT_TABLE && e.refColumn === 'id'
        ? `${quoteIdent(e.column)} = ANY($1::int[])`
        : `${quoteIdent(e.column)} IN (SELECT ${quoteIdent(e.refColumn)} FROM ${quoteIdent(e.parent)} WHERE ${where(e.parent)})`));
      sql = parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
    }
    memo.set(table, sql);
    return sql;
  };
  return { tables, deleteOrder: [...tables].reverse(), where };
}

/** Rows per table that deleting USER IDS removes. */
export async function countCascade(q: Q, cascade: Cascade, ids: number[]): Promise<{ table: string; rows: number }[]> {
  const out: { table: string; rows: number }[] = [];
  for (const t of cascade.tables) {
    const r = await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(t.table)} WHERE ${cascade.where(t.table)}`, [ids]);
    out.push({ table: t.table, rows: Number(r.rows[0]!.n) });
  }
  return out;
}

type TextRow = Record<string, string | null>;

/**
 * Deletes the users IDS and everything that goes with them, children first, handing the
 * full rows of every table to KEEP before they are deleted. Returns rows deleted per table.
 * Must run inside a transaction on CLIENT (the caller's batch).
 */
export async function deleteUsers(client: pg.PoolClient, cascade: Cascade, ids: number[],
  keep: (images: BeforeImage[]) => void, step: string): Promise<Map<string, number>> {
  await fixTextFormats(client);
  const deleted = new Map<string, number>();
  for (const t of cascade.deleteOrder) {
    const where = cascade.where(t.table);
    const select = t.columns.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(', ');
    const order = (t.pk.length ? t.pk : t.columns).map(quoteIdent).join(', ');
    const rows = await client.query<TextRow>(`SELECT ${select} FROM ${quoteIdent(t.table)} WHERE ${where} ORDER BY ${order}`, [ids]);
    if (rows.rows.length === 0) { deleted.set(t.table, 0); continue; }
    const key = t.pk.length ? t.pk : t.columns;
    const kept = await stashSecrets(client, step, t.table, key, rows.rows);
    keep(kept.map((row) => ({
      service: 'astakos', table: t.table, action: 'delete', row,
      pk: Object.fromEntries(key.map((c) => [c, row[c] ?? null])),
    })));
    const del = await client.query(`DELETE FROM ${quoteIdent(t.table)} WHERE ${where}`, [ids]);
    if (del.rowCount !== rows.rows.length) {
      throw changedWhileRunning('astakos', `the ${t.table} rows of the users being deleted (read ${rows.rows.length}, deleted ${del.rowCount})`);
    }
    deleted.set(t.table, del.rowCount);
  }
  return deleted;
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
