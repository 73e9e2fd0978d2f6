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
function cycladesSql(filtered: boolean): string {
  const f = filtered ? ' AND v.userid = ANY($1::text[])' : '';
  const g = filtered ? ' AND userid = ANY($1::text[])' : '';
  return `SELECT userid, sum(vm)::text AS vm, sum(cpu)::text AS cpu, sum(ram_mib)::text AS ram_mib, sum(disk_gib)::text AS disk_gib,
                 sum(net)::text AS net
            FROM (SELECT v.userid, count(*) AS vm, sum(f.cpu::bigint) AS cpu, sum(f.ram::bigint) AS ram_mib,
                         sum(f.disk::bigint) AS disk_gib, 0::bigint AS net
                    FROM db_virtualmachine v JOIN db_flavor f ON f.id = v.flavor_id
                   WHERE NOT v.deleted${f} GROUP BY v.userid
                  UNION ALL
                  SELECT userid, 0, 0, 0, 0, count(*) FROM db_network WHERE NOT deleted${g} GROUP BY userid) x
           WHERE userid IS NOT NULL AND userid <> ''
           GROUP BY userid ORDER BY userid`;
}

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
  for await (const rows of streamRows<any>(pool, cycladesSql(false))) yield rows.map(cycladesRow);
}

export async function cycladesUsageOf(pool: pg.Pool, owners: string[]): Promise<Map<string, OwnerUsage>> {
  const out = new Map<string, OwnerUsage>();
  if (!owners.length) return out;
  for (const r of (await pool.query<any>(cycladesSql(true), [owners])).rows) out.set(r.userid, cycladesRow(r));
  return out;
}

/**
 * pithos-usage: per account node (parent = 0), the sizes of the NORMAL-cluster (0) versions
 * of its containers and of the objects in them. History (1) and deletion markers (2) never count.
 */
function pithosSql(filtered: boolean): string {
  const acc = filtered ? 'SELECT node FROM nodes WHERE parent = 0 AND node <> 0 AND path = ANY($1::text[])' : undefined;
  const inAcc = acc ? ` AND c.parent IN (${acc})` : '';
  return `SELECT a.node, a.path, coalesce(s.usage, 0)::text AS usage
            FROM nodes a
            LEFT JOIN (SELECT acc, sum(size) AS usage FROM (
                         SELECT c.parent AS acc, v.size FROM nodes c JOIN versions v ON v.node = c.node
                          WHERE v.cluster = 0 AND c.node <> 0${inAcc}
                         UNION ALL
                         SELECT c.parent, v.size FROM nodes c JOIN nodes o ON o.parent = c.node JOIN versions v ON v.node = o.node
                          WHERE v.cluster = 0 AND c.node <> 0 AND o.node <> 0${inAcc}) x
                        GROUP BY acc) s ON s.acc = a.node
           WHERE a.parent = 0 AND a.node <> 0${filtered ? ' AND a.path = ANY($1::text[])' : ''}
           ORDER BY a.path`;
}

const pithosRow = (r: { node: number; path: string; usage: string }): OwnerUsage => ({
  owner: r.path, usage: new Map([['pithos+.diskspace', big(r.usage)]]), where: `node ${r.node}`,
});

export async function* pithosUsage(pool: pg.Pool): AsyncGenerator<OwnerUsage[]> {
  for await (const rows of streamRows<any>(pool, pithosSql(false))) yield rows.map(pithosRow);
}

export async function pithosUsageOf(pool: pg.Pool, accounts: string[]): Promise<Map<string, OwnerUsage>> {
  const out = new Map<string, OwnerUsage>();
  if (!accounts.length) return out;
  for (const r of (await pool.query<any>(pithosSql(true), [accounts])).rows) out.set(r.path, pithosRow(r));
  return out;
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
    `SELECT n.path, p.value FROM nodes n JOIN policy p ON p.node = n.node
      WHERE n.node <> 0 AND n.parent = 0 AND p.key = 'quota' AND n.path = ANY($1::text[])`, [paths]);
  for (const row of r.rows) out.set(row.path, row.value);
  return out;
}
