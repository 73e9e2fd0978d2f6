// Step 8: the quotaholder learns each email-verified user's effective limits, exactly as
// `astakos-quota --sync` writes them (astakos.md §4.4, §6.3, SQL equivalent §6.5): an entity
// per user (owner 'system', key '1'), and for every resource of every user whose holdings
// differ, a fresh policy with (initial quota or resource default) + active project grants.
// `plan` is `--verify` without upstream's side effects: it reads and writes nothing.
//
// Users are handled in uuid order, a chunk per exactly-once batch. The report lists every
// user whose limit of a resource that existed in 0.12 (VMs, private networks, pithos space)
// differs from the limit 0.12 gave them.
import type pg from 'pg';
import type { Db } from '../../db/connection.js';
import { analyzeAfterBatch, analyzeTables } from '../../db/statistics.js';
import { CheckFailed } from '../../errors.js';
import type { ApplyResult, BeforeImage, Check, Findings, Plan, StepContext, StepModule, TableChange } from '../step.js';
import { batchName, loadResources, plural, requireAstakos013, sample, takeQuotaLock, USERS_PER_BATCH, type Q, type ResourceRow } from './common.js';
import { big, fmtLimit, NUMERIC_MAX, parseLong, QH_INF } from './numbers.js';
import {
  createEntities, ENTITY_KEY, readEntities, readHoldings, sameLimits, setQuota, SYSTEM, type Holding, type Limits, type SetQuotaRow,
} from './qh.js';
import { cycladesLimit012, readBaseline, type Baseline } from './settings.js';
import { pithosQuotasOf } from './sources.js';

export interface UserRow {
  uid: number;
  uuid: string;
  email: string;
}

/** What step 8 fills, and every later chunk reads back. */
const QUOTAHOLDER_TABLES = ['quotaholder_app_entity', 'quotaholder_app_holding', 'quotaholder_app_policy'];

/** The findings kind of the users whose limits changed relative to 0.12 (every one; the report lists them). */
export const CHANGED_012 = 'limits changed relative to 0.12';
/** How many of them the step's summary shows. */
const CHANGED_IN_SUMMARY = 20;

/** Resources that existed (under other names) in 0.12, whose per-user changes the report lists. */
export const RESOURCES_012 = ['cyclades.vm', 'cyclades.network.private', 'pithos+.diskspace'] as const;

/** The next chunk of email-verified users after AFTER, in uuid order. */
export async function verifiedUsersAfter(q: Q, after: string, limit: number): Promise<UserRow[]> {
  const r = await q.query<{ uid: number; uuid: string; email: string }>(
    `SELECT a.user_ptr_id AS uid, a.uuid, u.email FROM im_astakosuser a JOIN auth_user u ON u.id = a.user_ptr_id
      WHERE a.email_verified AND a.uuid IS NOT NULL AND a.uuid > $1 ORDER BY a.uuid LIMIT $2`, [after, limit]);
  return r.rows;
}

/** Every chunk of email-verified users (keyset paging, so writes in between do not disturb it). */
export async function* verifiedUsers(q: Q, size = USERS_PER_BATCH): AsyncGenerator<UserRow[]> {
  let after = '';
  for (;;) {
    const rows = await verifiedUsersAfter(q, after, size);
    if (!rows.length) return;
    yield rows;
    after = rows[rows.length - 1]!.uuid;
  }
}

export const countVerified = async (q: Q): Promise<number> =>
  Number((await q.query<{ n: string }>('SELECT count(*) AS n FROM im_astakosuser WHERE email_verified AND uuid IS NOT NULL')).rows[0]!.n);

/**
 * §4.4 for USERS: base (initial quota row, else quantity 0 / capacity uplimit / limits 10^32)
 * plus the sums of the member grants of every active membership's synced application.
 */
export async function effectiveLimits(q: Q, users: UserRow[], resources: Map<string, ResourceRow>):
  Promise<{ limits: Map<string, Map<string, Limits>>; problems: Map<string, string> }> {
  const limits = new Map<string, Map<string, Limits>>();
  const problems = new Map<string, string>();
  if (!users.length || !resources.size) return { limits, problems };
  const byId = new Map([...resources.values()].map((r) => [r.id, r.fullName]));
  const uuids = users.map((u) => u.uuid);
  const r = await q.query(
    `WITH u AS (SELECT user_ptr_id AS uid, uuid FROM im_astakosuser WHERE uuid = ANY($1::text[])),
          g AS (SELECT m.person_id AS uid, gr.resource_id AS rid, sum(gr.member_capacity) AS c,
                       sum(gr.member_import_limit) AS il, sum(gr.member_export_limit) AS el
                  FROM im_projectmembership m
                  JOIN im_projectresourcegrant gr ON gr.project_application_id = m.application_id
                 WHERE m.is_active AND m.person_id IN (SELECT uid FROM u)
                 GROUP BY m.person_id, gr.resource_id)
     SELECT u.uuid, r.id AS rid,
            coalesce(q.quantity, 0)::text AS quantity,
            (coalesce(q.capacity, r.uplimit) + coalesce(g.c, 0))::text AS capacity,
            (coalesce(q.import_limit, $2::numeric) + coalesce(g.il, 0))::text AS import_limit,
            (coalesce(q.export_limit, $2::numeric) + coalesce(g.el, 0))::text AS export_limit
       FROM u CROSS JOIN im_resource r
       LEFT JOIN im_astakosuserquota q ON q.user_id = u.uid AND q.resource_id = r.id
       LEFT JOIN g ON g.uid = u.uid AND g.rid = r.id`, [uuids, QH_INF.toString()]);
  for (const row of r.rows) {
    const resource = byId.get(row.rid);
    if (!resource) continue;
    const l: Limits = { quantity: big(row.quantity), capacity: big(row.capacity), importLimit: big(row.import_limit), exportLimit: big(row.export_limit) };
    const neg = l.capacity < 0n || l.importLimit < 0n || l.exportLimit < 0n;
    const huge = [l.quantity, l.capacity, l.importLimit, l.exportLimit].some((v) => v > NUMERIC_MAX || v < -NUMERIC_MAX);
    if (neg) problems.set(row.uuid, `negative effective limit for ${resource} (capacity ${l.capacity}, import ${l.importLimit}, export ${l.exportLimit}): the quotaholder refuses it, and upstream's whole sync would fail`);
    else if (huge) problems.set(row.uuid, `effective limit for ${resource} does not fit numeric(38,0)`);
    let m = limits.get(row.uuid);
    if (!m) limits.set(row.uuid, (m = new Map()));
    m.set(resource, l);
  }
  const broken = await q.query<{ uuid: string }>(
    `SELECT DISTINCT a.uuid FROM im_projectmembership m JOIN im_astakosuser a ON a.user_ptr_id = m.person_id
      WHERE m.is_active AND m.application_id IS NULL AND a.uuid = ANY($1::text[])`, [uuids]);
  for (const b of broken.rows) {
    problems.set(b.uuid, 'an active project membership has no synced application (astakos stops the whole sync with an AssertionError)');
  }
  return { limits, problems };
}

export interface ChunkDiff {
  users: number;
  /** Verified users with no entity yet (created). */
  toCreate: string[];
  /** Users whose holdings differ from their effective limits (all their resources are set). */
  differing: string[];
  rows: SetQuotaRow[];
  /** Holdings that will be created / pointed at a new policy. */
  newHoldings: number;
  replacedHoldings: number;
  /** Users that cannot be synced, and why. */
  problems: { uuid: string; email: string; reason: string }[];
  current: Map<string, Map<string, Holding>>;
  /** The effective limits computed (uuid → resource → limits). */
  limits: Map<string, Map<string, Limits>>;
}

/**
 * What `--sync` would write for USERS (read inside the batch's transaction when CLIENT is
 * one). ONLY restricts the comparison to some resources (used by the usage steps' checks).
 */
export async function diffChunk(q: Q, users: UserRow[], resources: Map<string, ResourceRow>, opts: { forUpdate?: boolean; only?: readonly string[] } = {}): Promise<ChunkDiff> {
  const { limits, problems } = await effectiveLimits(q, users, resources);
  const out: ChunkDiff = { users: users.length, toCreate: [], differing: [], rows: [], newHoldings: 0, replacedHoldings: 0, problems: [], current: new Map(), limits };
  const entities = await readEntities(q, users.map((u) => u.uuid));
  out.current = await readHoldings(q, users.map((u) => u.uuid), [...resources.keys()], opts.forUpdate);
  const compared = opts.only ? [...resources.keys()].filter((r) => opts.only!.includes(r)) : [...resources.keys()];
  for (const u of users) {
    const problem = problems.get(u.uuid);
    if (problem) {
      out.problems.push({ uuid: u.uuid, email: u.email, reason: problem });
      continue;
    }
    const e = entities.get(u.uuid);
    if (e && e.key !== ENTITY_KEY) {
      out.problems.push({ uuid: u.uuid, email: u.email, reason: `quotaholder entity ${u.uuid} exists with another key: astakos cannot use it (upstream rolls back the whole sync)` });
      continue;
    }
    const want = limits.get(u.uuid) ?? new Map<string, Limits>();
    const have = out.current.get(u.uuid);
    const differs = !e || compared.some((r) => !sameLimits(have?.get(r)?.limits, want.get(r)!));
    if (!e) out.toCreate.push(u.uuid);
    if (!differs) continue;
    out.differing.push(u.uuid);
    for (const r of resources.keys()) {
      const l = want.get(r);
      if (!l) continue;
      out.rows.push({ entity: u.uuid, resource: r, limits: l });
      if (have?.get(r)) out.replacedHoldings++;
      else out.newHoldings++;
    }
  }
  return out;
}

/** The 'system' entity the quotaholder fixture creates (every user entity is owned by it). */
export async function requireSystemEntity(q: Q): Promise<void> {
  const e = (await readEntities(q, [SYSTEM])).get(SYSTEM);
  if (!e) {
    throw new CheckFailed('the quotaholder has no "system" entity (the fixture syncdb loads), so no user can be registered',
      'run step 5 again (it creates it), or snf-manage syncdb on the astakos host');
  }
}

// ------------------------------------------------------------------ changes relative to 0.12

interface Changes012 {
  baseline: Baseline;
  pithos?: Db;
  /** Why the pithos comparison is missing. */
  pithosNote?: string;
}

async function changes012Context(ctx: StepContext): Promise<Changes012> {
  const baseline = readBaseline(ctx.config);
  try {
    return { baseline, pithos: await ctx.db('pithos') };
  } catch (err) {
    return { baseline, pithosNote: `pithos limits not compared: ${(err as Error).message}` };
  }
}

/** 0.12's pithos limit of an account's policy value: quota ≤ 0 was not enforced (unlimited). */
export function pithosLimit012(value: string | undefined, dflt: bigint): bigint | undefined {
  if (value === undefined) return dflt;
  const v = parseLong(value);
  if (v === undefined) return undefined;
  return v <= 0n ? QH_INF : v;
}

/** One line per user of CHUNK whose 0.13 limit of a 0.12 resource differs from their 0.12 limit. */
async function changedLines(c: Changes012, users: UserRow[], limits: Map<string, Map<string, Limits>>): Promise<string[]> {
  let policies = new Map<string, string>();
  if (c.pithos) policies = await pithosQuotasOf(c.pithos.pool, [...users.map((u) => u.uuid), ...users.map((u) => u.email)]);
  const out: string[] = [];
  for (const u of users) {
    const parts: string[] = [];
    const mine = limits.get(u.uuid);
    if (!mine) continue;
    for (const r of RESOURCES_012) {
      const now = mine.get(r)?.capacity;
      if (now === undefined) continue;
      let before: bigint | undefined;
      if (r === 'pithos+.diskspace') {
        if (!c.pithos) continue;
        before = pithosLimit012(policies.get(u.uuid) ?? policies.get(u.email), c.baseline.pithos.value);
      } else before = cycladesLimit012(c.baseline, r, u);
      const norm = (v: bigint) => (v >= QH_INF ? QH_INF : v);
      if (before === undefined || norm(before) === norm(now)) continue;
      parts.push(`${r} ${fmtLimit(r, before)} → ${fmtLimit(r, now)}`);
    }
    if (parts.length) out.push(`${u.uuid} (${u.email}): ${parts.join('; ')}`);
  }
  return out;
}

// ------------------------------------------------------------------ the step

export interface SyncFindings {
  verified: number;
  resources: string[];
  notRegistered: number;
  differing: number;
  newHoldings: number;
  replacedHoldings: number;
  problems: { uuid: string; email: string; reason: string }[];
  samples: { notRegistered: string[]; differing: string[] };
}

async function scan(ctx: StepContext, astakos: Db, resources: Map<string, ResourceRow>, only?: readonly string[]): Promise<SyncFindings> {
  const f: SyncFindings = {
    verified: 0, resources: [...resources.keys()], notRegistered: 0, differing: 0, newHoldings: 0, replacedHoldings: 0, problems: [],
    samples: { notRegistered: [], differing: [] },
  };
  const total = await countVerified(astakos.pool);
  for await (const users of verifiedUsers(astakos.pool)) {
    const d = await diffChunk(astakos.pool, users, resources, { only });
    f.verified += users.length;
    f.notRegistered += d.toCreate.length;
    f.differing += d.differing.length;
    f.newHoldings += d.newHoldings;
    f.replacedHoldings += d.replacedHoldings;
    f.problems.push(...d.problems);
    if (f.samples.notRegistered.length < 20) f.samples.notRegistered.push(...d.toCreate.slice(0, 20 - f.samples.notRegistered.length));
    if (f.samples.differing.length < 20) f.samples.differing.push(...d.differing.slice(0, 20 - f.samples.differing.length));
    ctx.progress({ table: 'im_astakosuser', unit: 'users', done: f.verified, total });
  }
  return f;
}

async function setup(ctx: StepContext): Promise<{ astakos: Db; resources: Map<string, ResourceRow> }> {
  const astakos = await ctx.db('astakos');
  await requireAstakos013(astakos, ctx.step);
  const resources = await loadResources(astakos.pool);
  return { astakos, resources };
}

/** The limits part of the checks (step 8, and again in 9.1 / 9.2 for their resources). */
export async function limitChecks(ctx: StepContext, only?: readonly string[]): Promise<Check[]> {
  const { astakos, resources } = await setup(ctx);
  const f = await scan(ctx, astakos, resources, only);
  const what = only ? `${only.filter((r) => resources.has(r)).join(', ')} limits` : 'holdings';
  return [
    {
      label: `every email-verified user is a quotaholder entity (${f.verified})`,
      where: 'astakos quotaholder_app_entity',
      ok: f.notRegistered === 0, detail: f.notRegistered ? `${f.notRegistered} missing: ${sample(f.samples.notRegistered)}` : 'yes',
    },
    {
      label: `every verified user's ${what} equal the effective limits (initial quota or default + project grants)`,
      where: 'astakos quotaholder_app_holding / quotaholder_app_policy',
      ok: f.differing === 0, detail: f.differing ? `${f.differing} differ: ${sample(f.samples.differing)}` : 'yes',
    },
    {
      label: 'no verified user left out of the sync',
      ok: f.problems.length === 0, detail: f.problems.length ? sample(f.problems.map((p) => `${p.uuid} (${p.email}): ${p.reason}`)) : 'none',
    },
  ];
}

export const syncQuota: StepModule<SyncFindings, SyncFindings> = {
  async inspect(ctx): Promise<Findings<SyncFindings>> {
    const { astakos, resources } = await setup(ctx);
    const f = await scan(ctx, astakos, resources);
    const summary = [
      `${f.verified} email-verified users, ${f.resources.length} resources (${f.resources.join(', ')})`,
      `users not registered in the quotaholder: ${f.notRegistered}${f.notRegistered ? ` (${sample(f.samples.notRegistered, 5)})` : ''}`,
      `quotas differ for ${plural(f.differing, 'user')}`,
      ...f.problems.map((p) => `cannot sync ${p.uuid} (${p.email}): ${p.reason}`),
      'unverified users are not synced (astakos registers them when they verify their email)',
    ];
    if (!resources.size) summary.push('no resources are registered: run step 5 first');
    const pending = await astakos.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM im_projectmembership WHERE is_pending OR pending_serial IS NOT NULL');
    if (pending.rows[0]!.n !== '0') {
      summary.push(`${pending.rows[0]!.n} project membership(s) wait for a project sync: astakos finishes those itself (query_serials / ack_serials); the limits here use each membership's synced application, as --sync does`);
    }
    return { summary, data: f };
  },

  plan(findings): Plan<SyncFindings> {
    const f = findings.data!;
    const changes: TableChange[] = [];
    if (f.notRegistered) changes.push({ service: 'astakos', table: 'quotaholder_app_entity', action: 'insert', rows: f.notRegistered });
    const policies = f.newHoldings + f.replacedHoldings;
    if (policies) changes.push({ service: 'astakos', table: 'quotaholder_app_policy', action: 'insert', rows: policies });
    if (f.newHoldings) changes.push({ service: 'astakos', table: 'quotaholder_app_holding', action: 'insert', rows: f.newHoldings });
    if (f.replacedHoldings) {
      changes.push({ service: 'astakos', table: 'quotaholder_app_holding', action: 'update', rows: f.replacedHoldings });
      changes.push({ service: 'astakos', table: 'quotaholder_app_policy', action: 'delete', rows: f.replacedHoldings });
    }
    return {
      summary: f.differing
        ? [`sync ${plural(f.differing, 'user')}: ${f.notRegistered} new entities, ${policies} policies (${f.newHoldings} new holdings, ${f.replacedHoldings} re-pointed)`]
        : ['every verified user is in sync; nothing to write'],
      changes,
      data: f,
    };
  },

  async apply(ctx): Promise<ApplyResult> {
    const { astakos, resources } = await setup(ctx);
    if (!resources.size) throw new CheckFailed('no resources are registered in astakos', 'run step 5 first');
    await requireSystemEntity(astakos.pool);
    const c012 = await changes012Context(ctx);
    const total = await countVerified(astakos.pool);
    let done = 0;
    let synced = 0;
    let created = 0;
    let written = 0;
    let batches = 0;
    const problems: string[] = [];
    // every changed user goes to the state file a chunk at a time; the summary keeps the first few
    ctx.state.putFindings(ctx.step, CHANGED_012, []);
    const changed: string[] = [];
    let changedCount = 0;
    for await (const users of verifiedUsers(astakos.pool)) {
      if (ctx.stopRequested()) {
        return { summary: [`stopped after ${done} of ${total} users (${synced} synced); run the step again to continue`], rows: written, stopped: true };
      }
      const d = await diffChunk(astakos.pool, users, resources);
      for (const p of d.problems) problems.push(`not synced: ${p.uuid} (${p.email}): ${p.reason}`);
      if (d.toCreate.length || d.rows.length) {
        const key = batchName('sync', users[0]!.uuid, users[users.length - 1]!.uuid,
          { create: d.toCreate, set: d.rows.map((r) => [r.entity, r.resource, r.limits.quantity, r.limits.capacity, r.limits.importLimit, r.limits.exportLimit]) });
        const res = await ctx.batch('astakos', key, (client: pg.PoolClient, keep: (images: BeforeImage[]) => void) =>
          syncChunk(client, users, resources, keep).then((n) => {
            created += n.created;
            return n.rows;
          }));
        if (!res.skipped) {
          batches++;
          written += res.rows;
          synced += d.differing.length;
          // the quotaholder tables grow from nearly nothing: later chunks need plans for their real size
          if (analyzeAfterBatch(batches)) await analyzeTables(astakos.pool, QUOTAHOLDER_TABLES);
        }
      }
      const lines = await changedLines(c012, users, d.limits);
      ctx.state.addFindings(ctx.step, CHANGED_012, lines.map((line, i) => ({ key: String(changedCount + i), data: line })));
      changedCount += lines.length;
      changed.push(...lines.slice(0, CHANGED_IN_SUMMARY - changed.length));
      done += users.length;
      ctx.progress({ table: 'quotaholder_app_holding', done, total, batch: batches });
    }
    for (const p of problems) ctx.log('warn', p);
    const b = c012.baseline;
    return {
      summary: [
        synced ? `synced ${plural(synced, 'user')} of ${total} email-verified (${created} new entities) in ${plural(batches, 'batch', 'batches')}`
          : `all ${total} email-verified users were already in sync; nothing changed`,
        ...problems,
        `0.12 limits compared: VMs ${b.cyclades.maxVms.value} (${b.cyclades.maxVms.source}), networks ${b.cyclades.maxNetworks.value} (${b.cyclades.maxNetworks.source}), `
          + `pithos ${fmtLimit('pithos+.diskspace', b.pithos.value)} (${b.pithos.source}), plus per-user overrides`,
        ...(c012.pithosNote ? [c012.pithosNote] : []),
        !changedCount ? 'no user\'s VM, network or pithos limit changed relative to 0.12'
          : changedCount > changed.length ? `${plural(changedCount, 'user')} whose limits changed relative to 0.12 (the first ${changed.length}; snf-upgrade report lists all):`
            : `${plural(changedCount, 'user')} whose limits changed relative to 0.12:`,
        ...changed.map((l) => `  ${l}`),
      ],
      rows: written,
    };
  },

  async verify(ctx): Promise<Check[]> {
    return limitChecks(ctx);
  },
};

/** One batch of --sync: entities for new users, then set_quota for every resource of each differing user. */
async function syncChunk(client: pg.PoolClient, users: UserRow[], resources: Map<string, ResourceRow>,
  keep: (images: BeforeImage[]) => void): Promise<{ rows: number; created: number }> {
  await takeQuotaLock(client);
  const d = await diffChunk(client, users, resources, { forUpdate: true });
  const created = await createEntities(client, d.toCreate);
  const r = await setQuota(client, d.rows, d.current, keep);
  return { rows: created + r.policiesInserted + r.holdingsInserted + r.holdingsUpdated + r.policiesDeleted, created };
}
