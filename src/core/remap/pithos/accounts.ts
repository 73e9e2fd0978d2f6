// Merging one pithos account into another, and deleting an account, on the 0.12.5 schema
// (also works on 0.13's), done where upstream's swiss army goes wrong (pithos.md §3.4–3.6):
//
// merge S → D is a MOVE, not a copy:
//   * S's containers that D lacks are re-parented under D (their objects follow, paths
//     rewritten); nodes, serials, object uuids (= Plankton image ids), history, deletion
//     markers, attributes and policies all stay as they are;
//   * in a container both have, each object of S moves under D's container; when D has an
//     object of the same name, S's versions join D's node: S's current version becomes the
//     current one and D's current version goes to history (cluster 1) — nothing is dropped,
//     whatever the container's versioning policy says;
//   * permissions (xfeatures) follow their paths (same-named: the grants are united),
//     public rows follow with their public_id (so 0.12 links, and 0.13's url, keep working),
//     grants to S and S:group become grants to D and D:group, S's groups become D's (same
//     name: members united), memberships of S become memberships of D;
//   * S's account node and its emptied containers go (their versions, metadata, policy and
//     statistics, with before-images); an explicit quota of S is kept on D when D has none
//     or a smaller one;
//   * statistics: the root by exact deltas, D's account and containers recomputed from versions.
// delete A removes every row of the account: its subtree (any number of objects), its
// permissions and public rows (all paths under A, not only live objects), its groups; the
// root's statistics are reduced by exactly what went. Grants to A in other people's
// permissions and A's memberships in their groups stay: they belong to the person, who
// keeps another spelling of the account.
//
// Big accounts go in chunks of objects, one exactly-once batch each; a final batch per
// account does the rest. Chunk keys are named by their first node, which no later chunk
// can have again, so a resumed run continues exactly where the journal says.
import type pg from 'pg';
import { UserError } from '../../../errors.js';
import type { BeforeImage, StepContext } from '../../step.js';
import { objectChunk, tag } from './names.js';
import { recomputeAccount, RootDelta } from './stats.js';
import { changedWhileRunning } from '../../errors.js';

type Keep = (images: BeforeImage[]) => void;
type Q = pg.Pool | pg.PoolClient;

export interface AccountOutcome {
  rows: number;
  batches: number;
  stopped: boolean;
  notes: string[];
}

const PK: Record<string, string[]> = {
  nodes: ['node'], versions: ['serial'], attributes: ['serial', 'domain', 'key'], policy: ['node', 'key'],
  statistics: ['node', 'cluster'], xfeatures: ['feature_id'], xfeaturevals: ['feature_id', 'key', 'value'],
  public: ['public_id'], groups: ['owner', 'name', 'member'],
};

/** Reads the rows SQL selects from TABLE and hands them to KEEP as before-images. */
async function capture(client: pg.PoolClient, keep: Keep, table: string, action: 'update' | 'delete', sql: string, params: unknown[] = []): Promise<number> {
  const r = await client.query<Record<string, unknown>>(sql, params);
  if (r.rows.length) {
    keep(r.rows.map((row) => ({
      service: 'pithos', table, action, row,
      pk: Object.fromEntries(PK[table]!.map((k) => [k, row[k]])),
    })));
  }
  return r.rows.length;
}

/** Before-images of every row that deleting the nodes of SET (SQL yielding node) removes by cascade. */
async function captureSubtreeRows(client: pg.PoolClient, keep: Keep, set: string, params: unknown[]): Promise<void> {
  await capture(client, keep, 'nodes', 'delete', `SELECT n.* FROM nodes n WHERE n.node IN (${set}) ORDER BY n.node`, params);
  await capture(client, keep, 'versions', 'delete', `SELECT v.* FROM versions v WHERE v.node IN (${set}) ORDER BY v.serial`, params);
  await capture(client, keep, 'attributes', 'delete',
    `SELECT a.* FROM attributes a JOIN versions v ON v.serial = a.serial WHERE v.node IN (${set}) ORDER BY a.serial, a.domain, a.key`, params);
  await capture(client, keep, 'policy', 'delete', `SELECT p.* FROM policy p WHERE p.node IN (${set}) ORDER BY p.node, p.key`, params);
  await capture(client, keep, 'statistics', 'delete', `SELECT s.* FROM statistics s WHERE s.node IN (${set}) ORDER BY s.node, s.cluster`, params);
}

export async function accountNode(q: Q, name: string): Promise<number | undefined> {
  const r = await q.query<{ node: number }>('SELECT node FROM nodes WHERE parent = 0 AND node <> 0 AND path = $1', [name]);
  return r.rows[0]?.node;
}

/** Nodes under ACCOUNT whose paths do not extend their parent's path (the rewrite would garble them). */
async function brokenPaths(q: Q, account: number, movingTo?: string): Promise<string[]> {
  // while S's containers move to D, their objects already renamed (D/c/x under S/c) are in order
  const moving = movingTo === undefined ? '' : `
       AND left(o.path, length($2::text || substr(c.path, length(a.path) + 1)) + 1) <> $2::text || substr(c.path, length(a.path) + 1) || '/'`;
  const r = await q.query<{ path: string }>(`
    SELECT c.path FROM nodes c JOIN nodes a ON a.node = c.parent
     WHERE a.node = $1 AND c.node <> $1 AND left(c.path, length(a.path) + 1) <> a.path || '/'
    UNION ALL
    SELECT o.path FROM nodes o JOIN nodes c ON c.node = o.parent JOIN nodes a ON a.node = c.parent
     WHERE c.parent = $1 AND c.node <> $1 AND left(o.path, length(c.path) + 1) <> c.path || '/'${moving}
     LIMIT 5`, movingTo === undefined ? [account] : [account, movingTo]);
  return r.rows.map((x) => x.path);
}

const num = (r: pg.QueryResult): number => r.rowCount ?? 0;

/** A decimal quota string as a comparable number ('0' = unlimited = the most); undefined if not a number. */
export function quotaRank(v: string | null | undefined): bigint | undefined {
  if (v === null || v === undefined || !/^\s*[0-9]+\s*$/.test(v)) return undefined;
  const n = BigInt(v.trim());
  return n === 0n ? BigInt(Number.MAX_SAFE_INTEGER) ** 4n : n;
}

// ------------------------------------------------------------------ helper indexes

/**
 * Expression indexes on the account part of permission paths, grants and public paths,
 * which the per-account statements look up (otherwise three sequential scans per account).
 * Created for the duration of 6.2's apply and dropped at its end; plain indexes, no data.
 */
export const HELPER_INDEXES: [string, string][] = [
  ['snf_upgrade_tmp_xfeatures_account', `xfeatures (split_part(path, '/', 1))`],
  ['snf_upgrade_tmp_xfeaturevals_account', `xfeaturevals (split_part(value, ':', 1))`],
  ['snf_upgrade_tmp_public_account', `public (split_part(path, '/', 1))`],
];

async function indexExists(q: Q, name: string): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind = 'i'`, [name]);
  return (r.rowCount ?? 0) > 0;
}

export async function createHelperIndexes(q: Q): Promise<void> {
  let made = false;
  for (const [name, on] of HELPER_INDEXES) {
    if (await indexExists(q, name)) continue;
    await q.query(`CREATE INDEX ${name} ON ${on}`);
    made = true;
  }
  if (made) await q.query('ANALYZE xfeatures; ANALYZE xfeaturevals; ANALYZE public');
}

export async function dropHelperIndexes(q: Q): Promise<void> {
  for (const [name] of HELPER_INDEXES) if (await indexExists(q, name)) await q.query(`DROP INDEX ${name}`);
}

// ------------------------------------------------------------------ merge

/** Objects of S's containers that D lacks, whose paths still start with their container's. */
const MOVING_OBJECTS = `
  FROM nodes c JOIN nodes o ON o.parent = c.node
 WHERE c.parent = $3 AND c.node <> $3
   AND NOT EXISTS (SELECT 1 FROM nodes d WHERE d.path = $2::text || substr(c.path, length($1::text) + 1))
   AND left(o.path, length(c.path) + 1) = c.path || '/'`;

async function firstMovingObject(q: Q, S: string, D: string, s0: number): Promise<number | undefined> {
  const r = await q.query<{ first: number | null }>(`SELECT min(o.node) AS first ${MOVING_OBJECTS}`, [S, D, s0]);
  return r.rows[0]?.first ?? undefined;
}

/**
 * Batch A1 (large accounts, repeated): the paths of up to LIMIT objects of S's containers
 * that D lacks, from node FIRST on, become D's; batch A then moves the containers themselves.
 * (The containers' before-images, in batch A, say how their objects' paths changed.)
 */
async function renameMovingObjects(client: pg.PoolClient, S: string, D: string, s0: number, first: number, limit: number): Promise<number> {
  await client.query(`CREATE TEMP TABLE snf_mv ON COMMIT DROP AS
                      SELECT o.node ${MOVING_OBJECTS} AND o.node >= $4 ORDER BY o.node LIMIT ${Math.floor(limit)}`, [S, D, s0, first]);
  const head = await client.query<{ m: number | null }>('SELECT min(node) AS m FROM snf_mv');
  if (head.rows[0]?.m !== first) throw changedWhileRunning('pithos', `the objects of account ${S} being moved (expected node ${first} first)`);
  return num(await client.query(`UPDATE nodes o SET path = $2::text || substr(o.path, length($1::text) + 1) FROM snf_mv m WHERE o.node = m.node`, [S, D]));
}

/** Batch A: S's containers that D lacks move under D with everything in them (objects not renamed yet included). */
async function moveContainers(client: pg.PoolClient, keep: Keep, S: string, D: string, s0: number, d0: number): Promise<number> {
  await client.query(`
    CREATE TEMP TABLE snf_mc ON COMMIT DROP AS
    SELECT c.node, c.path, $2::text || substr(c.path, length($1::text) + 1) AS newpath FROM nodes c
     WHERE c.parent = $3 AND c.node <> $3
       AND NOT EXISTS (SELECT 1 FROM nodes d WHERE d.path = $2::text || substr(c.path, length($1::text) + 1))`, [S, D, s0]);
  const moved = await client.query<Record<string, unknown>>(
    'SELECT n.*, m.newpath FROM nodes n JOIN snf_mc m ON m.node = n.node ORDER BY n.node');
  if (!moved.rows.length) return 0;
  keep(moved.rows.map((r) => {
    const { newpath, ...row } = r;
    return {
      service: 'pithos', table: 'nodes', action: 'update', pk: { node: row.node },
      row: { ...row, children: `moved under ${D}; the paths of its objects changed from ${String(row.path)}/… to ${String(newpath)}/…` },
    };
  }));
  let n = num(await client.query(`UPDATE nodes o SET path = $2::text || substr(o.path, length($1::text) + 1)
                                     FROM snf_mc m WHERE o.parent = m.node AND left(o.path, length(m.path) + 1) = m.path || '/'`, [S, D]));
  n += num(await client.query('UPDATE nodes n SET parent = $1, path = m.newpath FROM snf_mc m WHERE n.node = m.node', [d0]));
  return n;
}

const TWIN_OBJECTS = `
  FROM nodes c
  JOIN nodes dc ON dc.parent = $4 AND dc.path = $2::text || substr(c.path, length($1::text) + 1)
  JOIN nodes o ON o.parent = c.node
 WHERE c.parent = $3 AND c.node <> $3`;

async function firstTwinObject(q: Q, S: string, D: string, s0: number, d0: number): Promise<number | undefined> {
  const r = await q.query<{ first: number | null }>(`SELECT min(o.node) AS first ${TWIN_OBJECTS}`, [S, D, s0, d0]);
  return r.rows[0]?.first ?? undefined;
}

/** Batch B: up to LIMIT objects of S's containers that D also has, from node FIRST on. */
async function mergeObjects(client: pg.PoolClient, keep: Keep, S: string, D: string, s0: number, d0: number, first: number, limit: number): Promise<number> {
  await client.query(`
    CREATE TEMP TABLE snf_mo ON COMMIT DROP AS
    SELECT o.node AS src, o.latest_version AS src_latest, dc.node AS dcont,
           $2::text || substr(o.path, length($1::text) + 1) AS dst_path,
           NULL::integer AS dst, NULL::integer AS dst_latest, NULL::integer AS new_latest
      ${TWIN_OBJECTS} AND o.node >= $5
     ORDER BY o.node LIMIT ${Math.floor(limit)}`, [S, D, s0, d0, first]);
  const head = await client.query<{ m: number | null }>('SELECT min(src) AS m FROM snf_mo');
  if (head.rows[0]?.m !== first) throw changedWhileRunning('pithos', `the objects of account ${S} being merged (expected node ${first} first)`);
  await client.query('UPDATE snf_mo m SET dst = n.node, dst_latest = n.latest_version FROM nodes n WHERE n.path = m.dst_path');
  await client.query('ANALYZE snf_mo');
  let n = 0;

  // objects D does not have: re-parent and rename
  await capture(client, keep, 'nodes', 'update', 'SELECT n.* FROM nodes n JOIN snf_mo m ON m.src = n.node WHERE m.dst IS NULL ORDER BY n.node');
  n += num(await client.query('UPDATE nodes n SET parent = m.dcont, path = m.dst_path FROM snf_mo m WHERE n.node = m.src AND m.dst IS NULL'));

  // objects both have: S's versions join D's node; S's current becomes the current one
  await client.query(`
    UPDATE snf_mo m SET new_latest = CASE WHEN sv.cluster = 0 THEN m2.src_latest
                                          WHEN dv.cluster = 0 THEN m2.dst_latest
                                          ELSE greatest(m2.src_latest, m2.dst_latest) END
      FROM snf_mo m2
      LEFT JOIN versions sv ON sv.serial = m2.src_latest AND sv.node = m2.src
      LEFT JOIN versions dv ON dv.serial = m2.dst_latest AND dv.node = m2.dst
     WHERE m.src = m2.src AND m2.dst IS NOT NULL`);
  const recluster = `
    SELECT v.* FROM versions v JOIN snf_mo m ON v.node = m.src
     WHERE m.dst IS NOT NULL AND v.cluster = 0 AND v.serial <> coalesce(m.new_latest, -1)
    UNION ALL
    SELECT v.* FROM versions v JOIN snf_mo m ON v.node = m.dst
     WHERE m.dst IS NOT NULL AND v.cluster = 0 AND v.serial <> coalesce(m.new_latest, -1)`;
  const delta = new RootDelta();
  await delta.addQuery(client, 1, `SELECT 1 AS cluster, 0 AS pop, coalesce(sum(size), 0) AS size FROM (${recluster}) r
                                   UNION ALL SELECT 0, 0, -coalesce(sum(size), 0) FROM (${recluster}) r`, []);
  await capture(client, keep, 'versions', 'update', `
    SELECT v.* FROM versions v JOIN snf_mo m ON v.node = m.src WHERE m.dst IS NOT NULL
    UNION ALL
    SELECT v.* FROM versions v JOIN snf_mo m ON v.node = m.dst
     WHERE m.dst IS NOT NULL AND v.cluster = 0 AND v.serial <> coalesce(m.new_latest, -1)
    ORDER BY 1`);
  n += num(await client.query('UPDATE versions v SET node = m.dst FROM snf_mo m WHERE v.node = m.src AND m.dst IS NOT NULL'));
  n += num(await client.query(`UPDATE versions v SET cluster = 1 FROM snf_mo m
                                WHERE m.dst IS NOT NULL AND v.node = m.dst AND v.cluster = 0 AND v.serial <> coalesce(m.new_latest, -1)`));
  await capture(client, keep, 'nodes', 'update', `SELECT n.* FROM nodes n JOIN snf_mo m ON m.dst = n.node
                                                  WHERE n.latest_version IS DISTINCT FROM m.new_latest ORDER BY n.node`);
  n += num(await client.query(`UPDATE nodes n SET latest_version = m.new_latest FROM snf_mo m
                                WHERE n.node = m.dst AND n.latest_version IS DISTINCT FROM m.new_latest`));
  await captureSubtreeRows(client, keep, 'SELECT src FROM snf_mo WHERE dst IS NOT NULL', []);
  n += num(await client.query('DELETE FROM nodes n USING snf_mo m WHERE n.node = m.src AND m.dst IS NOT NULL'));
  await delta.apply(client, keep);
  return n;
}

/**
 * Batch C: S's emptied containers and account node go; permissions, public rows, groups follow;
 * statistics. With TAKE_QUOTA (the operator's "larger") D takes S's explicit quota when larger.
 */
async function finishMerge(client: pg.PoolClient, keep: Keep, S: string, D: string, s0: number, d0: number, notes: string[], takeQuota: boolean): Promise<number> {
  const left = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM nodes o JOIN nodes c ON c.node = o.parent WHERE c.parent = $1 AND c.node <> $1', [s0]);
  if (left.rows[0]!.n !== '0') throw changedWhileRunning('pithos', `account ${S} (it still has ${left.rows[0]!.n} object(s) after they were merged)`);
  let n = 0;
  const gone = 'SELECT node FROM nodes WHERE parent = $1 AND node <> $1 UNION ALL SELECT $1::integer';

  // an explicit account quota of S survives on D when D has none or a smaller one, if the operator chose "larger"
  const q = await client.query<{ node: number; value: string | null }>(
    `SELECT node, value FROM policy WHERE node IN ($1, $2) AND key = 'quota'`, [s0, d0]);
  const sq = q.rows.find((r) => r.node === s0)?.value;
  const dRow = q.rows.find((r) => r.node === d0);
  const sRank = takeQuota ? quotaRank(sq) : undefined;
  if (sRank !== undefined) {
    if (!dRow) {
      n += num(await client.query(`INSERT INTO policy (node, key, value) VALUES ($1, 'quota', $2)`, [d0, sq]));
      notes.push(`${D} takes over the explicit quota of ${S} (${sq} bytes${sq === '0' ? ', unlimited' : ''})`);
    } else if (sRank > (quotaRank(dRow.value) ?? -1n)) {
      await capture(client, keep, 'policy', 'update', `SELECT * FROM policy WHERE node = $1 AND key = 'quota'`, [d0]);
      n += num(await client.query(`UPDATE policy SET value = $2 WHERE node = $1 AND key = 'quota'`, [d0, sq]));
      notes.push(`${D} takes the larger quota of ${S} (${sq} bytes${sq === '0' ? ', unlimited' : ''} instead of ${dRow.value})`);
    }
  }

  // S's account node and emptied containers
  const delta = new RootDelta();
  await delta.addQuery(client, -1, `SELECT v.cluster, sum(CASE WHEN v.node = $1 THEN 1 ELSE 0 END) AS pop, sum(v.size) AS size
                                      FROM versions v WHERE v.node IN (${gone}) GROUP BY v.cluster`, [s0]);
  await captureSubtreeRows(client, keep, gone, [s0]);
  n += num(await client.query('DELETE FROM nodes WHERE parent = $1 AND node <> $1', [s0]));
  n += num(await client.query('DELETE FROM nodes WHERE node = $1', [s0]));

  // permissions on S's paths follow them (same path under D: grants united)
  await client.query(`
    CREATE TEMP TABLE snf_xf ON COMMIT DROP AS
    SELECT x.feature_id, $2::text || substr(x.path, length($1::text) + 1) AS newpath, y.feature_id AS target
      FROM xfeatures x LEFT JOIN xfeatures y ON y.path = $2::text || substr(x.path, length($1::text) + 1)
     WHERE split_part(x.path, '/', 1) = $1`, [S, D]);
  await capture(client, keep, 'xfeatures', 'update', 'SELECT x.* FROM xfeatures x JOIN snf_xf t ON t.feature_id = x.feature_id WHERE t.target IS NULL ORDER BY 1');
  n += num(await client.query('UPDATE xfeatures x SET path = t.newpath FROM snf_xf t WHERE x.feature_id = t.feature_id AND t.target IS NULL'));
  n += num(await client.query(`
    INSERT INTO xfeaturevals (feature_id, key, value)
    SELECT DISTINCT t.target, v.key, v.value FROM snf_xf t JOIN xfeaturevals v ON v.feature_id = t.feature_id
     WHERE t.target IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM xfeaturevals w WHERE w.feature_id = t.target AND w.key = v.key AND w.value = v.value)`));
  await capture(client, keep, 'xfeatures', 'delete', 'SELECT x.* FROM xfeatures x JOIN snf_xf t ON t.feature_id = x.feature_id WHERE t.target IS NOT NULL ORDER BY 1');
  await capture(client, keep, 'xfeaturevals', 'delete',
    'SELECT v.* FROM xfeaturevals v JOIN snf_xf t ON t.feature_id = v.feature_id WHERE t.target IS NOT NULL ORDER BY 1, 2, 3');
  n += num(await client.query('DELETE FROM xfeatures x USING snf_xf t WHERE x.feature_id = t.feature_id AND t.target IS NOT NULL'));

  // public rows follow their paths with their public_id (same path under D: the active one stays, S's first)
  await client.query(`
    CREATE TEMP TABLE snf_pub ON COMMIT DROP AS
    SELECT p.public_id, p.active, $2::text || substr(p.path, length($1::text) + 1) AS newpath, q.public_id AS other
      FROM public p LEFT JOIN public q ON q.path = $2::text || substr(p.path, length($1::text) + 1)
     WHERE split_part(p.path, '/', 1) = $1`, [S, D]);
  await capture(client, keep, 'public', 'delete', `
    SELECT q.* FROM public q JOIN snf_pub t ON t.other = q.public_id WHERE t.active
    UNION ALL
    SELECT p.* FROM public p JOIN snf_pub t ON t.public_id = p.public_id WHERE t.other IS NOT NULL AND NOT t.active
    ORDER BY 1`);
  n += num(await client.query('DELETE FROM public q USING snf_pub t WHERE q.public_id = t.other AND t.active'));
  n += num(await client.query('DELETE FROM public p USING snf_pub t WHERE p.public_id = t.public_id AND t.other IS NOT NULL AND NOT t.active'));
  await capture(client, keep, 'public', 'update', 'SELECT p.* FROM public p JOIN snf_pub t ON t.public_id = p.public_id ORDER BY 1');
  n += num(await client.query('UPDATE public p SET path = t.newpath FROM snf_pub t WHERE p.public_id = t.public_id'));
  const replaced = await client.query<{ n: string }>(`SELECT count(*) AS n FROM snf_pub WHERE other IS NOT NULL AND active`);
  if (replaced.rows[0]!.n !== '0') notes.push(`${replaced.rows[0]!.n} public link(s) of ${D} replaced by ${S}'s link to the same object (the object's content came from ${S})`);

  // grants to S and to S's groups become grants to D and D's groups
  // grants name an account before the first ':' (user or user:group), as 165ba3fbfe53 reads them
  const holder = S.includes(':') ? `(v.value = $1 OR left(v.value, length($1::text) + 1) = $1::text || ':')` : `split_part(v.value, ':', 1) = $1`;
  const dupHolder = `${holder} AND EXISTS (SELECT 1 FROM xfeaturevals w WHERE w.feature_id = v.feature_id AND w.key = v.key
                                            AND w.value = $2::text || substr(v.value, length($1::text) + 1))`;
  await capture(client, keep, 'xfeaturevals', 'delete', `SELECT v.* FROM xfeaturevals v WHERE ${dupHolder} ORDER BY 1, 2, 3`, [S, D]);
  n += num(await client.query(`DELETE FROM xfeaturevals v WHERE ${dupHolder}`, [S, D]));
  await capture(client, keep, 'xfeaturevals', 'update', `SELECT v.* FROM xfeaturevals v WHERE ${holder} ORDER BY 1, 2, 3`, [S]);
  n += num(await client.query(`UPDATE xfeaturevals v SET value = $2::text || substr(v.value, length($1::text) + 1) WHERE ${holder}`, [S, D]));

  // S's groups become D's (same name: members united; S itself as a member becomes D)
  await capture(client, keep, 'groups', 'delete', 'SELECT * FROM groups WHERE owner = $1 ORDER BY 1, 2, 3', [S]);
  n += num(await client.query(`
    INSERT INTO groups (owner, name, member)
    SELECT DISTINCT $2::text, g.name, CASE WHEN g.member = $1 THEN $2::text ELSE g.member END FROM groups g
     WHERE g.owner = $1
       AND NOT EXISTS (SELECT 1 FROM groups h WHERE h.owner = $2 AND h.name = g.name
                          AND h.member = CASE WHEN g.member = $1 THEN $2::text ELSE g.member END)`, [S, D]));
  n += num(await client.query('DELETE FROM groups WHERE owner = $1', [S]));
  const dupMember = `g.member = $1 AND EXISTS (SELECT 1 FROM groups h WHERE h.owner = g.owner AND h.name = g.name AND h.member = $2)`;
  await capture(client, keep, 'groups', 'delete', `SELECT g.* FROM groups g WHERE ${dupMember} ORDER BY 1, 2, 3`, [S, D]);
  n += num(await client.query(`DELETE FROM groups g WHERE ${dupMember}`, [S, D]));
  await capture(client, keep, 'groups', 'update', 'SELECT * FROM groups WHERE member = $1 ORDER BY 1, 2, 3', [S]);
  n += num(await client.query('UPDATE groups SET member = $2 WHERE member = $1', [S, D]));

  // statistics: the root by exact deltas, D's subtree from its versions
  await delta.apply(client, keep);
  n += await recomputeAccount(client, keep, d0);
  return n;
}

/** Merges account S into account D (both exact account node paths), in exactly-once batches. */
export async function mergeAccount(ctx: StepContext, S: string, D: string, takeQuota = false): Promise<AccountOutcome> {
  const pool = (await ctx.db('pithos')).pool;
  const out: AccountOutcome = { rows: 0, batches: 0, stopped: false, notes: [] };
  const s0 = await accountNode(pool, S);
  if (s0 === undefined) return out;
  const d0 = await accountNode(pool, D);
  if (d0 === undefined) {
    throw new UserError(`cannot merge ${S} into ${D}: there is no pithos account ${D}`, 'decide step 6.2 again (snf-upgrade plan 6.2 shows the sets)');
  }
  for (const [a, node] of [[S, s0], [D, d0]] as const) {
    const broken = await brokenPaths(pool, node, a === S ? D : undefined);
    if (broken.length) {
      throw new UserError(`the tree of ${a} is inconsistent: ${broken.join(', ')} do not start with their parent's path`,
        'repair these nodes by hand (or delete the account instead of merging it), then run the step again');
    }
  }
  const prefix = `merge ${tag(S)} into ${tag(D)}`;
  const run = async (suffix: string, work: (c: pg.PoolClient, keep: Keep) => Promise<number>) => {
    const r = await ctx.batch('pithos', `${prefix} ${suffix}`, work);
    out.batches++;
    out.rows += r.rows;
    return r;
  };
  let moved: number | undefined;
  for (;;) {
    if (ctx.stopRequested()) { out.stopped = true; return out; }
    const first = await firstMovingObject(pool, S, D, s0);
    if (first === undefined) break;
    if (first === moved) throw changedWhileRunning('pithos', `account ${S} (objects from node ${first} are back after their move batch committed)`);
    moved = first;
    await run(`moving objects from ${first}`, (c) => renameMovingObjects(c, S, D, s0, first, objectChunk()));
  }
  await run('containers', (c, keep) => moveContainers(c, keep, S, D, s0, d0));
  let prev: number | undefined;
  for (;;) {
    if (ctx.stopRequested()) { out.stopped = true; return out; }
    const first = await firstTwinObject(pool, S, D, s0, d0);
    if (first === undefined) break;
    if (first === prev) throw changedWhileRunning('pithos', `account ${S} (objects from node ${first} are back after their merge batch committed)`);
    prev = first;
    await run(`objects from ${first}`, (c, keep) => mergeObjects(c, keep, S, D, s0, d0, first, objectChunk()));
  }
  if (ctx.stopRequested()) { out.stopped = true; return out; }
  await run('final', (c, keep) => finishMerge(c, keep, S, D, s0, d0, out.notes, takeQuota));
  return out;
}

// ------------------------------------------------------------------ delete

const ACCOUNT_OBJECTS = 'FROM nodes c JOIN nodes o ON o.parent = c.node WHERE c.parent = $1 AND c.node <> $1';

async function deleteObjects(client: pg.PoolClient, keep: Keep, a0: number, first: number, limit: number): Promise<number> {
  await client.query(`CREATE TEMP TABLE snf_do ON COMMIT DROP AS
                      SELECT o.node ${ACCOUNT_OBJECTS} AND o.node >= $2 ORDER BY o.node LIMIT ${Math.floor(limit)}`, [a0, first]);
  const head = await client.query<{ m: number | null }>('SELECT min(node) AS m FROM snf_do');
  if (head.rows[0]?.m !== first) throw changedWhileRunning('pithos', `the objects of account node ${a0} being deleted (expected node ${first} first)`);
  const delta = new RootDelta();
  await delta.addQuery(client, -1, 'SELECT v.cluster, 0 AS pop, sum(v.size) AS size FROM versions v JOIN snf_do d ON d.node = v.node GROUP BY v.cluster', []);
  await captureSubtreeRows(client, keep, 'SELECT node FROM snf_do', []);
  const n = num(await client.query('DELETE FROM nodes n USING snf_do d WHERE n.node = d.node'));
  await delta.apply(client, keep);
  return n;
}

async function finishDelete(client: pg.PoolClient, keep: Keep, A: string, a0: number): Promise<number> {
  const left = await client.query<{ n: string }>(`SELECT count(*) AS n ${ACCOUNT_OBJECTS}`, [a0]);
  if (left.rows[0]!.n !== '0') throw changedWhileRunning('pithos', `account ${A} (it still has ${left.rows[0]!.n} object(s) after they were deleted)`);
  const gone = 'SELECT node FROM nodes WHERE parent = $1 AND node <> $1 UNION ALL SELECT $1::integer';
  const delta = new RootDelta();
  await delta.addQuery(client, -1, `SELECT v.cluster, sum(CASE WHEN v.node = $1 THEN 1 ELSE 0 END) AS pop, sum(v.size) AS size
                                      FROM versions v WHERE v.node IN (${gone}) GROUP BY v.cluster`, [a0]);
  await captureSubtreeRows(client, keep, gone, [a0]);
  let n = num(await client.query('DELETE FROM nodes WHERE parent = $1 AND node <> $1', [a0]));
  n += num(await client.query('DELETE FROM nodes WHERE node = $1', [a0]));
  const mine = `split_part(path, '/', 1) = $1`;
  await capture(client, keep, 'xfeatures', 'delete', `SELECT * FROM xfeatures WHERE ${mine} ORDER BY 1`, [A]);
  await capture(client, keep, 'xfeaturevals', 'delete',
    `SELECT v.* FROM xfeaturevals v JOIN xfeatures x ON x.feature_id = v.feature_id WHERE split_part(x.path, '/', 1) = $1 ORDER BY 1, 2, 3`, [A]);
  n += num(await client.query(`DELETE FROM xfeatures WHERE ${mine}`, [A]));
  await capture(client, keep, 'public', 'delete', `SELECT * FROM public WHERE ${mine} ORDER BY 1`, [A]);
  n += num(await client.query(`DELETE FROM public WHERE ${mine}`, [A]));
  await capture(client, keep, 'groups', 'delete', 'SELECT * FROM groups WHERE owner = $1 ORDER BY 1, 2, 3', [A]);
  n += num(await client.query('DELETE FROM groups WHERE owner = $1', [A]));
  await delta.apply(client, keep);
  return n;
}

/** Deletes every row of account A (exact account node path), in exactly-once batches. */
export async function deleteAccount(ctx: StepContext, A: string): Promise<AccountOutcome> {
  const pool = (await ctx.db('pithos')).pool;
  const out: AccountOutcome = { rows: 0, batches: 0, stopped: false, notes: [] };
  const a0 = await accountNode(pool, A);
  if (a0 === undefined) return out;
  const prefix = `delete ${tag(A)}`;
  let prev: number | undefined;
  for (;;) {
    if (ctx.stopRequested()) { out.stopped = true; return out; }
    const r0 = await pool.query<{ first: number | null }>(`SELECT min(o.node) AS first ${ACCOUNT_OBJECTS}`, [a0]);
    const first = r0.rows[0]?.first ?? undefined;
    if (first === undefined || first === null) break;
    if (first === prev) throw changedWhileRunning('pithos', `account ${A} (objects from node ${first} are back after their delete batch committed)`);
    prev = first;
    const r = await ctx.batch('pithos', `${prefix} objects from ${first}`, (c, keep) => deleteObjects(c, keep, a0, first, objectChunk()));
    out.batches++;
    out.rows += r.rows;
  }
  const r = await ctx.batch('pithos', `${prefix} final`, (c, keep) => finishDelete(c, keep, A, a0));
  out.batches++;
  out.rows += r.rows;
  return out;
}

// ------------------------------------------------------------------ a whole set in one transaction

/** Objects (nodes below containers) of the accounts NAMES: what bounds one transaction's work and before-images. */
export async function objectCount(q: Q, names: string[]): Promise<number> {
  if (!names.length) return 0;
  const r = await q.query<{ n: string }>(`SELECT count(*) AS n FROM nodes a JOIN nodes c ON c.parent = a.node AND c.node <> a.node
                                            JOIN nodes o ON o.parent = c.node
                                           WHERE a.parent = 0 AND a.node <> 0 AND a.path = ANY($1::text[])`, [names]);
  return Number(r.rows[0]!.n);
}

/** Merges S into D inside the caller's transaction (all objects at once). */
async function mergeInOne(client: pg.PoolClient, keep: Keep, S: string, D: string, notes: string[], takeQuota: boolean): Promise<number> {
  const s0 = await accountNode(client, S);
  if (s0 === undefined) return 0;
  const d0 = await accountNode(client, D);
  if (d0 === undefined) throw new UserError(`cannot merge ${S} into ${D}: there is no pithos account ${D}`, 'decide step 6.2 again (snf-upgrade plan 6.2 shows the sets)');
  for (const [a, node] of [[S, s0], [D, d0]] as const) {
    const broken = await brokenPaths(client, node);
    if (broken.length) {
      throw new UserError(`the tree of ${a} is inconsistent: ${broken.join(', ')} do not start with their parent's path`,
        'repair these nodes by hand (or delete the account instead of merging it), then run the step again');
    }
  }
  let n = await moveContainers(client, keep, S, D, s0, d0);
  const first = await firstTwinObject(client, S, D, s0, d0);
  if (first !== undefined) n += await mergeObjects(client, keep, S, D, s0, d0, first, Number.MAX_SAFE_INTEGER);
  await client.query('DROP TABLE IF EXISTS pg_temp.snf_mc; DROP TABLE IF EXISTS pg_temp.snf_mo');
  n += await finishMerge(client, keep, S, D, s0, d0, notes, takeQuota);
  await client.query('DROP TABLE IF EXISTS pg_temp.snf_xf; DROP TABLE IF EXISTS pg_temp.snf_pub');
  return n;
}

/** Deletes account A inside the caller's transaction. */
async function deleteInOne(client: pg.PoolClient, keep: Keep, A: string): Promise<number> {
  const a0 = await accountNode(client, A);
  if (a0 === undefined) return 0;
  let n = 0;
  const r0 = await client.query<{ first: number | null }>(`SELECT min(o.node) AS first ${ACCOUNT_OBJECTS}`, [a0]);
  const first = r0.rows[0]?.first;
  if (first !== null && first !== undefined) {
    n += await deleteObjects(client, keep, a0, first, Number.MAX_SAFE_INTEGER);
    await client.query('DROP TABLE IF EXISTS pg_temp.snf_do');
  }
  return n + await finishDelete(client, keep, A, a0);
}

export interface SetOps { key: string; delete: string[]; merge: string[]; into?: string; takeQuota?: boolean }

/** Every delete and merge of one set as one exactly-once transaction (for sets small enough: see objectCount). */
export async function applySetInOne(ctx: StepContext, set: SetOps): Promise<AccountOutcome> {
  const out: AccountOutcome = { rows: 0, batches: 0, stopped: false, notes: [] };
  const r = await ctx.batch('pithos', `set ${tag(set.key)}`, async (client, keep) => {
    let n = 0;
    for (const a of set.delete) n += await deleteInOne(client, keep, a);
    for (const a of set.merge) n += await mergeInOne(client, keep, a, set.into!, out.notes, set.takeQuota ?? false);
    return n;
  });
  out.rows = r.rows;
  out.batches = 1;
  return out;
}
