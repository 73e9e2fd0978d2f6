// A comparable description of a database's schema (public schema only): tables, columns
// (position, type, NOT NULL, default), constraints by definition (not by name, since
// Django/South names depend on the Python build) and indexes by definition.
import type { Queryable } from './schema.js';

export interface CatalogSnapshot {
  /** table → "pos name type [NOT NULL] [DEFAULT expr]" per column, in position order. */
  columns: Record<string, string[]>;
  /** table → sorted "contype definition" per constraint. */
  constraints: Record<string, string[]>;
  /** table → sorted index definitions without the index name (constraint indexes excluded). */
  indexes: Record<string, string[]>;
}

export async function catalogSnapshot(client: Queryable): Promise<CatalogSnapshot> {
  const cols = await client.query(`
    SELECT c.relname AS t, a.attname AS col,
           format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
           pg_get_expr(d.adbin, d.adrelid) AS def,
           row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum) AS pos
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relkind = 'r'
     ORDER BY c.relname, a.attnum`);
  const columns: Record<string, string[]> = {};
  for (const r of cols.rows) {
    (columns[r.t] ??= []).push(
      `${r.pos} ${r.col} ${r.type}${r.notnull ? ' NOT NULL' : ''}${r.def != null ? ` DEFAULT ${r.def}` : ''}`);
  }
  const cons = await client.query(`
    SELECT c.relname AS t, k.contype AS type, pg_get_constraintdef(k.oid) AS def
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
     WHERE k.contype IN ('p', 'u', 'f', 'c', 'x')
     ORDER BY 1, 2, 3`);
  const constraints: Record<string, string[]> = {};
  for (const r of cons.rows) (constraints[r.t] ??= []).push(`${r.type} ${r.def}`);
  const idx = await client.query(`
    SELECT c.relname AS t, regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', 'CREATE \\1INDEX ON ') AS def
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
     WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
     ORDER BY 1, 2`);
  const indexes: Record<string, string[]> = {};
  for (const r of idx.rows) (indexes[r.t] ??= []).push(r.def);
  // The rendering of names depends on the session's search_path: drop the schema prefix.
  const norm = (m: Record<string, string[]>) => {
    for (const k of Object.keys(m)) m[k] = m[k].map((x) => x.replace(/\bpublic\./g, '')).sort();
    return m;
  };
  for (const k of Object.keys(columns)) columns[k] = columns[k].map((x) => x.replace(/\bpublic\./g, ''));
  return { columns, constraints: norm(constraints), indexes: norm(indexes) };
}
