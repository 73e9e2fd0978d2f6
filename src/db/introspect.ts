// Catalog look-ups shared by the steps that copy whole rows (before-images, cascades).
import type pg from 'pg';

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
