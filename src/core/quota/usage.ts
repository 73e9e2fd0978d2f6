// Steps 9.1 and 9.2: the quotaholder learns current usage, as `pithos-usage --reset` and
// `cyclades-reset-usage` send it through reset_holding (astakos.md §7.6, cyclades.md §4,
// pithos.md §5): for each owner's existing holding, imported = importing = usage and the
// other six counters 0. Unlike upstream, nothing is dropped silently: every owner or
// resource whose usage cannot be recorded (not an astakos uuid, not email-verified, no
// entity or holding, resource not registered) is reported.
//
// Two passes: owners the service database lists (their usage), then holdings of verified
// users the service no longer lists whose counters are not zero (usage 0).
import type pg from 'pg';
import type { Db } from '../../db/connection.js';
import { analyzeTables } from '../../db/statistics.js';
import { CheckFailed } from '../../errors.js';
import type { ApplyResult, BeforeImage, Check, Findings, Plan, StepContext, StepModule, TableChange } from '../step.js';
import { batchName, loadResources, plural, regroup, requireAstakos013, sample, takeQuotaLock, USERS_PER_BATCH, type Q } from './common.js';
import { fmtUsage } from './numbers.js';
import { ENTITY_KEY, readEntities, readHoldings, resetCounters, resetHoldings, sameCounters, type Holding } from './qh.js';
import { CYCLADES_RESOURCES, cycladesOwnersOf, cycladesUsage, PITHOS_RESOURCES, pithosAccountsOf, pithosUsage, type OwnerUsage } from './sources.js';

interface UsageKind {
  service: 'pithos' | 'cyclades';
  resources: readonly string[];
  /** "account" (pithos) or "owner" (cyclades). */
  noun: string;
  stream(pool: pg.Pool): AsyncGenerator<OwnerUsage[]>;
  /** Which of OWNERS the stream lists (pass 2 needs only that, not their usage). */
  listed(pool: pg.Pool, owners: string[]): Promise<Set<string>>;
  upstream: string;
}

export interface Unset {
  owner: string;
  resource?: string;
  usage: string;
  reason: string;
}

interface UsageDiff {
  changes: { holding: Holding; usage: bigint }[];
  unset: Unset[];
  /** Owners that could not be matched but have no usage at all (nothing lost). */
  idle: number;
  /** Per unregistered resource: owners with usage and the total. */
  unregistered: Map<string, { owners: number; total: bigint }>;
  matched: number;
}

const emptyDiff = (): UsageDiff => ({ changes: [], unset: [], idle: 0, unregistered: new Map(), matched: 0 });

function describeUsage(kind: UsageKind, o: OwnerUsage): string {
  return kind.resources.map((r) => `${r.slice(r.indexOf('.') + 1)} ${fmtUsage(r, o.usage.get(r) ?? 0n)}`).join(', ');
}

/** What reset_holding would change for OWNERS (their usage from the service database). */
async function diffOwners(q: Q, kind: UsageKind, owners: OwnerUsage[], registered: Set<string>, forUpdate = false): Promise<UsageDiff> {
  const out = emptyDiff();
  const ids = owners.map((o) => o.owner);
  const users = new Map<string, boolean>();
  if (ids.length) {
    const r = await q.query<{ uuid: string; email_verified: boolean }>(
      'SELECT uuid, email_verified FROM im_astakosuser WHERE uuid = ANY($1::text[])', [ids]);
    for (const row of r.rows) users.set(row.uuid, row.email_verified);
  }
  const entities = await readEntities(q, ids.filter((id) => users.get(id)));
  const holdings = await readHoldings(q, [...entities.keys()], [...kind.resources], forUpdate);
  for (const o of owners) {
    const busy = [...o.usage.values()].some((v) => v !== 0n);
    const at = o.where ? ` (${o.where})` : '';
    const unset = (reason: string) => {
      if (busy) out.unset.push({ owner: o.owner + at, usage: describeUsage(kind, o), reason });
      else out.idle++;
    };
    const verified = users.get(o.owner);
    if (verified === undefined) {
      unset(o.owner.includes('@') ? 'still named by email: not an astakos uuid (step 6.3 / 6.4 left it unresolved)' : 'not the uuid of any astakos user');
      continue;
    }
    if (!verified) {
      unset('the astakos user is not email-verified, so the quotaholder has no entity for it (astakos registers users when they verify; run this step again then)');
      continue;
    }
    const e = entities.get(o.owner);
    if (!e) {
      unset('no quotaholder entity: run step 8 first');
      continue;
    }
    if (e.key !== ENTITY_KEY) {
      unset(`the quotaholder entity has key ${JSON.stringify(e.key)}, not "1"`);
      continue;
    }
    out.matched++;
    for (const r of kind.resources) {
      const usage = o.usage.get(r) ?? 0n;
      if (!registered.has(r)) {
        if (usage !== 0n) {
          const u = out.unregistered.get(r) ?? { owners: 0, total: 0n };
          u.owners++;
          u.total += usage;
          out.unregistered.set(r, u);
        }
        continue;
      }
      const h = holdings.get(o.owner)?.get(r);
      if (!h) {
        if (usage !== 0n) out.unset.push({ owner: o.owner + at, resource: r, usage: fmtUsage(r, usage), reason: 'no holding for it: run step 8 first' });
        continue;
      }
      if (!sameCounters(h.counters, resetCounters(usage))) out.changes.push({ holding: h, usage });
    }
  }
  return out;
}

/**
 * Astakos users (after AFTER, in uuid order) with a holding of KIND's resources whose counters
 * are not all zero. A keyset walk of the uuid index with a probe of each user's holdings: every
 * page costs what it reads, instead of sorting every remaining holding again. The repeated
 * bound on h.entity_id starts the holdings side at AFTER too (a merge join otherwise reads
 * them from the first uuid on every page).
 */
async function busyHoldersAfter(q: Q, kind: UsageKind, after: string, limit: number): Promise<string[]> {
  const r = await q.query<{ entity_id: string }>(
    `SELECT a.uuid AS entity_id FROM im_astakosuser a
      WHERE a.uuid > $2
        AND EXISTS (SELECT 1 FROM quotaholder_app_holding h
                     WHERE h.entity_id = a.uuid AND h.entity_id > $2 AND h.resource = ANY($1::text[])
                       AND (h.imported <> 0 OR h.importing <> 0 OR h.exported <> 0 OR h.exporting <> 0
                            OR h.returned <> 0 OR h."returning" <> 0 OR h.released <> 0 OR h.releasing <> 0))
      ORDER BY a.uuid LIMIT $3`, [[...kind.resources], after, limit]);
  return r.rows.map((x) => x.entity_id);
}

/** Holdings of ENTITIES the service database does not list: their usage is 0. */
async function diffIdle(q: Q, kind: UsageKind, service: pg.Pool, entities: string[], forUpdate = false): Promise<UsageDiff> {
  const out = emptyDiff();
  const listed = await kind.listed(service, entities);
  const idle = entities.filter((e) => !listed.has(e));
  const holdings = await readHoldings(q, idle, [...kind.resources], forUpdate);
  for (const [, byRes] of holdings) {
    for (const h of byRes.values()) if (!sameCounters(h.counters, resetCounters(0n))) out.changes.push({ holding: h, usage: 0n });
  }
  return out;
}

/** Steps 9.1 / 9.2's findings.data (and plan.data). */
export interface UsageFindings {
  owners: number;
  matched: number;
  holdings: number;
  zeroed: number;
  unset: Unset[];
  idle: number;
  unregistered: { resource: string; owners: number; total: string }[];
}

function add(f: UsageFindings, d: UsageDiff, pass: 'listed' | 'idle'): void {
  if (pass === 'listed') f.holdings += d.changes.length;
  else f.zeroed += d.changes.length;
  f.matched += d.matched;
  f.unset.push(...d.unset);
  f.idle += d.idle;
  for (const [resource, u] of d.unregistered) {
    const seen = f.unregistered.find((x) => x.resource === resource);
    if (seen) {
      seen.owners += u.owners;
      seen.total = (BigInt(seen.total) + u.total).toString();
    } else f.unregistered.push({ resource, owners: u.owners, total: u.total.toString() });
  }
}

function reportLines(kind: UsageKind, f: UsageFindings): string[] {
  const lines: string[] = [];
  for (const u of f.unregistered) {
    lines.push(`not recorded: ${u.resource} is not registered in astakos, so usage of ${plural(u.owners, kind.noun)} (${fmtUsage(u.resource, BigInt(u.total))} in all) has nowhere to go (add it to ASTAKOS_SERVICES and run step 5)`);
  }
  for (const u of f.unset) lines.push(`not recorded: ${kind.noun} ${u.owner}${u.resource ? ` ${u.resource}` : ''} (usage ${u.usage}): ${u.reason}`);
  if (f.idle) lines.push(`${plural(f.idle, kind.noun)} without any usage match no quotaholder user (nothing lost)`);
  return lines;
}

function usageStep(kind: UsageKind): StepModule<UsageFindings, UsageFindings> {
  async function setup(ctx: StepContext): Promise<{ astakos: Db; service: Db; registered: Set<string> }> {
    const astakos = await ctx.db('astakos');
    await requireAstakos013(astakos, ctx.step);
    const service = await ctx.db(kind.service);
    const resources = await loadResources(astakos.pool);
    const registered = new Set(kind.resources.filter((r) => resources.has(r)));
    return { astakos, service, registered };
  }

  /** Both passes, read-only (inspect, verify) or writing one batch per chunk (apply). */
  async function run(ctx: StepContext, write: boolean): Promise<UsageFindings & { written: number; batches: number; stopped: boolean; differing: string[] }> {
    const { astakos, service, registered } = await setup(ctx);
    const f = { owners: 0, matched: 0, holdings: 0, zeroed: 0, unset: [] as Unset[], idle: 0, unregistered: [] as UsageFindings['unregistered'], written: 0, batches: 0, stopped: false, differing: [] as string[] };
    const note = (d: UsageDiff) => f.differing.push(...d.changes.slice(0, 20 - f.differing.length).map((c) => `#${c.holding.id} ${c.holding.entity} ${c.holding.resource}`));
    const commit = async (pass: string, first: string, last: string, d: UsageDiff, redo: (client: pg.PoolClient) => Promise<UsageDiff>) => {
      if (!write || !d.changes.length) return;
      const key = batchName(`usage ${kind.service} ${pass}`, first, last, d.changes.map((c) => [c.holding.id, c.usage]));
      const res = await ctx.batch('astakos', key, async (client: pg.PoolClient, keep: (images: BeforeImage[]) => void) => {
        await takeQuotaLock(client);
        const again = await redo(client);
        return resetHoldings(client, again.changes, keep);
      });
      f.written += res.rows;
      if (!res.skipped) f.batches++;
    };
    // pass 1: every owner the service lists
    for await (const owners of regroup(kind.stream(service.pool), USERS_PER_BATCH, (o) => o.owner)) {
      if (write && ctx.stopRequested()) return { ...f, stopped: true };
      const d = await diffOwners(astakos.pool, kind, owners, registered);
      f.owners += owners.length;
      add(f, d, 'listed');
      note(d);
      await commit('listed', owners[0]!.owner, owners[owners.length - 1]!.owner, d, (client) => diffOwners(client, kind, owners, registered, true));
      ctx.progress({ table: `${kind.service} ${kind.noun}s`, unit: `${kind.noun}s`, done: f.owners });
    }
    // pass 2: verified users with non-zero holdings the service does not list (pass 1 has just
    // made most counters non-zero: the walk below needs statistics that know it)
    if (f.batches) await analyzeTables(astakos.pool, ['quotaholder_app_holding']);
    let after = '';
    for (;;) {
      if (write && ctx.stopRequested()) return { ...f, stopped: true };
      const entities = await busyHoldersAfter(astakos.pool, kind, after, USERS_PER_BATCH);
      if (!entities.length) break;
      const d = await diffIdle(astakos.pool, kind, service.pool, entities);
      add(f, d, 'idle');
      note(d);
      await commit('idle', entities[0]!, entities[entities.length - 1]!, d, (client) => diffIdle(client, kind, service.pool, entities, true));
      after = entities[entities.length - 1]!;
    }
    return f;
  }

  return {
    async inspect(ctx): Promise<Findings<UsageFindings>> {
      const f = await run(ctx, false);
      const data: UsageFindings = { owners: f.owners, matched: f.matched, holdings: f.holdings, zeroed: f.zeroed, unset: f.unset, idle: f.idle, unregistered: f.unregistered };
      return {
        summary: [
          `${plural(f.owners, kind.noun)} in ${kind.service}; ${f.matched} match an email-verified astakos user with a quotaholder entity`,
          `holdings to reset: ${f.holdings} with the current usage, ${f.zeroed} back to 0 (users the ${kind.service} database no longer lists)`,
          ...reportLines(kind, data),
        ],
        data,
      };
    },

    plan(findings): Plan<UsageFindings> {
      const d = findings.data!;
      const rows = d.holdings + d.zeroed;
      const changes: TableChange[] = rows ? [{ service: 'astakos', table: 'quotaholder_app_holding', action: 'update', rows }] : [];
      return {
        summary: [rows ? `reset ${plural(rows, 'holding')} (${kind.upstream})` : 'every holding already holds the current usage; nothing to write',
          ...(d.unset.length || d.unregistered.length ? [`${plural(d.unset.length + d.unregistered.length, 'item')} cannot be recorded: see the findings`] : [])],
        changes,
        data: d,
      };
    },

    async apply(ctx): Promise<ApplyResult> {
      const f = await run(ctx, true);
      if (f.stopped) return { summary: [`stopped after ${plural(f.batches, 'batch', 'batches')} (${f.written} holdings reset); run the step again to continue`], rows: f.written, stopped: true };
      const lines = reportLines(kind, f);
      for (const l of lines.filter((x) => x.startsWith('not recorded'))) ctx.log('warn', `${ctx.step}: ${l}`);
      return {
        summary: [
          f.written ? `reset ${plural(f.written, 'holding')} in ${plural(f.batches, 'batch', 'batches')} (${kind.upstream})`
            : 'every holding already held the current usage; nothing changed',
          `${plural(f.owners, kind.noun)} in ${kind.service}, ${f.matched} recorded`,
          ...lines,
        ],
        rows: f.written,
      };
    },

    async verify(ctx): Promise<Check[]> {
      const { registered } = await setup(ctx);
      if (!registered.size) throw new CheckFailed(`none of ${kind.resources.join(', ')} is registered in astakos`, 'run step 5 first');
      const missing = kind.resources.filter((r) => !registered.has(r));
      const f = await run(ctx, false);
      const checks: Check[] = [
        {
          label: `every ${kind.service} usage of an email-verified user is in the quotaholder (${kind.resources.filter((r) => registered.has(r)).join(', ') || 'no resource registered'})`,
          ok: f.holdings + f.zeroed === 0, detail: f.holdings + f.zeroed ? `${f.holdings + f.zeroed} holdings differ: ${sample(f.differing)}` : 'yes',
          where: 'astakos quotaholder_app_holding',
        },
        {
          label: `usage that has nowhere to go is reported (${plural(f.unset.length, 'item')}${missing.length ? `; unregistered: ${missing.join(', ')}` : ''})`,
          ok: true, detail: f.unset.length ? sample(f.unset.map((u) => u.owner)) : 'none',
        },
      ];
      // (the limits are step 8's, which checked them; 9.1 / 9.2 write only the usage counters)
      return checks;
    },
  };
}

export const pithosUsageStep = usageStep({
  service: 'pithos', resources: PITHOS_RESOURCES, noun: 'account',
  stream: pithosUsage, listed: pithosAccountsOf, upstream: 'as snf-manage pithos-usage --reset would',
});

export const cycladesUsageStep = usageStep({
  service: 'cyclades', resources: CYCLADES_RESOURCES, noun: 'owner',
  stream: cycladesUsage, listed: cycladesOwnersOf, upstream: 'as snf-manage cyclades-reset-usage would',
});
