// Pre-flight of the uuid rewrite (pithos.md §2.5 step C): rows that would become equal
// once every resolvable name is replaced by its uuid. Upstream finds them only by failing
// on a unique index half-way and rolling the whole migration back; here they are found
// first, cheaply: a collision needs two spellings of one uuid inside the same table, which
// the (small) name table shows, and only rows with such names are compared.
import type pg from 'pg';
import type { CollisionReport } from './types.js';
import type { Source } from './names.js';

type Q = pg.Pool | pg.PoolClient;
const EXAMPLES = 20;

/** Names of SOURCE that share their target (uuid, or themselves when unresolved) with another name of SOURCE. */
export async function sharedTargets(q: Q, names: string, map: string, source: Source): Promise<string[]> {
  const r = await q.query<{ name: string }>(`
    WITH t AS (SELECT n.name, coalesce(m.uuid, n.name) AS target
                 FROM ${names} n LEFT JOIN ${map} m ON m.identifier = n.name
                WHERE position('${source}' in n.srcs) > 0)
    SELECT t.name FROM t WHERE t.target IN (SELECT target FROM t GROUP BY target HAVING count(*) > 1)`);
  return r.rows.map((x) => x.name);
}

const newPath = (col: string, map = 'm'): string =>
  `coalesce(${map}.uuid || substr(${col}, length(${map}.identifier) + 1), ${col})`;

async function pathCollisions(q: Q, table: 'nodes' | 'public' | 'xfeatures', names: string, map: string, source: Source): Promise<CollisionReport> {
  const bad = await sharedTargets(q, names, map, source);
  if (!bad.length) return { table: `${table}.path`, groups: 0, examples: [] };
  const r = await q.query<{ paths: string[] }>(`
    SELECT array_agg(x.path ORDER BY x.path) AS paths FROM (
      SELECT t.path, ${newPath('t.path')} AS np
        FROM ${table} t LEFT JOIN ${map} m ON m.identifier = split_part(t.path, '/', 1)
       WHERE split_part(t.path, '/', 1) = ANY($1::text[])) x
     GROUP BY x.np HAVING count(*) > 1 ORDER BY 1`, [bad]);
  return { table: `${table}.path`, groups: r.rows.length, examples: r.rows.slice(0, EXAMPLES).map((x) => x.paths) };
}

async function valueCollisions(q: Q, names: string, map: string): Promise<CollisionReport> {
  const bad = await sharedTargets(q, names, map, 'f');
  if (!bad.length) return { table: 'xfeaturevals.value', groups: 0, examples: [] };
  const r = await q.query<{ path: string | null; key: number; vals: string[] }>(`
    SELECT (SELECT path FROM xfeatures f WHERE f.feature_id = x.feature_id) AS path, x.key, array_agg(x.value ORDER BY x.value) AS vals
      FROM (SELECT v.feature_id, v.key, v.value, ${newPath('v.value')} AS nv
              FROM xfeaturevals v LEFT JOIN ${map} m ON v.value <> '*' AND m.identifier = split_part(v.value, ':', 1)
             WHERE split_part(v.value, ':', 1) = ANY($1::text[])) x
     GROUP BY x.feature_id, x.key, x.nv HAVING count(*) > 1 ORDER BY 1, 2`, [bad]);
  return {
    table: 'xfeaturevals.value', groups: r.rows.length,
    examples: r.rows.slice(0, EXAMPLES).map((x) => [`${x.path ?? '?'} (${x.key === 1 ? 'write' : 'read'})`, ...x.vals]),
  };
}

async function groupCollisions(q: Q, names: string, map: string): Promise<CollisionReport> {
  const bad = await sharedTargets(q, names, map, 'g');
  if (!bad.length) return { table: 'groups', groups: 0, examples: [] };
  const r = await q.query<{ name: string; rows: string[] }>(`
    SELECT x.name, array_agg(x.owner || ' ' || x.member ORDER BY x.owner, x.member) AS rows
      FROM (SELECT g.owner, g.name, g.member, coalesce(mo.uuid, g.owner) AS o, coalesce(mm.uuid, g.member) AS mb
              FROM groups g LEFT JOIN ${map} mo ON mo.identifier = g.owner LEFT JOIN ${map} mm ON mm.identifier = g.member
             WHERE g.owner = ANY($1::text[]) OR g.member = ANY($1::text[])) x
     GROUP BY x.o, x.name, x.mb HAVING count(*) > 1 ORDER BY 1`, [bad]);
  return {
    table: 'groups', groups: r.rows.length,
    examples: r.rows.slice(0, EXAMPLES).map((x) => [`group ${x.name}`, ...x.rows]),
  };
}

/** Every collision the rewrite would hit, per table (empty reports included). */
export async function findCollisions(q: Q, names: string, map: string): Promise<CollisionReport[]> {
  return [
    await pathCollisions(q, 'nodes', names, map, 'n'),
    await pathCollisions(q, 'public', names, map, 'p'),
    await pathCollisions(q, 'xfeatures', names, map, 'x'),
    await valueCollisions(q, names, map),
    await groupCollisions(q, names, map),
  ];
}

export function describeCollision(c: CollisionReport): string {
  const ex = c.examples.slice(0, 3).map((e) => e.join(' / ')).join('; ');
  return `${c.table}: ${c.groups} group(s) of rows would become one${ex ? ` (e.g. ${ex})` : ''}`;
}
