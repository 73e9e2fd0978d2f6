// The statistics table (pithos.md §1.7): per (node, cluster) the versions of direct
// children (population) and the bytes of all descendants (size). Merges and deletes keep
// the root exact by deltas and recompute the surviving account's subtree from versions;
// 6.4 can check (and, if the operator says so, recompute) the whole table.
import type pg from 'pg';
import type { BeforeImage } from '../../step.js';

type Keep = (images: BeforeImage[]) => void;
/** Memory for the whole-table aggregations (per sort or hash, in one session of the tool). */
const WORK_MEM = '64MB';
type Q = pg.Pool | pg.PoolClient;

const statImages = (rows: Record<string, unknown>[], action: 'update' | 'delete'): BeforeImage[] =>
  rows.map((row) => ({ service: 'pithos', table: 'statistics', pk: { node: row.node, cluster: row.cluster }, row, action }));

/** Per-cluster changes to the root's counters, summed over a batch and written once. */
export class RootDelta {
  private readonly by = new Map<number, { pop: bigint; size: bigint }>();

  add(cluster: number, pop: bigint | string | number, size: bigint | string | number): void {
    const cur = this.by.get(cluster) ?? { pop: 0n, size: 0n };
    cur.pop += BigInt(pop);
    cur.size += BigInt(size);
    this.by.set(cluster, cur);
  }

  /** Adds the rows of SQL (cluster, pop, size) with PARAMS, each multiplied by SIGN. */
  async addQuery(client: pg.PoolClient, sign: 1 | -1, sql: string, params: unknown[]): Promise<void> {
    const r = await client.query<{ cluster: number; pop: string; size: string }>(sql, params);
    for (const row of r.rows) {
      if (row.cluster === null) continue;
      this.add(row.cluster, BigInt(row.pop ?? 0) * BigInt(sign), BigInt(row.size ?? 0) * BigInt(sign));
    }
  }

  /** Applies the deltas to node 0 (population clamped at 0, as 0.13 does), keeping before-images. */
  async apply(client: pg.PoolClient, keep: Keep): Promise<number> {
    let n = 0;
    for (const [cluster, d] of [...this.by].sort((a, b) => a[0] - b[0])) {
      if (d.pop === 0n && d.size === 0n) continue;
      const old = await client.query('SELECT * FROM statistics WHERE node = 0 AND cluster = $1', [cluster]);
      if (old.rows.length) {
        keep(statImages(old.rows, 'update'));
        await client.query(`UPDATE statistics SET population = greatest(population + $2::bigint, 0)::integer, size = size + $3::bigint
                             WHERE node = 0 AND cluster = $1`, [cluster, d.pop.toString(), d.size.toString()]);
      } else {
        await client.query(`INSERT INTO statistics (node, population, size, mtime, cluster)
                            VALUES (0, greatest($2::bigint, 0)::integer, greatest($3::bigint, 0), NULL, $1)`,
        [cluster, d.pop.toString(), d.size.toString()]);
      }
      n++;
    }
    this.by.clear();
    return n;
  }
}

/** Writes IDEAL (a temp table node, cluster, population, size, mtime) onto statistics for the nodes in SCOPE (SQL yielding node). */
async function applyIdeal(client: pg.PoolClient, keep: Keep, ideal: string, scope: string, params: unknown[]): Promise<number> {
  const stale = await client.query(`
    SELECT s.* FROM statistics s LEFT JOIN ${ideal} i ON i.node = s.node AND i.cluster = s.cluster
     WHERE s.node IN (${scope})
       AND (i.node IS NULL AND (s.population <> 0 OR s.size <> 0)
            OR i.node IS NOT NULL AND (s.population <> i.population OR s.size <> i.size
                                       OR (i.mtime IS NOT NULL AND (s.mtime IS NULL OR i.mtime > s.mtime))))`, params);
  keep(statImages(stale.rows, 'update'));
  let n = 0;
  n += (await client.query(`
    UPDATE statistics s SET population = 0, size = 0
     WHERE s.node IN (${scope}) AND (s.population <> 0 OR s.size <> 0)
       AND NOT EXISTS (SELECT 1 FROM ${ideal} i WHERE i.node = s.node AND i.cluster = s.cluster)`, params)).rowCount ?? 0;
  n += (await client.query(`
    UPDATE statistics s SET population = i.population, size = i.size,
           mtime = CASE WHEN i.mtime IS NOT NULL AND (s.mtime IS NULL OR i.mtime > s.mtime) THEN i.mtime ELSE s.mtime END
      FROM ${ideal} i
     WHERE i.node = s.node AND i.cluster = s.cluster
       AND (s.population <> i.population OR s.size <> i.size OR (i.mtime IS NOT NULL AND (s.mtime IS NULL OR i.mtime > s.mtime)))`)).rowCount ?? 0;
  n += (await client.query(`
    INSERT INTO statistics (node, population, size, mtime, cluster)
    SELECT i.node, i.population, i.size, i.mtime, i.cluster FROM ${ideal} i
     WHERE NOT EXISTS (SELECT 1 FROM statistics s WHERE s.node = i.node AND s.cluster = i.cluster)
     ORDER BY i.node, i.cluster`)).rowCount ?? 0;
  return n;
}

/** SQL (param $1 = account node) of the ideal statistics of the account and its containers (root → account → container → object). */
const IDEAL_ACCOUNT_SQL = `
    WITH c AS (SELECT node FROM nodes WHERE parent = $1 AND node <> $1),
         vc AS (SELECT v.node, v.cluster, count(*) AS cnt, sum(v.size) AS size, max(v.mtime) AS mtime
                  FROM versions v WHERE v.node IN (SELECT node FROM c) GROUP BY v.node, v.cluster),
         vo AS (SELECT o.parent AS node, v.cluster, count(*) AS cnt, sum(v.size) AS size, max(v.mtime) AS mtime
                  FROM nodes o JOIN versions v ON v.node = o.node WHERE o.parent IN (SELECT node FROM c) GROUP BY o.parent, v.cluster)
    SELECT node, cluster, cnt::integer AS population, size::bigint AS size, mtime FROM vo
    UNION ALL
    SELECT $1::integer, cluster, sum(cnt)::integer, sum(size)::bigint, max(mtime)
      FROM (SELECT cluster, cnt, size, mtime FROM vc UNION ALL SELECT cluster, 0, size, mtime FROM vo) x
     GROUP BY cluster`;

/**
 * Recomputes the statistics of account node ACCOUNT and of its containers from versions
 * (the tree is root → account → container → object). Returns the rows changed.
 */
export async function recomputeAccount(client: pg.PoolClient, keep: Keep, account: number): Promise<number> {
  await client.query('DROP TABLE IF EXISTS pg_temp.snf_ideal');
  await client.query(`CREATE TEMP TABLE snf_ideal ON COMMIT DROP AS ${IDEAL_ACCOUNT_SQL}`, [account]);
  return applyIdeal(client, keep, 'snf_ideal', 'SELECT $1::integer UNION ALL SELECT node FROM nodes WHERE parent = $1 AND node <> $1', [account]);
}

/** Statistics rows of ACCOUNT and its containers that differ from the tree (size or population). */
export async function accountDrift(q: Q, account: number): Promise<number> {
  const r = await q.query<{ n: string }>(`
    WITH ideal AS (${IDEAL_ACCOUNT_SQL}),
         s AS (SELECT * FROM statistics WHERE node IN (SELECT $1::integer UNION ALL SELECT node FROM nodes WHERE parent = $1 AND node <> $1))
    SELECT count(*) AS n FROM s FULL JOIN ideal i ON i.node = s.node AND i.cluster = s.cluster
     WHERE coalesce(s.size, 0) <> coalesce(i.size, 0) OR coalesce(s.population, 0) <> coalesce(i.population, 0)`, [account]);
  return Number(r.rows[0]!.n);
}

/** SQL of the ideal statistics of every node (pithos.md §1.7, aggregated per node first), for any tree depth. */
export const IDEAL_RECURSIVE_SQL = `
  WITH RECURSIVE anc(node, ancestor, depth) AS (
      SELECT node, parent, 1 FROM nodes WHERE node <> 0 AND parent IS NOT NULL
    UNION ALL
      SELECT a.node, n.parent, a.depth + 1 FROM anc a JOIN nodes n ON n.node = a.ancestor
       WHERE a.ancestor <> 0 AND n.parent IS NOT NULL AND a.depth < 16),
  vagg AS (SELECT node, cluster, count(*) AS cnt, sum(size) AS size, max(mtime) AS mtime FROM versions GROUP BY node, cluster)
  SELECT a.ancestor AS node, v.cluster, sum(CASE WHEN a.depth = 1 THEN v.cnt ELSE 0 END)::integer AS population,
         sum(v.size)::bigint AS size, max(v.mtime) AS mtime
    FROM anc a JOIN vagg v ON v.node = a.node
   GROUP BY a.ancestor, v.cluster`;

/** The same for pithos' fixed depth (root → account → container → object): hash joins instead of a recursion, several times faster. */
export const IDEAL_FIXED_SQL = `
  WITH vagg AS (SELECT node, cluster, count(*) AS cnt, sum(size) AS size, max(mtime) AS mtime FROM versions GROUP BY node, cluster),
  up AS (SELECT n.node, n.parent AS a1, p.parent AS a2, g.parent AS a3
           FROM nodes n LEFT JOIN nodes p ON p.node = n.parent AND n.parent <> 0
                        LEFT JOIN nodes g ON g.node = p.parent AND p.parent <> 0
          WHERE n.node <> 0),
  c AS (SELECT CASE k.k WHEN 1 THEN u.a1 WHEN 2 THEN u.a2 ELSE u.a3 END AS node, v.cluster,
               CASE WHEN k.k = 1 THEN v.cnt ELSE 0 END AS pop, v.size, v.mtime
          FROM vagg v JOIN up u ON u.node = v.node CROSS JOIN (VALUES (1), (2), (3)) AS k(k))
  SELECT node, cluster, sum(pop)::integer AS population, sum(size)::bigint AS size, max(mtime) AS mtime FROM c WHERE node IS NOT NULL GROUP BY node, cluster`;

/** The ideal-statistics SQL that fits the tree: the fixed-depth one unless some node lies deeper than an object. */
export async function idealAllSql(q: Q): Promise<string> {
  const deep = await q.query(`SELECT 1 FROM nodes x JOIN nodes y ON y.node = x.parent JOIN nodes z ON z.node = y.parent
                               WHERE x.node <> 0 AND y.node <> 0 AND z.node <> 0 AND z.parent <> 0 LIMIT 1`);
  return deep.rowCount ? IDEAL_RECURSIVE_SQL : IDEAL_FIXED_SQL;
}

/** How many statistics rows differ from the tree in size, and in population (with a few examples). */
export async function statisticsDrift(pool: pg.Pool): Promise<{ size: number; population: number; examples: string[] }> {
  const q = await pool.connect();
  let r;
  try {
    // one read-only transaction with room for the aggregation (the default 4MB spills to disk)
    await q.query('BEGIN READ ONLY');
    await q.query(`SET LOCAL work_mem = '${WORK_MEM}'`);
    r = await q.query<{ node: number; cluster: number; size: string | null; isize: string | null; population: number | null;
    ipop: number | null; nsize: string; npop: string }>(`
    WITH ideal AS (${await idealAllSql(q)}),
    d AS (SELECT coalesce(s.node, i.node) AS node, coalesce(s.cluster, i.cluster) AS cluster,
                 s.size, i.size AS isize, s.population, i.population AS ipop
            FROM statistics s FULL JOIN ideal i ON i.node = s.node AND i.cluster = s.cluster
           WHERE coalesce(s.size, 0) <> coalesce(i.size, 0) OR coalesce(s.population, 0) <> coalesce(i.population, 0))
    SELECT d.*, sum(CASE WHEN coalesce(d.size, 0) <> coalesce(d.isize, 0) THEN 1 ELSE 0 END) OVER () AS nsize,
           sum(CASE WHEN coalesce(d.population, 0) <> coalesce(d.ipop, 0) THEN 1 ELSE 0 END) OVER () AS npop
      FROM d ORDER BY d.node, d.cluster LIMIT 10`);
    await q.query('COMMIT');
  } catch (err) {
    await q.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    q.release();
  }
  const first = r.rows[0];
  return {
    size: first ? Number(first.nsize) : 0,
    population: first ? Number(first.npop) : 0,
    examples: r.rows.map((x) => `node ${x.node} cluster ${x.cluster}: size ${x.size ?? '-'} (tree ${x.isize ?? 0}), population ${x.population ?? '-'} (tree ${x.ipop ?? 0})`),
  };
}

/** Where a recompute in ranges keeps the ideal statistics of every node between its batches. */
export const IDEAL_TABLE = 'snf_upgrade_pithos_ideal';

/**
 * First batch of a recompute in ranges: the ideal statistics of every node (pithos.md §1.7),
 * computed once into IDEAL_TABLE (the versions do not change while the ranges run).
 */
export async function snapshotIdeal(client: pg.PoolClient): Promise<number> {
  await client.query(`SET LOCAL work_mem = '${WORK_MEM}'`);
  await client.query(`DROP TABLE IF EXISTS ${IDEAL_TABLE}`);
  await client.query(`CREATE TABLE ${IDEAL_TABLE} AS ${await idealAllSql(client)}`);
  await client.query(`CREATE INDEX ${IDEAL_TABLE}_node ON ${IDEAL_TABLE} (node, cluster)`);
  await client.query(`ANALYZE ${IDEAL_TABLE}`);
  return 0;
}

/** One batch of the recompute: the statistics rows of nodes LO ≤ node < HI made equal to the snapshot. Returns rows changed. */
export async function recomputeRange(client: pg.PoolClient, keep: Keep, lo: number, hi: number): Promise<number> {
  await client.query('DROP TABLE IF EXISTS pg_temp.snf_ideal_part');
  await client.query(`CREATE TEMP TABLE snf_ideal_part ON COMMIT DROP AS SELECT * FROM ${IDEAL_TABLE} WHERE node >= $1 AND node < $2`, [lo, hi]);
  await client.query('CREATE INDEX ON snf_ideal_part (node, cluster)');
  await client.query('ANALYZE snf_ideal_part');
  return applyIdeal(client, keep, 'snf_ideal_part', 'SELECT node FROM statistics WHERE node >= $1 AND node < $2', [lo, hi]);
}

/** Last batch of the recompute: the snapshot goes. */
export async function dropIdeal(client: pg.PoolClient): Promise<number> {
  await client.query(`DROP TABLE IF EXISTS ${IDEAL_TABLE}`);
  return 0;
}
