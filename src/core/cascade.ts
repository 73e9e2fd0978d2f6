// Deleting rows together with every row that references them through a foreign key, the way
// the Django ORM deletes (astakos users in step 2.2, what cyclades identifiers own in 6.1 /
// 6.3). The graph is read from the database's own foreign keys, so a table added by a local
// patch is handled (and listed in the plan) the same way instead of failing at COMMIT.
//
// Rows are read as text in a fixed session format (ISO dates in UTC, hex bytea, full float
// precision), so writing that text back restores every value exactly.
import type pg from 'pg';
import type { Service } from '../db/connection.js';
import { reachByForeignKeys, tableShapes, type FkEdge } from '../db/introspect.js';
import { UserError } from '../errors.js';
import { changedWhileRunning } from './errors.js';
import type { BeforeImage } from './step.js';

type Q = { query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> };

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export interface CascadeTable {
  table: string;
  /** Every column, in table order. */
  columns: string[];
  /** Primary key columns (empty when the table has none). */
  pk: string[];
  /** The FKs through which rows of this table are reached (empty for a root). */
  via: FkEdge[];
}

export interface Cascade {
  /** Parents before children: the order to restore in. */
  tables: CascadeTable[];
  /** Children before parents: the order to delete in. */
  deleteOrder: CascadeTable[];
  /** SQL condition on TABLE selecting the rows that go with the keys in $1. */
  where(table: string): string;
}

export interface CascadeRoots {
  /** Root table → the SQL condition on it that picks the rows of the keys in $1 (an array of KEYTYPE). */
  roots: Record<string, string>;
  /** The SQL array element type of the keys in $1: 'int' (user ids) or 'text' (identifiers). */
  keyType: 'int' | 'text';
  /** A root whose key column children may match against $1 directly (auth_user.id), instead of through a subquery. */
  rootKey?: { table: string; column: string };
  /** Whether a table's foreign keys to itself are followed (false: such a table is refused as a cycle). */
  skipSelf: boolean;
  /** What the root rows are, for the cycle refusal ("astakos users"). */
  what: string;
  /** The operator's next action when the graph cannot be cascaded. */
  next: string;
}

export async function loadCascade(q: Q, r: CascadeRoots): Promise<Cascade> {
  const { reached, via } = await reachByForeignKeys(q as pg.Pool, Object.keys(r.roots), r.next);
  // Parents first (Kahn's algorithm); a cycle among the reached tables is refused.
  const order: string[] = [];
  const pending = new Map([...reached].map((t) => [t, new Set(via.get(t)!.map((e) => e.parent).filter((p) => !r.skipSelf || p !== t))]));
  while (pending.size) {
    const ready = [...pending].filter(([, parents]) => [...parents].every((p) => !pending.has(p))).map(([t]) => t).sort();
    if (!ready.length) {
      throw new UserError(`the tables referencing ${r.what} form a cycle (${[...pending.keys()].join(', ')}), which this tool cannot cascade`, r.next);
    }
    for (const t of ready) { order.push(t); pending.delete(t); }
  }
  const shapes = await tableShapes(q as pg.Pool, order);
  const tables: CascadeTable[] = order.map((t) => ({ table: t, ...shapes.get(t)!, via: via.get(t)! }));
  const keys = `$1::${r.keyType}[]`;
  const memo = new Map<string, string>();
  const where = (table: string): string => {
    const hit = memo.get(table);
    if (hit) return hit;
    const parts: string[] = [];
    if (r.roots[table]) parts.push(r.roots[table]!);
    for (const e of via.get(table) ?? []) {
      if (e.parent === table) continue;
      parts.push(r.rootKey && e.parent === r.rootKey.table && e.refColumn === r.rootKey.column
        ? `${quoteIdent(e.column)} = ANY(${keys})`
        : `${quoteIdent(e.column)} IN (SELECT ${quoteIdent(e.refColumn)} FROM ${quoteIdent(e.parent)} WHERE ${where(e.parent)})`);
    }
    const sql = parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
    memo.set(table, sql);
    return sql;
  };
  return { tables, deleteOrder: [...tables].reverse(), where };
}

/** Rows per table (parents first) that deleting what KEYS reach removes. */
export async function countCascade(q: Q, cascade: Cascade, keys: (number | string)[]): Promise<{ table: string; rows: number }[]> {
  const out: { table: string; rows: number }[] = [];
  for (const t of cascade.tables) {
    const r = keys.length
      ? await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(t.table)} WHERE ${cascade.where(t.table)}`, [keys])
      : { rows: [{ n: '0' }] };
    out.push({ table: t.table, rows: Number(r.rows[0]!.n) });
  }
  return out;
}

/**
 * Which rows each candidate key reaches, per table (parents first), so that a pure plan can
 * count the rows of any subset of the candidates: every row is counted once, under the exact
 * set of candidates that reach it. Rows reached from a single candidate (nearly all) are
 * counted with one indexed count per candidate; only a table where candidates share rows
 * (a NIC of one owner's VM on another's network) is grouped row by row.
 */
export type CascadeReach<K extends number | string> = { table: string; reach: { keys: K[]; rows: number }[] }[] | CascadeRefusal;

/** Why the graph cannot be cascaded (a cycle, a multi-column key): said when a plan would delete. */
export interface CascadeRefusal { refused: string; next: string }

export async function cascadeReach<K extends number | string>(q: Q, r: CascadeRoots, candidates: K[]): Promise<CascadeReach<K>> {
  let cascade: Cascade;
  try {
    cascade = await loadCascade(q, r);
  } catch (err) {
    if (err instanceof UserError) return { refused: err.message, next: err.next };
    throw err;
  }
  const keys = `$1::${r.keyType}[]`;
  const one = `ARRAY[snf_c.snf_key]::${r.keyType}[]`;
  const out: { table: string; reach: { keys: K[]; rows: number }[] }[] = [];
  if (!candidates.length) return cascade.tables.map((t) => ({ table: t.table, reach: [] }));
  for (const t of cascade.tables) {
    const where = cascade.where(t.table);
    const single = where.split(keys).join(one);
    const each = await q.query<{ k: K; n: string }>(
      `SELECT snf_c.snf_key AS k, (SELECT count(*) FROM ${quoteIdent(t.table)} WHERE ${single}) AS n FROM unnest(${keys}) AS snf_c(snf_key)`, [candidates]);
    const union = Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(t.table)} WHERE ${where}`, [candidates])).rows[0]!.n);
    const sum = each.rows.reduce((n, x) => n + Number(x.n), 0);
    if (sum === union) {
      out.push({ table: t.table, reach: each.rows.filter((x) => x.n !== '0').map((x) => ({ keys: [x.k], rows: Number(x.n) })) });
      continue;
    }
    const shared = await q.query<{ ks: K[]; n: string }>(
      `SELECT ks, count(*) AS n FROM (SELECT ARRAY(SELECT snf_c.snf_key FROM unnest(${keys}) AS snf_c(snf_key) WHERE ${single} ORDER BY 1) AS ks
         FROM ${quoteIdent(t.table)} WHERE ${where}) x GROUP BY ks ORDER BY ks`, [candidates]);
    out.push({ table: t.table, reach: shared.rows.map((x) => ({ keys: x.ks, rows: Number(x.n) })) });
  }
  return out;
}

/** Rows per table (parents first) that deleting KEYS removes, from what cascadeReach found. */
export function reachedRows<K extends number | string>(reach: CascadeReach<K>, keys: K[]): { table: string; rows: number }[] {
  if (!Array.isArray(reach)) throw new UserError(reach.refused, reach.next);
  const chosen = new Set<K>(keys);
  return reach.map((t) => ({ table: t.table, rows: t.reach.filter((x) => x.keys.some((k) => chosen.has(k))).reduce((n, x) => n + x.rows, 0) }));
}

/** Session settings under which the text form of every value is unambiguous and exact. */
export async function fixTextFormats(client: pg.PoolClient): Promise<void> {
  await client.query(`SET LOCAL datestyle = 'ISO, YMD'`);
  await client.query(`SET LOCAL timezone = 'UTC'`);
  await client.query('SET LOCAL extra_float_digits = 3');
  await client.query(`SET LOCAL bytea_output = 'hex'`);
}

export type TextRow = Record<string, string | null>;

export interface DeleteRules {
  service: Service;
  /** The rows in the "changed while running" message ("the auth_user rows of the users being deleted"). */
  rowsOf(table: string): string;
  /** Replaces secrets in the rows before they are kept (they stay in the database, see db/secrets). */
  stash?(client: pg.PoolClient, table: string, key: string[], rows: TextRow[]): Promise<TextRow[]>;
}

/**
 * Deletes what KEYS reach, children first, handing every full row to KEEP before it goes.
 * Runs inside the caller's transaction (a batch). Returns rows deleted per table.
 */
export async function deleteCascade(client: pg.PoolClient, cascade: Cascade, keys: (number | string)[],
  keep: (images: BeforeImage[]) => void, rules: DeleteRules): Promise<Map<string, number>> {
  await fixTextFormats(client);
  const deleted = new Map<string, number>();
  for (const t of cascade.deleteOrder) {
    const where = cascade.where(t.table);
    const key = t.pk.length ? t.pk : t.columns;
    const select = t.columns.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(', ');
    const rows = await client.query<TextRow>(
      `SELECT ${select} FROM ${quoteIdent(t.table)} WHERE ${where} ORDER BY ${key.map(quoteIdent).join(', ')}`, [keys]);
    if (!rows.rows.length) { deleted.set(t.table, 0); continue; }
    const kept = rules.stash ? await rules.stash(client, t.table, key, rows.rows) : rows.rows;
    keep(kept.map((row) => ({
      service: rules.service, table: t.table, action: 'delete', row,
      pk: Object.fromEntries(key.map((c) => [c, row[c] ?? null])),
    })));
    const del = await client.query(`DELETE FROM ${quoteIdent(t.table)} WHERE ${where}`, [keys]);
    if (del.rowCount !== rows.rows.length) {
      throw changedWhileRunning(rules.service, `${rules.rowsOf(t.table)} (read ${rows.rows.length}, deleted ${del.rowCount})`);
    }
    deleted.set(t.table, del.rowCount);
  }
  return deleted;
}
