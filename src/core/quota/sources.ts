// What the services' databases say: current usage (cyclades.md §4.2–4.3, pithos.md §5)
// and the pithos per-account quotas (pithos.md §4), streamed in chunks.
import type pg from 'pg';
import { streamRows } from './common.js';
import { big, MiB, GiB } from './numbers.js';

export const CYCLADES_RESOURCES = ['cyclades.vm', 'cyclades.cpu', 'cyclades.ram', 'cyclades.disk', 'cyclades.network.private'] as const;
export const PITHOS_RESOURCES = ['pithos+.diskspace'] as const;

export interface OwnerUsage {
  /** The owner identifier as stored (a uuid after steps 6.3 / 6.4). */
  owner: string;
  usage: Map<string, bigint>;
  /** Where it lives, for messages (pithos: the account's node). */
  where?: string;
}

/**
 * cyclades-reset-usage's get_db_holdings: every non-deleted VM (any state, any flavor,
 * deleted flavors too) and every non-deleted network with an owner (public ones too).
 * RAM is MiB and disk GiB in db_flavor; the quotaholder counts bytes.
 */
const CYCLADES_USAGE_SQL = `SELECT userid, sum(vm)::text AS vm, sum(cpu)::text AS cpu, sum(ram_mib)::text AS ram_mib, sum(disk_gib)::text AS disk_gib,
                 sum(net)::text AS net
            FROM (SELECT v.userid, count(*) AS vm, sum(f.cpu::bigint) AS cpu, sum(f.ram::bigint) AS ram_mib,
                         sum(f.disk::bigint) AS disk_gib, 0::bigint AS net
                    FROM db_virtualmachine v JOIN db_flavor f ON f.id = v.flavor_id
                   WHERE NOT v.deleted GROUP BY v.userid
                  UNION ALL
                  SELECT userid, 0, 0, 0, 0, count(*) FROM db_network WHERE NOT deleted GROUP BY userid) x
           WHERE userid IS NOT NULL AND userid <> ''
           GROUP BY userid ORDER BY userid`;

function cycladesRow(r: { userid: string; vm: string; cpu: string; ram_mib: string; disk_gib: string; net: string }): OwnerUsage {
  return {
    owner: r.userid,
    usage: new Map([
      ['cyclades.vm', big(r.vm)],
      ['cyclades.cpu', big(r.cpu)],
      ['cyclades.ram', big(r.ram_mib) * MiB],
      ['cyclades.disk', big(r.disk_gib) * GiB],
      ['cyclades.network.private', big(r.net)],
    ]),
  };
}

export async function* cycladesUsage(pool: pg.Pool): AsyncGenerator<OwnerUsage[]> {
  for await (const rows of streamRows<any>(pool, CYCLADES_USAGE_SQL)) yield rows.map(cycladesRow);
}

/** Which of OWNERS cycladesUsage lists (they own a VM or a network that is not deleted). */
export async function cycladesOwnersOf(pool: pg.Pool, owners: string[]): Promise<Set<string>> {
  if (!owners.length) return new Set();
  const r = await pool.query<{ userid: string }>(
    `SELECT v.userid FROM db_virtualmachine v JOIN db_flavor f ON f.id = v.flavor_id WHERE NOT v.deleted AND v.userid = ANY($1::text[])
      UNION SELECT userid FROM db_network WHERE NOT deleted AND userid = ANY($1::text[])`, [owners]);
  return new Set(r.rows.map((x) => x.userid));
}

/**
 * The account nodes named $1, found through the path index. OFFSET 0 keeps the planner from
 * merging it with "parent = 0": it would then read every account by the parent index for
 * each chunk of names (a whole-table read per chunk, quadratic over a run).
 */
const NAMED_ACCOUNTS = `SELECT node, path FROM (SELECT node, path, parent FROM nodes WHERE path = ANY($1::text[]) OFFSET 0) n
                        WHERE parent = 0 AND node <> 0`;

/**
 * pithos-usage: per account node (parent = 0), the sizes of the NORMAL-cluster (0) versions
 * of its containers and of the objects in them. History (1) and deletion markers (2) never count.
 */
const PITHOS_USAGE_SQL = `SELECT a.node, a.path, coalesce(s.usage, 0)::text AS usage
            FROM nodes a
            LEFT JOIN (SELECT acc, sum(size) AS usage FROM (
                         SELECT c.parent AS acc, v.size FROM nodes c JOIN versions v ON v.node = c.node
                          WHERE v.cluster = 0 AND c.node <> 0
                         UNION ALL
                         SELECT c.parent, v.size FROM nodes c JOIN nodes o ON o.parent = c.node JOIN versions v ON v.node = o.node
                          WHERE v.cluster = 0 AND c.node <> 0 AND o.node <> 0) x
                        GROUP BY acc) s ON s.acc = a.node
           WHERE a.parent = 0 AND a.node <> 0
           ORDER BY a.path`;

const pithosRow = (r: { node: number; path: string; usage: string }): OwnerUsage => ({
  owner: r.path, usage: new Map([['pithos+.diskspace', big(r.usage)]]), where: `node ${r.node}`,
});

export async function* pithosUsage(pool: pg.Pool): AsyncGenerator<OwnerUsage[]> {
  for await (const rows of streamRows<any>(pool, PITHOS_USAGE_SQL)) yield rows.map(pithosRow);
}

/** Which of NAMES pithosUsage lists (they are account nodes). */
export async function pithosAccountsOf(pool: pg.Pool, names: string[]): Promise<Set<string>> {
  if (!names.length) return new Set();
  return new Set((await pool.query<{ path: string }>(NAMED_ACCOUNTS, [names])).rows.map((r) => r.path));
}

export interface AccountQuota {
  node: number;
  path: string;
  /** policy.value as stored (a string). */
  value: string;
}

/** pithos-export-quota's query: every account node with an explicit `quota` policy row. */
export const PITHOS_QUOTA_SQL = `SELECT n.node, n.path, p.value FROM nodes n JOIN policy p ON p.node = n.node
  WHERE n.node <> 0 AND n.parent = 0 AND p.key = 'quota' ORDER BY n.path`;

export async function* pithosQuotas(pool: pg.Pool): AsyncGenerator<AccountQuota[]> {
  yield* streamRows<AccountQuota>(pool, PITHOS_QUOTA_SQL);
}

/** The quota policy of the accounts named PATHS (path → value). */
export async function pithosQuotasOf(pool: pg.Pool, paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!paths.length) return out;
  const r = await pool.query<{ path: string; value: string }>(
    `SELECT n.path, p.value FROM (${NAMED_ACCOUNTS}) n JOIN policy p ON p.node = n.node WHERE p.key = 'quota'`, [paths]);
  for (const row of r.rows) out.set(row.path, row.value);
  return out;
}
