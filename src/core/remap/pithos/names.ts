// Every account name pithos stores, and its uuid: the names upstream's 165ba3fbfe53 would
// look up (pithos.md §2.5 step A), collected by SQL into a temporary table, resolved against
// astakos' username → uuid map in pages (so memory grows with the users, never with a
// table), and written to a mapping table that the set-based rewrites join.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { pyLower } from '../../fold.js';
import { insertPairs, type UuidMap } from '../uuids.js';

type Q = pg.Pool | pg.PoolClient;

/** Where names come from: n nodes.path, v versions.muser, p public.path, x xfeatures.path, f xfeaturevals.value, g groups. */
export type Source = 'n' | 'v' | 'p' | 'x' | 'f' | 'g';
export const ALL_SOURCES: readonly Source[] = ['n', 'v', 'p', 'x', 'f', 'g'];
export const SOURCE_LABEL: Record<Source, string> = {
  n: 'nodes.path', v: 'versions.muser', p: 'public.path', x: 'xfeatures.path', f: 'xfeaturevals.value', g: 'groups.owner/member',
};

const SOURCE_SQL: Record<Source, string[]> = {
  n: [`SELECT DISTINCT split_part(path, '/', 1) AS name, 'n'::text AS src FROM nodes WHERE node <> 0`],
  v: [`SELECT DISTINCT muser AS name, 'v'::text AS src FROM versions`],
  p: [`SELECT DISTINCT split_part(path, '/', 1) AS name, 'p'::text AS src FROM public`],
  x: [`SELECT DISTINCT split_part(path, '/', 1) AS name, 'x'::text AS src FROM xfeatures`],
  f: [`SELECT DISTINCT split_part(value, ':', 1) AS name, 'f'::text AS src FROM xfeaturevals WHERE value <> '*'`],
  g: [`SELECT DISTINCT owner AS name, 'g'::text AS src FROM groups`, `SELECT DISTINCT member AS name, 'g'::text AS src FROM groups`],
};

/** The mapping table the 6.4 rewrites join (kept after the step: it is how the rename can be read back). */
export const MAP_TABLE = 'snf_upgrade_pithos_uuids';

/** Rows per batch of the 6.4 rewrites (SNF_UPGRADE_PITHOS_BATCH overrides, for tests and tuning). */
export function batchRows(): number {
  const n = Number(process.env.SNF_UPGRADE_PITHOS_BATCH);
  return Number.isInteger(n) && n > 0 ? n : 100_000;
}

/** Objects per batch when 6.2 moves or deletes a large account (SNF_UPGRADE_PITHOS_CHUNK overrides). */
export function objectChunk(): number {
  const n = Number(process.env.SNF_UPGRADE_PITHOS_CHUNK);
  return Number.isInteger(n) && n > 0 ? n : 2_000;
}

/** A short, stable tag of a name for batch keys (names can be 256 characters; keys 200). */
export const tag = (name: string): string => createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);

/**
 * The uuid astakos' user_catalogs would answer for NAME (Python lower(), then username), if
 * any. A name that is already an astakos uuid stays itself, even if it is also some user's
 * email (as 6.1–6.3 and 6.2's sets treat it): mapping it would make the rewrite non-idempotent.
 */
export function resolveName(uuids: UuidMap, name: string): string | undefined {
  if (name === '' || uuids.isUuid(name)) return undefined;
  return uuids.lookup(pyLower(name));
}

/**
 * Creates the temporary table TABLE (name, srcs) of every distinct name in SOURCES; srcs
 * lists the sources a name occurs in ('nvg'). One scan per source table.
 */
export async function collectNames(client: pg.PoolClient, table: string, sources: readonly Source[] = ALL_SOURCES, onCommitDrop = false): Promise<number> {
  await client.query(`DROP TABLE IF EXISTS pg_temp.${table}`);
  const parts = sources.flatMap((s) => SOURCE_SQL[s]);
  await client.query(`CREATE TEMP TABLE ${table} ${onCommitDrop ? 'ON COMMIT DROP ' : ''}AS
    SELECT name, string_agg(DISTINCT src, '' ORDER BY src) AS srcs
      FROM (${parts.join('\n      UNION ALL ')}) s
     WHERE name <> ''
     GROUP BY name`);
  await client.query(`CREATE UNIQUE INDEX ON ${table} (name)`);
  await client.query(`ANALYZE ${table}`);
  const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(r.rows[0]!.n);
}

/** An (identifier, uuid) table: a fresh temporary one, or the PERSISTENT one as it is (created if missing). */
export async function createMapTable(client: pg.PoolClient, table: string, opts: { persistent?: boolean; onCommitDrop?: boolean } = {}): Promise<void> {
  if (opts.persistent) {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (identifier varchar(2048) PRIMARY KEY, uuid varchar(256) NOT NULL,
      ambiguous varchar(16) NOT NULL DEFAULT '')`);
  } else {
    await client.query(`DROP TABLE IF EXISTS pg_temp.${table}`);
    await client.query(`CREATE TEMP TABLE ${table} (identifier varchar(2048) PRIMARY KEY, uuid varchar(256) NOT NULL,
      ambiguous varchar(16) NOT NULL DEFAULT '')${opts.onCommitDrop ? ' ON COMMIT DROP' : ''}`);
  }
}

/**
 * Resolves every name of NAMES (a collectNames table) and inserts the resolved ones into
 * MAP, a page of names at a time. Returns how many resolved.
 */
export async function fillMap(client: pg.PoolClient, names: string, map: string, uuids: UuidMap, page = 5_000): Promise<number> {
  let last: string | null = null;
  let n = 0;
  for (;;) {
    const r: pg.QueryResult<{ name: string }> = last === null
      ? await client.query(`SELECT name FROM ${names} ORDER BY name LIMIT ${page}`)
      : await client.query(`SELECT name FROM ${names} WHERE name > $1 ORDER BY name LIMIT ${page}`, [last]);
    if (!r.rows.length) break;
    const pairs: [string, string][] = [];
    for (const { name } of r.rows) {
      const uuid = resolveName(uuids, name);
      if (uuid !== undefined && uuid !== name) pairs.push([name, uuid]);
    }
    n += await insertPairs(client, map, pairs);
    last = r.rows[r.rows.length - 1]!.name;
    if (r.rows.length < page) break;
  }
  await client.query(`ANALYZE ${map}`);
  return n;
}

/**
 * Marks in MAP.ambiguous, per source, the identifiers whose uuid has more than one spelling
 * in that source (the rename cannot be read back from the map alone for them, so their rows
 * get before-images).
 */
export async function markAmbiguous(client: pg.PoolClient, names: string, map: string): Promise<void> {
  for (const s of ALL_SOURCES) {
    await client.query(`
      UPDATE ${map} m SET ambiguous = m.ambiguous || '${s}'
       WHERE position('${s}' in m.ambiguous) = 0
         AND m.uuid IN (SELECT t.uuid FROM (
               SELECT m2.uuid FROM ${names} n JOIN ${map} m2 ON m2.identifier = n.name WHERE position('${s}' in n.srcs) > 0
               UNION ALL
               SELECT n.name FROM ${names} n WHERE position('${s}' in n.srcs) > 0 AND n.name IN (SELECT uuid FROM ${map})) t
             GROUP BY t.uuid HAVING count(*) > 1)
         AND m.identifier IN (SELECT name FROM ${names} WHERE position('${s}' in srcs) > 0)`);
  }
}

/** Account node names (parent = 0) that resolve to nothing, in code-unit order, streamed by pages. */
export async function unresolvedAccounts(q: Q, map: string, uuids: UuidMap): Promise<string[]> {
  const r = await q.query<{ path: string }>(
    `SELECT n.path FROM nodes n WHERE n.parent = 0 AND n.node <> 0
        AND NOT EXISTS (SELECT 1 FROM ${map} m WHERE m.identifier = n.path)`);
  return r.rows.map((x) => x.path).filter((p) => !uuids.isUuid(p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** PostgreSQL's text for a LIKE pattern that matches S literally (backslash escapes). */
export const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);
