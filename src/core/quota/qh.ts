// The quotaholder tables (astakos.md §7.2–7.3), written the way the quotaholder's own calls
// write them: set_quota = a fresh policy row per holding, the holding created (counters 0)
// or pointed at it (counters kept), orphaned policies deleted; reset_holding = the eight
// counters of an existing holding; create_entity = one row owned by 'system' with key '1'.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { BeforeImage } from '../step.js';
import { valuesList, type Q } from './common.js';
import { big } from './numbers.js';

export const ENTITY_KEY = '1';
export const SYSTEM = 'system';

export interface Limits {
  quantity: bigint;
  capacity: bigint;
  importLimit: bigint;
  exportLimit: bigint;
}

export interface Counters {
  imported: bigint;
  importing: bigint;
  exported: bigint;
  exporting: bigint;
  returned: bigint;
  returning: bigint;
  released: bigint;
  releasing: bigint;
}

export interface Holding {
  id: number;
  entity: string;
  resource: string;
  policy: string;
  flags: bigint;
  /** The policy's values; undefined if the policy row is missing (a broken holding). */
  limits?: Limits;
  counters: Counters;
}

export interface Entity {
  entity: string;
  owner: string;
  key: string;
}

export const sameLimits = (a: Limits | undefined, b: Limits): boolean => !!a
  && a.quantity === b.quantity && a.capacity === b.capacity && a.importLimit === b.importLimit && a.exportLimit === b.exportLimit;

/** The counters reset_holding leaves: imported = importing = usage, everything else 0. */
export const resetCounters = (usage: bigint): Counters => ({
  imported: usage, importing: usage, exported: 0n, exporting: 0n, returned: 0n, returning: 0n, released: 0n, releasing: 0n,
});

export const sameCounters = (a: Counters, b: Counters): boolean => (Object.keys(a) as (keyof Counters)[]).every((k) => a[k] === b[k]);

/** What astakos and the services read as a holding's usage: imported − exported + returned − released. */
export const usageOf = (c: Counters): bigint => c.imported - c.exported + c.returned - c.released;

/** A policy name as the quotaholder makes them (policy_<hex>); unique per call. */
export const newPolicyName = (): string => `policy_${randomBytes(12).toString('hex')}`;

const limitsJson = (l: Limits) => ({
  quantity: l.quantity.toString(), capacity: l.capacity.toString(), import_limit: l.importLimit.toString(), export_limit: l.exportLimit.toString(),
});
const countersJson = (c: Counters) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, (v as bigint).toString()]));

export async function readEntities(q: Q, names: string[]): Promise<Map<string, Entity>> {
  const out = new Map<string, Entity>();
  if (!names.length) return out;
  const r = await q.query<{ entity: string; owner_id: string; key: string }>(
    'SELECT entity, owner_id, key FROM quotaholder_app_entity WHERE entity = ANY($1::text[])', [names]);
  for (const row of r.rows) out.set(row.entity, { entity: row.entity, owner: row.owner_id, key: row.key });
  return out;
}

/** Holdings of ENTITIES (for RESOURCES only, if given), entity → resource → holding. */
export async function readHoldings(q: Q, entities: string[], resources?: string[], forUpdate = false): Promise<Map<string, Map<string, Holding>>> {
  const out = new Map<string, Map<string, Holding>>();
  if (!entities.length) return out;
  const r = await q.query(
    `SELECT h.id, h.entity_id, h.resource, h.policy_id, h.flags::text AS flags,
            h.imported::text AS imported, h.importing::text AS importing, h.exported::text AS exported, h.exporting::text AS exporting,
            h.returned::text AS returned, h."returning"::text AS "returning", h.released::text AS released, h.releasing::text AS releasing,
            p.policy AS p, p.quantity::text AS quantity, p.capacity::text AS capacity,
            p.import_limit::text AS import_limit, p.export_limit::text AS export_limit
       FROM quotaholder_app_holding h LEFT JOIN quotaholder_app_policy p ON p.policy = h.policy_id
      WHERE h.entity_id = ANY($1::text[])${resources ? ' AND h.resource = ANY($2::text[])' : ''}
      ORDER BY h.id${forUpdate ? ' FOR UPDATE OF h' : ''}`,
    resources ? [entities, resources] : [entities]);
  for (const row of r.rows) {
    const h: Holding = {
      id: row.id, entity: row.entity_id, resource: row.resource, policy: row.policy_id, flags: big(row.flags),
      limits: row.p === null ? undefined : {
        quantity: big(row.quantity), capacity: big(row.capacity), importLimit: big(row.import_limit), exportLimit: big(row.export_limit),
      },
      counters: {
        imported: big(row.imported), importing: big(row.importing), exported: big(row.exported), exporting: big(row.exporting),
        returned: big(row.returned), returning: big(row.returning), released: big(row.released), releasing: big(row.releasing),
      },
    };
    let m = out.get(h.entity);
    if (!m) out.set(h.entity, (m = new Map()));
    m.set(h.resource, h);
  }
  return out;
}

/** create_entity for NAMES (owner 'system', key '1'): the caller has checked none exists. */
export async function createEntities(client: pg.PoolClient, names: string[]): Promise<number> {
  if (!names.length) return 0;
  const params = names.flatMap((n) => [n, SYSTEM, ENTITY_KEY]);
  await client.query(`INSERT INTO quotaholder_app_entity (entity, owner_id, key) VALUES ${valuesList(names.length, 3)}`, params);
  return names.length;
}

export interface SetQuotaRow {
  entity: string;
  resource: string;
  limits: Limits;
}

export interface SetQuotaResult {
  policiesInserted: number;
  holdingsInserted: number;
  holdingsUpdated: number;
  policiesDeleted: number;
}

/**
 * set_quota for ROWS. CURRENT holds the holdings of those entities, read in this transaction
 * FOR UPDATE. Replaced holdings and deleted policies are handed to KEEP first.
 */
export async function setQuota(client: pg.PoolClient, rows: SetQuotaRow[], current: Map<string, Map<string, Holding>>,
  keep: (images: BeforeImage[]) => void): Promise<SetQuotaResult> {
  const result: SetQuotaResult = { policiesInserted: 0, holdingsInserted: 0, holdingsUpdated: 0, policiesDeleted: 0 };
  if (!rows.length) return result;
  const named = rows.map((r) => ({ ...r, policy: newPolicyName(), old: current.get(r.entity)?.get(r.resource) }));
  for (let i = 0; i < named.length; i += 1000) {
    const part = named.slice(i, i + 1000);
    await client.query(
      `INSERT INTO quotaholder_app_policy (policy, quantity, capacity, import_limit, export_limit) VALUES ${valuesList(part.length, 5, ['varchar', 'numeric', 'numeric', 'numeric', 'numeric'])}`,
      part.flatMap((r) => [r.policy, r.limits.quantity.toString(), r.limits.capacity.toString(), r.limits.importLimit.toString(), r.limits.exportLimit.toString()]));
  }
  result.policiesInserted = named.length;

  const updates = named.filter((r) => r.old);
  const inserts = named.filter((r) => !r.old);
  if (updates.length) {
    keep(updates.map((r) => ({
      service: 'astakos' as const, table: 'quotaholder_app_holding', pk: r.old!.id, action: 'update' as const,
      row: { id: r.old!.id, entity_id: r.entity, resource: r.resource, policy_id: r.old!.policy, flags: r.old!.flags.toString() },
    })));
    for (let i = 0; i < updates.length; i += 1000) {
      const part = updates.slice(i, i + 1000);
      await client.query(
        `UPDATE quotaholder_app_holding h SET policy_id = v.policy, flags = 0
           FROM (VALUES ${valuesList(part.length, 2, ['integer', 'varchar'])}) AS v(id, policy) WHERE h.id = v.id`,
        part.flatMap((r) => [r.old!.id, r.policy]));
    }
    result.holdingsUpdated = updates.length;
  }
  for (let i = 0; i < inserts.length; i += 1000) {
    const part = inserts.slice(i, i + 1000);
    await client.query(
      `INSERT INTO quotaholder_app_holding (entity_id, resource, policy_id, flags, imported, importing, exported, exporting,
              returned, "returning", released, releasing)
       SELECT v.e, v.r, v.p, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM (VALUES ${valuesList(part.length, 3, ['varchar', 'varchar', 'varchar'])}) AS v(e, r, p)`,
      part.flatMap((r) => [r.entity, r.resource, r.policy]));
  }
  result.holdingsInserted = inserts.length;

  const replaced = [...new Set(updates.map((r) => r.old!.policy))];
  if (replaced.length) {
    const orphans = await client.query(
      `SELECT p.policy, p.quantity::text AS quantity, p.capacity::text AS capacity, p.import_limit::text AS import_limit,
              p.export_limit::text AS export_limit
         FROM quotaholder_app_policy p
        WHERE p.policy = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM quotaholder_app_holding h WHERE h.policy_id = p.policy)`, [replaced]);
    if (orphans.rows.length) {
      keep(orphans.rows.map((p) => ({ service: 'astakos' as const, table: 'quotaholder_app_policy', pk: p.policy, action: 'delete' as const, row: p })));
      await client.query('DELETE FROM quotaholder_app_policy WHERE policy = ANY($1::text[])', [orphans.rows.map((p) => p.policy)]);
    }
    result.policiesDeleted = orphans.rows.length;
  }
  return result;
}

/** reset_holding: ROWS' holdings get imported = importing = usage and the other six counters 0. */
export async function resetHoldings(client: pg.PoolClient, rows: { holding: Holding; usage: bigint }[],
  keep: (images: BeforeImage[]) => void): Promise<number> {
  if (!rows.length) return 0;
  keep(rows.map(({ holding: h }) => ({
    service: 'astakos' as const, table: 'quotaholder_app_holding', pk: h.id, action: 'update' as const,
    row: { id: h.id, entity_id: h.entity, resource: h.resource, ...countersJson(h.counters) },
  })));
  for (let i = 0; i < rows.length; i += 1000) {
    const part = rows.slice(i, i + 1000);
    await client.query(
      `UPDATE quotaholder_app_holding h SET imported = v.u, importing = v.u, exported = 0, exporting = 0,
              returned = 0, "returning" = 0, released = 0, releasing = 0
         FROM (VALUES ${valuesList(part.length, 2, ['integer', 'numeric'])}) AS v(id, u) WHERE h.id = v.id`,
      part.flatMap((r) => [r.holding.id, r.usage.toString()]));
  }
  return rows.length;
}

export { limitsJson };
