// Rows that name one user in two spellings (0.12 stored group members as typed, and the
// swiss army never lower-cased grants): once 6.4 writes uuids they become equal and break
// a primary key or a unique index, which aborts upstream's whole migration (pithos.md
// §2.3). They mean the same thing after the rewrite, so all but one of each go (with
// before-images); for permissions on one path, the grants are united first.
import type pg from 'pg';
import type { BeforeImage } from '../../step.js';
import type { UuidMap } from '../uuids.js';
import { sharedTargets } from './collisions.js';
import { collectNames, createMapTable, fillMap } from './names.js';
import type { MemberCaseFindings } from './types.js';

type Keep = (images: BeforeImage[]) => void;
type Q = pg.Pool | pg.PoolClient;
const EXAMPLES = 20;

const np = (col: string, m: string): string => `coalesce(${m}.uuid || substr(${col}, length(${m}.identifier) + 1), ${col})`;
/** SQL: NAME is exactly an account's name (the spelling to keep when rows repeat). */
const isName = (name: string): string => `EXISTS (SELECT 1 FROM nodes a WHERE a.parent = 0 AND a.node <> 0 AND a.path = ${name})`;
const isAccount = (path: string): string =>
  `EXISTS (SELECT 1 FROM nodes a WHERE a.parent = 0 AND a.node <> 0 AND a.path = split_part(${path}, '/', 1))`;

/** What 6.2's last batch will de-duplicate; SET_ACCOUNTS (members of duplicate sets) are left to the merges. */
export async function memberCaseFindings(q: Q, names: string, map: string, setAccounts: Set<string>): Promise<MemberCaseFindings> {
  const out: MemberCaseFindings = {
    groups: { rows: 0, examples: [] }, permissions: { rows: 0, examples: [] }, paths: { rows: 0, examples: [] },
  };
  const g = await sharedTargets(q, names, map, 'g');
  if (g.length) {
    const r = await q.query<{ owners: string[]; name: string; members: string[]; n: string }>(`
      SELECT array_agg(DISTINCT x.owner) AS owners, x.name, array_agg(DISTINCT x.member) AS members, count(*) AS n
        FROM (SELECT g.owner, g.name, g.member, coalesce(mo.uuid, g.owner) AS o, coalesce(mm.uuid, g.member) AS mb
                FROM groups g LEFT JOIN ${map} mo ON mo.identifier = g.owner LEFT JOIN ${map} mm ON mm.identifier = g.member
               WHERE g.owner = ANY($1::text[]) OR g.member = ANY($1::text[])) x
       GROUP BY x.o, x.name, x.mb HAVING count(*) > 1 ORDER BY 2, 1`, [g]);
    for (const x of r.rows) {
      if (x.owners.length > 1 && x.owners.every((o) => setAccounts.has(o))) continue;
      out.groups.rows += Number(x.n) - 1;
      if (out.groups.examples.length < EXAMPLES) out.groups.examples.push({ owner: x.owners.sort()[0]!, name: x.name, members: x.members.sort() });
    }
  }
  const f = await sharedTargets(q, names, map, 'f');
  if (f.length) {
    const r = await q.query<{ path: string | null; key: number; vals: string[] }>(`
      SELECT (SELECT path FROM xfeatures x WHERE x.feature_id = y.feature_id) AS path, y.key, array_agg(y.value ORDER BY y.value) AS vals
        FROM (SELECT v.feature_id, v.key, v.value, ${np('v.value', 'm')} AS nv
                FROM xfeaturevals v LEFT JOIN ${map} m ON v.value <> '*' AND m.identifier = split_part(v.value, ':', 1)
               WHERE split_part(v.value, ':', 1) = ANY($1::text[])) y
       GROUP BY y.feature_id, y.key, y.nv HAVING count(*) > 1 ORDER BY 1, 2`, [f]);
    for (const x of r.rows) {
      out.permissions.rows += x.vals.length - 1;
      if (out.permissions.examples.length < EXAMPLES) out.permissions.examples.push({ path: x.path ?? '?', key: x.key, values: x.vals });
    }
  }
  for (const [table, source] of [['xfeatures', 'x'], ['public', 'p']] as const) {
    const bad = await sharedTargets(q, names, map, source);
    if (!bad.length) continue;
    const r = await q.query<{ paths: string[] }>(`
      SELECT array_agg(t.path ORDER BY t.path) AS paths
        FROM ${table} t LEFT JOIN ${map} m ON m.identifier = split_part(t.path, '/', 1)
       WHERE split_part(t.path, '/', 1) = ANY($1::text[])
       GROUP BY ${np('t.path', 'm')} HAVING count(*) > 1`, [bad]);
    for (const x of r.rows) {
      if (x.paths.every((p) => setAccounts.has(p.split('/')[0]!))) continue;
      out.paths.rows += x.paths.length - 1;
      if (out.paths.examples.length < EXAMPLES) out.paths.examples.push([`${table}:`, ...x.paths]);
    }
  }
  return out;
}

const PKS = {
  groups: ['owner', 'name', 'member'], xfeaturevals: ['feature_id', 'key', 'value'], xfeatures: ['feature_id'], public: ['public_id'],
} as const;

async function capture(client: pg.PoolClient, keep: Keep, table: keyof typeof PKS, sql: string, params: unknown[] = []): Promise<void> {
  const r = await client.query<Record<string, unknown>>(sql, params);
  keep(r.rows.map((row) => ({
    service: 'pithos' as const, table, action: 'delete' as const, row,
    pk: Object.fromEntries(PKS[table].map((k) => [k, row[k]])),
  })));
}

/**
 * 6.2's last batch: removes the rows that would collide in 6.4 although they are not
 * account duplicates. Returns the rows changed.
 */
export async function dedupeMemberCase(client: pg.PoolClient, keep: Keep, uuids: UuidMap): Promise<number> {
  await collectNames(client, 'snf_dn', ['p', 'x', 'f', 'g'], true);
  await createMapTable(client, 'snf_dm', { onCommitDrop: true });
  await fillMap(client, 'snf_dn', 'snf_dm', uuids);
  let n = 0;

  const g = await sharedTargets(client, 'snf_dn', 'snf_dm', 'g');
  if (g.length) {
    await client.query(`
      CREATE TEMP TABLE snf_gd ON COMMIT DROP AS
      SELECT owner, name, member FROM (
        SELECT g.owner, g.name, g.member,
               row_number() OVER (PARTITION BY coalesce(mo.uuid, g.owner), g.name, coalesce(mm.uuid, g.member)
                                  ORDER BY ${isName('g.member')} DESC, ${isName('g.owner')} DESC, g.owner, g.member) AS rn
          FROM groups g LEFT JOIN snf_dm mo ON mo.identifier = g.owner LEFT JOIN snf_dm mm ON mm.identifier = g.member
         WHERE g.owner = ANY($1::text[]) OR g.member = ANY($1::text[])) x
       WHERE rn > 1`, [g]);
    await capture(client, keep, 'groups', 'SELECT g.* FROM groups g JOIN snf_gd d ON d.owner = g.owner AND d.name = g.name AND d.member = g.member ORDER BY 1, 2, 3');
    n += (await client.query('DELETE FROM groups g USING snf_gd d WHERE d.owner = g.owner AND d.name = g.name AND d.member = g.member')).rowCount ?? 0;
  }

  const f = await sharedTargets(client, 'snf_dn', 'snf_dm', 'f');
  if (f.length) {
    await client.query(`
      CREATE TEMP TABLE snf_vd ON COMMIT DROP AS
      SELECT feature_id, key, value FROM (
        SELECT v.feature_id, v.key, v.value,
               row_number() OVER (PARTITION BY v.feature_id, v.key, ${np('v.value', 'm')} ORDER BY ${isName("split_part(v.value, ':', 1)")} DESC, v.value) AS rn
          FROM xfeaturevals v LEFT JOIN snf_dm m ON v.value <> '*' AND m.identifier = split_part(v.value, ':', 1)
         WHERE split_part(v.value, ':', 1) = ANY($1::text[])) x
       WHERE rn > 1`, [f]);
    await capture(client, keep, 'xfeaturevals',
      'SELECT v.* FROM xfeaturevals v JOIN snf_vd d ON d.feature_id = v.feature_id AND d.key = v.key AND d.value = v.value ORDER BY 1, 2, 3');
    n += (await client.query('DELETE FROM xfeaturevals v USING snf_vd d WHERE d.feature_id = v.feature_id AND d.key = v.key AND d.value = v.value')).rowCount ?? 0;
  }

  const x = await sharedTargets(client, 'snf_dn', 'snf_dm', 'x');
  if (x.length) {
    await client.query(`
      CREATE TEMP TABLE snf_xd ON COMMIT DROP AS
      SELECT feature_id, keeper FROM (
        SELECT x.feature_id, first_value(x.feature_id) OVER w AS keeper, row_number() OVER w AS rn
          FROM xfeatures x LEFT JOIN snf_dm m ON m.identifier = split_part(x.path, '/', 1)
         WHERE split_part(x.path, '/', 1) = ANY($1::text[])
        WINDOW w AS (PARTITION BY ${np('x.path', 'm')} ORDER BY ${isAccount('x.path')} DESC, x.path)) y
       WHERE rn > 1`, [x]);
    n += (await client.query(`
      INSERT INTO xfeaturevals (feature_id, key, value)
      SELECT DISTINCT d.keeper, v.key, v.value FROM snf_xd d JOIN xfeaturevals v ON v.feature_id = d.feature_id
       WHERE NOT EXISTS (SELECT 1 FROM xfeaturevals w WHERE w.feature_id = d.keeper AND w.key = v.key AND w.value = v.value)`)).rowCount ?? 0;
    await capture(client, keep, 'xfeatures', 'SELECT x.* FROM xfeatures x JOIN snf_xd d ON d.feature_id = x.feature_id ORDER BY 1');
    await capture(client, keep, 'xfeaturevals', 'SELECT v.* FROM xfeaturevals v JOIN snf_xd d ON d.feature_id = v.feature_id ORDER BY 1, 2, 3');
    n += (await client.query('DELETE FROM xfeatures x USING snf_xd d WHERE d.feature_id = x.feature_id')).rowCount ?? 0;
  }

  const p = await sharedTargets(client, 'snf_dn', 'snf_dm', 'p');
  if (p.length) {
    await client.query(`
      CREATE TEMP TABLE snf_pd ON COMMIT DROP AS
      SELECT public_id FROM (
        SELECT p.public_id,
               row_number() OVER (PARTITION BY ${np('p.path', 'm')} ORDER BY p.active DESC, ${isAccount('p.path')} DESC, p.public_id) AS rn
          FROM public p LEFT JOIN snf_dm m ON m.identifier = split_part(p.path, '/', 1)
         WHERE split_part(p.path, '/', 1) = ANY($1::text[])) y
       WHERE rn > 1`, [p]);
    await capture(client, keep, 'public', 'SELECT p.* FROM public p JOIN snf_pd d ON d.public_id = p.public_id ORDER BY 1');
    n += (await client.query('DELETE FROM public p USING snf_pd d WHERE d.public_id = p.public_id')).rowCount ?? 0;
  }
  return n;
}
