// Deleting what cyclades identifiers own, the way upstream's --delete-user does through
// the Django ORM (cyclades.md §2.8): their VMs and networks with every row that references
// them (NICs — also other users' NICs on a deleted network —, metadata, diagnostics,
// backend networks), and their public keys. The graph is read from the database's own
// foreign keys, so a table added by a local patch is handled (and listed) the same way
// instead of failing at COMMIT. IP pools, bridges, MAC prefixes, quotaholder serials and
// Ganeti are left as upstream leaves them.
//
// Every deleted row is handed to `keep` whole, as text in a fixed session format (ISO dates
// in UTC, hex bytea, full float precision), so it can be put back exactly.
import { reachByForeignKeys, tableShapes, type FkEdge } from '../../../db/introspect.js';
import type pg from 'pg';
import { UserError } from '../../../errors.js';
import type { BeforeImage } from '../../step.js';
import type { Q } from './identifiers.js';
import { changedWhileRunning } from '../../errors.js';

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The tables whose rows an identifier owns, and the SQL that picks them ($1 = text[] of identifiers). */
const ROOTS: Record<string, string> = {
  db_virtualmachine: 'userid = ANY($1::text[])',
  db_network: 'userid = ANY($1::text[])',
  userdata_publickeypair: '"user" = ANY($1::text[])',
};


export interface CascadeTable {
  table: string;
  columns: string[];
  pk: string[];
  via: FkEdge[];
}

export interface OwnerCascade {
  /** Parents before children (restore order). */
  tables: CascadeTable[];
  /** Children before parents (delete order). */
  deleteOrder: CascadeTable[];
  /** SQL condition on TABLE selecting the rows that go with the identifiers in $1. */
  where(table: string): string;
}

export async function loadOwnerCascade(q: Q): Promise<OwnerCascade> {
  const { reached, via } = await reachByForeignKeys(q, Object.keys(ROOTS),
    'delete these rows by hand (snf-manage cyclades-astakos-migrate-013 --delete-user), then run the step again');
  const order: string[] = [];
  const pending = new Map([...reached].map((t) => [t, new Set(via.get(t)!.map((e) => e.parent).filter((p) => p !== t))]));
  while (pending.size) {
    const ready = [...pending].filter(([, parents]) => [...parents].every((p) => !pending.has(p))).map(([t]) => t).sort();
    if (!ready.length) {
      throw new UserError(`the tables referencing cyclades VMs and networks form a cycle (${[...pending.keys()].join(', ')}), which this tool cannot cascade`,
        'delete these rows by hand (snf-manage cyclades-astakos-migrate-013 --delete-user), then run the step again');
    }
    for (const t of ready) { order.push(t); pending.delete(t); }
  }
  const shapes = await tableShapes(q, order);
  const tables = order.map((t) => ({ table: t, ...shapes.get(t)!, via: via.get(t)! }));
  const memo = new Map<string, string>();
  const where = (table: string): string => {
    const hit = memo.get(table);
    if (hit) return hit;
    const parts: string[] = [];
    if (ROOTS[table]) parts.push(ROOTS[table]!);
    for (const e of via.get(table) ?? []) {
      if (e.parent === table) continue;
      parts.push(`${quoteIdent(e.column)} IN (SELECT ${quoteIdent(e.refColumn)} FROM ${quoteIdent(e.parent)} WHERE ${where(e.parent)})`);
    }
    const sql = parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
    memo.set(table, sql);
    return sql;
  };
  return { tables, deleteOrder: [...tables].reverse(), where };
}


/** Rows per table that deleting what IDS own removes (parents first). */
export async function countDeletion(q: Q, cascade: OwnerCascade, ids: string[]): Promise<{ table: string; rows: number }[]> {
  const out: { table: string; rows: number }[] = [];
  for (const t of cascade.tables) {
    const r = ids.length
      ? await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(t.table)} WHERE ${cascade.where(t.table)}`, [ids])
      : { rows: [{ n: '0' }] };
    out.push({ table: t.table, rows: Number(r.rows[0]!.n) });
  }
  return out;
}

/** Session settings under which the text form of every value is unambiguous and exact. */
export async function fixTextFormats(client: pg.PoolClient): Promise<void> {
  await client.query(`SET LOCAL datestyle = 'ISO, YMD'`);
  await client.query(`SET LOCAL timezone = 'UTC'`);
  await client.query('SET LOCAL extra_float_digits = 3');
  await client.query(`SET LOCAL bytea_output = 'hex'`);
}

type TextRow = Record<string, string | null>;

/**
 * Deletes everything IDS own, children first, handing every full row to KEEP before it
 * goes. Runs inside the caller's transaction (a batch). Returns rows deleted per table.
 */
export async function deleteOwned(client: pg.PoolClient, cascade: OwnerCascade, ids: string[],
  keep: (images: BeforeImage[]) => void): Promise<Map<string, number>> {
  const deleted = new Map<string, number>();
  if (!ids.length) return deleted;
  await fixTextFormats(client);
  for (const t of cascade.deleteOrder) {
    const where = cascade.where(t.table);
    const key = t.pk.length ? t.pk : t.columns;
    const select = t.columns.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(', ');
    const rows = await client.query<TextRow>(
      `SELECT ${select} FROM ${quoteIdent(t.table)} WHERE ${where} ORDER BY ${key.map(quoteIdent).join(', ')}`, [ids]);
    if (!rows.rows.length) { deleted.set(t.table, 0); continue; }
    keep(rows.rows.map((row) => ({
      service: 'cyclades', table: t.table, action: 'delete', row,
      pk: Object.fromEntries(key.map((c) => [c, row[c] ?? null])),
    })));
    const del = await client.query(`DELETE FROM ${quoteIdent(t.table)} WHERE ${where}`, [ids]);
    if (del.rowCount !== rows.rows.length) {
      throw changedWhileRunning('cyclades', `the ${t.table} rows being deleted (read ${rows.rows.length}, deleted ${del.rowCount})`);
    }
    deleted.set(t.table, del.rowCount);
  }
  return deleted;
}
