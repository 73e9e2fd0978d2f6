// Catalog look-ups shared by the steps that copy whole rows (before-images, cascades).
import type pg from 'pg';
import { UserError } from '../errors.js';

type Q = pg.Pool | pg.PoolClient;

/** Columns (in table order) and primary-key columns of each of TABLES. */
export async function tableShapes(q: Q, tables: string[]): Promise<Map<string, { columns: string[]; pk: string[] }>> {
  const cols = await q.query<{ t: string; c: string }>(
    `SELECT cl.relname AS t, a.attname AS c
       FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = current_schema() AND cl.relname = ANY($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY cl.relname, a.attnum`, [tables]);
  const pks = await q.query<{ t: string; c: string }>(
    `SELECT cl.relname AS t, a.attname AS c
       FROM pg_index i JOIN pg_class cl ON cl.oid = i.indrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
       JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum = ANY(i.indkey)
      WHERE i.indisprimary AND n.nspname = current_schema() AND cl.relname = ANY($1::text[])
      ORDER BY cl.relname, a.attnum`, [tables]);
  const out = new Map<string, { columns: string[]; pk: string[] }>(tables.map((t) => [t, { columns: [], pk: [] }]));
  for (const r of cols.rows) out.get(r.t)!.columns.push(r.c);
  for (const r of pks.rows) out.get(r.t)!.pk.push(r.c);
  return out;
}

export interface FkEdge { name: string; child: string; column: string; parent: string; refColumn: string }

async function foreignKeys(q: Q): Promise<(FkEdge & { ncols: number })[]> {
  const r = await q.query<FkEdge & { ncols: number }>(
    `SELECT c.conname AS name, cl.relname AS child, pl.relname AS parent,
            (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = c.conkey[1]) AS "column",
            (SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid AND attnum = c.confkey[1]) AS "refColumn",
            array_length(c.conkey, 1) AS ncols
       FROM pg_constraint c
       JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
       JOIN pg_class pl ON pl.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = pl.relnamespace
      WHERE c.contype = 'f' AND n.nspname = current_schema() AND pn.nspname = current_schema()
      ORDER BY cl.relname, c.conname`);
  return r.rows;
}

/**
 * Every table that rows of ROOTS reach through the database's own foreign keys, and through
 * which keys. A multi-column key on the way cannot be followed: refused, with NEXT as the way out.
 */
export async function reachByForeignKeys(q: Q, roots: string[], next: string): Promise<{ reached: Set<string>; via: Map<string, FkEdge[]> }> {
  const fks = await foreignKeys(q);
  const reached = new Set(roots);
  const via = new Map<string, FkEdge[]>(roots.map((t) => [t, []]));
  const queue = [...roots];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const fk of fks.filter((f) => f.parent === parent)) {
      if (fk.ncols !== 1) {
        throw new UserError(`table ${fk.child} references ${parent} with a multi-column foreign key (${fk.name}), which this tool cannot cascade`, next);
      }
      via.set(fk.child, [...(via.get(fk.child) ?? []), { name: fk.name, child: fk.child, column: fk.column, parent: fk.parent, refColumn: fk.refColumn }]);
      if (!reached.has(fk.child)) {
        reached.add(fk.child);
        queue.push(fk.child);
      }
    }
  }
  return { reached, via };
}
