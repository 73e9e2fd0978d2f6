// Step 6.3: every cyclades owner identifier becomes its astakos uuid. Upstream's
// --migrate-users (cyclades.md §2.5) asks astakos over HTTP once per email and saves rows one
// by one in a single transaction, skips what it cannot map with a printed line, and leaves
// those rows behind. Here:
//   1. batch "uuid-map": a mapping table snf_upgrade_uuid_map(identifier, uuid) in the
//      cyclades database, filled from the distinct identifiers present × astakos
//      (username = lower(identifier), what user_catalogs matches) plus the operator's
//      hand mappings;
//   2. batches "delete:<identifier>": unknown identifiers the operator chose to delete;
//   3. batches "<table>:<lo>-<hi>": UPDATE … FROM the map, by primary-key ranges;
//   4. batch "drop-map": the mapping table goes (its journal row says the rewrite is over);
//   5. the settings dicts keyed by identifier, written beside the old files.
// Unknown identifiers are never left silently: each needs a decision (delete, keep, or an
// astakos uuid). Re-running changes nothing (the journal skips committed batches, and every
// batch's SQL only matches rows that still carry a mapped identifier).
import type pg from 'pg';
import { committedBatches } from '../../../db/journal.js';
import { EXIT, UserError } from '../../../errors.js';
import { AnswerError, answerName, exampleOf, objectEntries, type AnswerParser } from '../../answers.js';
import type { StateFile } from '../../../state/index.js';
import { byCodeUnits } from '../../dedup/fold.js';
import { pyLower } from '../../fold.js';
import type {
  Answers, ApplyResult, Check, Decisions, DecisionSource, Findings, Plan, StepContext, StepDecisions, StepModule, StepPromise, TableChange,
} from '../../step.js';
import { reachedRows } from '../../cascade.js';
import { insertPairs, requiredUuidMap, stepUuidMap, UUID_SHAPE, type UuidMap } from '../uuids.js';
import { deleteOwned, loadOwnerCascade, ownersReach } from './cascade.js';
import { describeOwned } from './duplicates.js';
import {
  astakosEmails, DISTINCT_IDENTIFIERS, eachIdentifier, isEmailish, OWNER_NOUN, ownedRows, OWNER_TABLES, resolve, totalOwned, unknownKind,
} from './identifiers.js';
import { planSettings, QUOTA_DEFAULTS, settingsKeys, settingsLeftovers, settingsSummary, writeSettings, type KeyResolver, type LimitQuestion } from './settings.js';
import { isLimitChoice, limitChoices, resolveLimitChoices, type LimitAnswers, type LimitChoice } from '../../limit-choice.js';
import type { MigrateInspection, MigratePlanData, TableCounts, UnknownAction, UnknownIdentifier } from './types.js';
import { changedWhileRunning } from '../../errors.js';

export const MAP_TABLE = 'snf_upgrade_uuid_map';
export const MAP_BATCH = 'uuid-map';
export const DROP_BATCH = 'drop-map';
export const DELETE_BATCH_PREFIX = 'delete:';
export const UNKNOWN_PREFIX = 'unknown:';

/** Rows of one primary-key range per batch (SNF_UPGRADE_REMAP_BATCH overrides it, for tests). */
export function rangeSize(): number {
  const env = Number(process.env.SNF_UPGRADE_REMAP_BATCH);
  return Number.isInteger(env) && env > 0 ? env : 50_000;
}

const LIST_LIMIT = 20;
const VERIFY_LIST = 1000;
const sample = (list: string[]): string => (list.length > LIST_LIMIT ? `${list.slice(0, LIST_LIMIT).join(', ')}, … (${list.length} in all)` : list.join(', '));

// ------------------------------------------------------------------ inspect

function suggestion(u: Omit<UnknownIdentifier, 'suggested' | 'reason'>): { suggested: UnknownAction; reason: string } {
  switch (u.kind) {
    case 'email': {
      const live = u.vms_live ? `; its ${u.vms_live} live VM(s) keep running in Ganeti: remove them there too` : '';
      return { suggested: 'delete', reason: `astakos has no account ${pyLower(u.id)}: after 0.13 these rows are invisible to everyone; the guide deletes them (--delete-user)${live}` };
    }
    case 'numeric':
      return { suggested: 'keep', reason: 'an old numeric user id (keys from before userdata 0003): no user can see it; upstream leaves it' };
    case 'uuid':
      return { suggested: 'keep', reason: 'uuid-shaped, but astakos has no such user; upstream leaves it' };
    default:
      return { suggested: 'keep', reason: 'not an email and not an astakos uuid; upstream skips it' };
  }
}

async function settingsResolver(ctx: StepContext, uuids: UuidMap, decisions: Map<string, UnknownAction>, limits: KeyResolver['limits']): Promise<KeyResolver | undefined> {
  const dir = ctx.config.cyclades.settings;
  if (!dir) return undefined;
  const keys = [...new Set(settingsKeys(dir).map(pyLower))];
  const emails = await astakosEmails((await ctx.db('astakos')).pool, keys);
  return { uuids, decisions, emails, limits };
}

// ------------------------------------------------------------------ per-user limits

export const LIMIT_PREFIX = 'limit:';

export const parseLimitChoices = limitChoices('{"VMS_USER_QUOTA/K.Lee@example.org": "larger"}',
  (k) => (k.includes('/') ? `${k.slice(0, k.indexOf('/'))}/${pyLower(k.slice(k.indexOf('/') + 1))}` : k));

/** Per limit question: stored, else answered (by its id or any of its keys), else as 0.12 when suggestions are accepted. */
const resolveLimits = (questions: LimitQuestion[], stored: Decisions, asker: Answers, step: string) =>
  resolveLimitChoices(questions, (q) => [q.id, ...q.entries.map((e) => `${q.setting}/${pyLower(e.key)}`)], LIMIT_PREFIX, stored,
    asker.answer(step, 'limits') as LimitAnswers | undefined, asker);

/** The stored limit decisions of STEP: question id → choice. */
function storedLimits(state: StateFile, step: string): Map<string, LimitChoice> {
  const out = new Map<string, LimitChoice>();
  for (const [key, d] of state.getDecisions(step)) if (key.startsWith(LIMIT_PREFIX) && isLimitChoice(d.value)) out.set(key.slice(LIMIT_PREFIX.length), d.value);
  return out;
}

/** What a limit question says on the screen and in the plan: who had which value, and what each choice gives. */
export function limitLine(q: LimitQuestion, choice?: LimitChoice): string {
  const had = q.entries.map((e) => `${e.key}: ${e.value}${e.applied ? ' (applied in 0.12)' : ' (never applied in 0.12)'}`).join(', ');
  const gives = (c: LimitChoice) => q.outcomes[c] ?? `the ${QUOTA_DEFAULTS[q.setting]} default`;
  const decided = choice ? `→ ${choice}: ${gives(choice)}` : `→ undecided: as-0.12 gives ${gives('as-0.12')}, larger gives ${gives('larger')}`;
  return `${q.setting} of ${q.email}: ${had} ${decided}`;
}

export async function inspectMigrate(ctx: StepContext, usersStep: string): Promise<Findings<MigrateInspection>> {
  const uuids = await requiredUuidMap(ctx, usersStep);
  const cyc = (await ctx.db('cyclades')).pool;
  const rows: TableCounts = { db_virtualmachine: 0, db_network: 0, userdata_publickeypair: 0 };
  const unknown: UnknownIdentifier[] = [];
  let mapped = 0;
  let alreadyUuid = 0;
  await eachIdentifier(cyc, (id, owned) => {
    if (uuids.isUuid(id)) { alreadyUuid++; return; }
    if (resolve(uuids, id) !== undefined) {
      mapped++;
      rows.db_virtualmachine += owned.vms_live + owned.vms_deleted;
      rows.db_network += owned.networks;
      rows.userdata_publickeypair += owned.keys;
      return;
    }
    const base = { id, kind: unknownKind(id), ...owned };
    unknown.push({ ...base, ...suggestion(base) });
  });
  unknown.sort((a, b) => byCodeUnits(a.id, b.id));
  const answered = answeredUnknown(ctx.asker, ctx.step);
  const stored = [...ctx.state.getDecisions(ctx.step).values()].map((d) => d.value);
  const candidates = [...answered.values(), ...stored].filter((v): v is string => typeof v === 'string' && UUID_SHAPE.test(v));
  const data: MigrateInspection = {
    mapped: { identifiers: mapped, rows }, alreadyUuid, unknown,
    reach: unknown.length ? await ownersReach(cyc, unknown.map((u) => u.id)) : [],
    handUuids: [...await existingUuids(ctx, [...new Set(candidates)])],
  };

  const summary = [
    `${mapped} email identifier(s) map to astakos uuids: ${rows.db_virtualmachine} VM, ${rows.db_network} network and ${rows.userdata_publickeypair} key row(s) to rewrite`,
  ];
  if (alreadyUuid) summary.push(`${alreadyUuid} identifier(s) already are astakos uuids (left alone)`);
  if (unknown.length) {
    const kinds = ['email', 'numeric', 'uuid', 'other'].map((k) => [k, unknown.filter((u) => u.kind === k).length] as const).filter(([, n]) => n);
    summary.push(`${unknown.length} identifier(s) astakos does not know (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')}): each needs delete, keep or a uuid`);
  }
  const current = resolveUnknown(unknown, ctx.state.getDecisions(ctx.step), ctx.asker, ctx.step, undefined, false).actions;
  // Previewed with the limits decided so far (stored, answered, or accepted; the rest as 0.12 would): the plan lists what is open.
  const decided = (q: LimitQuestion) => resolveLimits([q], ctx.state.getDecisions(ctx.step), ctx.asker, ctx.step).choices.get(q.id)?.choice;
  const resolver = await settingsResolver(ctx, uuids, decisionsByFold(new Map([...storedUnknownDecisions(ctx.state, ctx.step), ...current])), decided);
  if (resolver) {
    const s = planSettings(ctx.config.cyclades.settings!, resolver);
    data.settings = { dir: s.dir, files: s.files, changes: s.changes, problems: s.problems, limits: s.limits };
    summary.push(...settingsSummary(data.settings));
  } else {
    summary.push('no cyclades settings folder configured: convert VMS_USER_QUOTA, NETWORKS_USER_QUOTA, BACKEND_PER_USER and UI_SYSTEM_IMAGES_OWNERS keys by hand');
  }
  return { summary, data };
}

// ------------------------------------------------------------------ decisions

export interface UnknownResolution {
  /** identifier → action, for the decided ones. */
  actions: Map<string, UnknownAction>;
  sources: Map<string, DecisionSource>;
  open: string[];
  notes: string[];
}

const shapeOk = (v: unknown): v is string => typeof v === 'string' && (v === 'delete' || v === 'keep' || UUID_SHAPE.test(v));

/** The "unknown" answer: identifier → "delete", "keep" or an astakos uuid. */
export const parseUnknownOwners: AnswerParser<Map<string, UnknownAction>> = (value, at) => {
  const entries = objectEntries(value);
  if (!entries) {
    throw new AnswerError(`${answerName(at)} must map identifiers to "delete", "keep" or an astakos uuid`,
      exampleOf(at, '{"gone@example.org": "delete", "12": "keep"}'));
  }
  for (const [id, v] of entries) {
    if (!shapeOk(v)) throw new AnswerError(`${answerName(at, id)}: ${JSON.stringify(v)} is not "delete", "keep" or a uuid`, 'use "delete", "keep" or the uuid of an existing astakos user');
  }
  return entries as Map<string, UnknownAction>;
};

const answeredUnknown = (asker: Answers, step: string): Map<string, UnknownAction> =>
  (asker.answer(step, 'unknown') as Map<string, UnknownAction> | undefined) ?? new Map<string, UnknownAction>();

/**
 * Per unknown identifier: the stored decision, else the answers file's, else the suggestion
 * when suggestions are accepted. IS_UUID checks hand mappings (strict mode: a bad answer
 * is a usage error; lenient mode, for previews, skips it).
 */
export function resolveUnknown(unknown: UnknownIdentifier[], stored: Decisions, asker: Answers, step: string,
  isUuid: ((v: string) => boolean) | undefined, strict = true): UnknownResolution {
  const answers = answeredUnknown(asker, step);
  const actions = new Map<string, UnknownAction>();
  const sources = new Map<string, DecisionSource>();
  const open: string[] = [];
  const notes: string[] = [];
  const ids = new Set(unknown.map((u) => u.id));
  const bad = (id: string, v: unknown, why: string): void => {
    if (strict) {
      throw new UserError(`answers file: ${answerName({ step, key: 'unknown' }, id)}: ${JSON.stringify(v)} ${why}`,
        'use "delete", "keep" or the uuid of an existing astakos user', EXIT.usage);
    }
  };
  for (const u of unknown) {
    let action: UnknownAction | undefined;
    let source: DecisionSource | undefined;
    const kept = stored.get(UNKNOWN_PREFIX + u.id);
    if (kept && shapeOk(kept.value) && (!isUuid || kept.value === 'delete' || kept.value === 'keep' || isUuid(kept.value))) {
      action = kept.value;
      source = kept.source;
    } else if (kept) {
      notes.push(`${u.id}: the stored decision ${JSON.stringify(kept.value)} is no longer valid; decide again`);
    }
    if (answers.has(u.id)) {
      const v = answers.get(u.id);
      if (!shapeOk(v)) bad(u.id, v, 'is not "delete", "keep" or a uuid');
      else if (isUuid && v !== 'delete' && v !== 'keep' && !isUuid(v)) bad(u.id, v, 'is not the uuid of any astakos user');
      else if (action === undefined) { action = v; source = 'answers'; } else if (action !== v) {
        notes.push(`${u.id}: the answers file says ${v}, but the stored ${source} decision (${action}) stands`);
      }
    }
    if (action === undefined && asker.acceptSuggestions) { action = u.suggested; source = 'suggested'; }
    if (action === undefined) { open.push(u.id); continue; }
    actions.set(u.id, action);
    sources.set(u.id, source!);
  }
  const stray = [...answers.keys()].filter((k) => !ids.has(k));
  if (stray.length) notes.push(`answers file names ${stray.length} identifier(s) that are not unknown ones: ${sample(stray)}`);
  return { actions, sources, open, notes };
}

/** The 6.3 decisions that apply has stored, keyed by Python lower() of the identifier (for the settings keys). */
function decisionsByFold(actions: Map<string, UnknownAction>): Map<string, UnknownAction> {
  return new Map([...actions].map(([id, a]) => [pyLower(id), a]));
}

// ------------------------------------------------------------------ plan

async function existingUuids(ctx: StepContext, candidates: string[]): Promise<Set<string>> {
  if (!candidates.length) return new Set();
  const r = await (await ctx.db('astakos')).pool.query<{ uuid: string }>(
    'SELECT uuid FROM im_astakosuser WHERE uuid = ANY($1::text[])', [candidates]);
  return new Set(r.rows.map((x) => x.uuid));
}

export function planMigrate(findings: Findings<MigrateInspection>, decisions: StepDecisions): Plan<MigratePlanData> {
  const data = findings.data!;
  const real = new Set(data.handUuids);
  const { actions, sources, open, notes } = resolveUnknown(data.unknown, decisions.stored, decisions.answers, decisions.step, (v) => real.has(v));

  const byId = new Map(data.unknown.map((u) => [u.id, u]));
  const updates: TableCounts = { ...data.mapped.rows };
  const toDelete: string[] = [];
  const kept: string[] = [];
  const handMapped: string[] = [];
  for (const [id, a] of actions) {
    const u = byId.get(id)!;
    if (a === 'delete') toDelete.push(id);
    else if (a === 'keep') kept.push(id);
    else {
      handMapped.push(`${id} → ${a}`);
      updates.db_virtualmachine += u.vms_live + u.vms_deleted;
      updates.db_network += u.networks;
      updates.userdata_publickeypair += u.keys;
    }
  }
  const changes: TableChange[] = [];
  if (toDelete.length) {
    for (const c of reachedRows(data.reach, toDelete)) {
      if (c.rows) changes.push({ service: 'cyclades', table: c.table, action: 'delete', rows: c.rows });
    }
  }
  for (const t of OWNER_TABLES) if (updates[t.table]) changes.push({ service: 'cyclades', table: t.table, action: 'update', rows: updates[t.table] });

  const summary = [
    `rewrite ${updates.db_virtualmachine} VM, ${updates.db_network} network and ${updates.userdata_publickeypair} key owner(s) to uuids, in batches of ${rangeSize()} ids`,
  ];
  if (toDelete.length) {
    const owned = toDelete.map((id) => byId.get(id)!).reduce((a, u) => ({
      vms_live: a.vms_live + u.vms_live, vms_deleted: a.vms_deleted + u.vms_deleted, networks: a.networks + u.networks, keys: a.keys + u.keys,
    }), { vms_live: 0, vms_deleted: 0, networks: 0, keys: 0 });
    summary.push(`delete what ${toDelete.length} unknown identifier(s) own (${describeOwned(owned)}): ${sample(toDelete)}`);
  }
  if (kept.length) summary.push(`keep ${kept.length} unknown identifier(s) as they are (listed in the report): ${sample(kept)}`);
  if (handMapped.length) summary.push(`map ${handMapped.length} identifier(s) by hand: ${sample(handMapped)}`);
  if (open.length) summary.push(`${open.length} unknown identifier(s) undecided: ${sample(open)}`);
  // Each per-user limit 0.13 would apply otherwise than 0.12: both values, who had which, and the choice.
  const limits = resolveLimits(data.settings?.limits ?? [], decisions.stored, decisions.answers, decisions.step);
  if (limits.open.length) summary.push(`${limits.open.length} per-user limit(s) 0.13 would apply otherwise than 0.12: decide each (as-0.12 keeps 0.12's; answers: "limits")`);
  const questions = (data.settings?.limits ?? []).map((q) => `limit: ${limitLine(q, limits.choices.get(q.id)?.choice)}`);
  summary.push(...questions);
  summary.push(...notes);
  if (data.settings) summary.push(...settingsSummary(data.settings));


  const plan: Plan<MigratePlanData> = {
    summary, changes, open: open.length + limits.open.length, questions,
    data: {
      decisions: [...actions].map(([id, action]) => ({ id, action, source: sources.get(id)! })),
      open,
      limits: [...limits.choices].map(([id, c]) => ({ id, ...c })),
    },
  };
  if (toDelete.length) {
    const rows = changes.filter((c) => c.action === 'delete').reduce((n, c) => n + c.rows, 0);
    plan.destructive = {
      what: `Step 6.3 deletes what ${toDelete.length} identifier(s) unknown to astakos own in cyclades (${rows} rows in all); Ganeti instances and IP pools are not touched`,
      confirmWord: 'delete',
    };
  }
  return plan;
}

// ------------------------------------------------------------------ apply

async function tableExists(q: pg.Pool | pg.PoolClient, table: string): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [table]);
  return r.rowCount! > 0;
}

/** Fills the mapping table: every distinct identifier astakos resolves, plus HAND (identifier → uuid). */
async function buildMap(client: pg.PoolClient, uuids: UuidMap, hand: [string, string][], page = 5000): Promise<number> {
  await client.query(`DROP TABLE IF EXISTS ${MAP_TABLE}`);
  await client.query(`CREATE TABLE ${MAP_TABLE} (identifier varchar(255) NOT NULL PRIMARY KEY, uuid varchar(255) NOT NULL)`);
  await client.query('CREATE TEMP TABLE snf_upgrade_ids (id varchar(255) NOT NULL PRIMARY KEY) ON COMMIT DROP');
  await client.query(`INSERT INTO snf_upgrade_ids (id) SELECT id FROM (${DISTINCT_IDENTIFIERS}) d WHERE id LIKE '%@%'`);
  const handIds = new Set(hand.map(([id]) => id));
  let n = 0;
  let last: string | undefined;
  for (;;) {
    const r = last === undefined
      ? await client.query<{ id: string }>('SELECT id FROM snf_upgrade_ids ORDER BY id LIMIT $1', [page])
      : await client.query<{ id: string }>('SELECT id FROM snf_upgrade_ids WHERE id > $1 ORDER BY id LIMIT $2', [last, page]);
    if (!r.rows.length) break;
    last = r.rows[r.rows.length - 1]!.id;
    const pairs: [string, string][] = [];
    for (const { id } of r.rows) {
      if (handIds.has(id) || uuids.isUuid(id)) continue;
      const uuid = resolve(uuids, id);
      if (uuid !== undefined) pairs.push([id, uuid]);
    }
    n += await insertPairs(client, MAP_TABLE, pairs);
  }
  n += await insertPairs(client, MAP_TABLE, hand);
  return n;
}

interface RangeBatch { table: (typeof OWNER_TABLES)[number]; lo: number; hi: number; rows: number }

async function rangeBatches(q: pg.Pool, size: number): Promise<RangeBatch[]> {
  const out: RangeBatch[] = [];
  for (const t of OWNER_TABLES) {
    const r = await q.query<{ b: string; n: string }>(
      `SELECT floor(t.id / $1::numeric)::bigint AS b, count(*) AS n FROM ${t.table} t JOIN ${MAP_TABLE} m ON m.identifier = t.${t.column}
        GROUP BY 1 ORDER BY 1`, [size]);
    for (const row of r.rows) {
      const b = Number(row.b);
      out.push({ table: t, lo: b * size, hi: (b + 1) * size - 1, rows: Number(row.n) });
    }
  }
  return out;
}

/**
 * Which round of the rewrite this run is: the last one while it has not dropped its mapping
 * table, else a new one when there is work again (owners that appeared after a finished
 * rewrite, when the step runs again), else the last. Round 1's batches carry no suffix.
 */
function rewriteRound(done: Set<string>, work: boolean): number {
  let last = 1;
  while (done.has(`${MAP_BATCH} #${last + 1}`)) last++;
  return work && done.has(roundTag(last)(DROP_BATCH)) ? last + 1 : last;
}

const roundTag = (round: number) => (batch: string): string => (round === 1 ? batch : `${batch} #${round}`);

export async function applyMigrate(ctx: StepContext, plan: Plan<MigratePlanData>, usersStep: string): Promise<ApplyResult> {
  const data = plan.data!;
  ctx.state.transaction(() => {
    for (const d of data.decisions) ctx.state.setDecision(ctx.step, UNKNOWN_PREFIX + d.id, d.action, d.source);
    for (const d of data.limits ?? []) ctx.state.setDecision(ctx.step, LIMIT_PREFIX + d.id, d.choice, d.source);
  });
  const cycDb = await ctx.db('cyclades');
  const cyc = cycDb.pool;
  const summary: string[] = [];
  let rows = 0;
  const stopped = (what: string): ApplyResult => ({ stopped: true, rows, summary: [...summary, `stopped ${what}; run the step again to continue`] });
  const done = new Set((await committedBatches(cycDb, ctx.step)).map((b) => b.batch));
  const tag = roundTag(rewriteRound(done, plan.changes.length > 0));

  // astakos does not change during 6.3: one uuid map serves the rewrite and the settings
  let uuidMap: UuidMap | undefined;
  const uuidsOnce = async (): Promise<UuidMap> => (uuidMap ??= await stepUuidMap(ctx, usersStep));

  if (!done.has(tag(DROP_BATCH))) {
    const uuids = await uuidsOnce();
    const hand = data.decisions.filter((d) => d.action !== 'delete' && d.action !== 'keep').map((d) => [d.id, d.action] as [string, string]);
    const deletes = data.decisions.filter((d) => d.action === 'delete').map((d) => d.id);

    ctx.progress({ table: MAP_TABLE, done: 0, batch: 1 });
    const map = await ctx.batch('cyclades', tag(MAP_BATCH), (client) => buildMap(client, uuids, hand));
    if (!map.skipped) summary.push(`mapping table: ${map.rows} identifier(s) → uuid`);
    if (!(await tableExists(cyc, MAP_TABLE))) {
      throw new UserError(`the mapping table ${MAP_TABLE} is missing although batch ${tag(MAP_BATCH)} committed`,
        `restore it or remove the journal row (DELETE FROM snf_upgrade_journal WHERE step = '${ctx.step}' AND batch = '${tag(MAP_BATCH)}') and run the step again`);
    }

    const cascade = deletes.length ? await loadOwnerCascade(cyc) : undefined;
    let deletedRows = 0;
    for (let i = 0; i < deletes.length; i++) {
      if (ctx.stopRequested()) return stopped(`after ${i} of ${deletes.length} deletion(s)`);
      const id = deletes[i]!;
      ctx.progress({ table: 'unknown identifiers', unit: 'identifiers', done: i, total: deletes.length, batch: i + 1, batches: deletes.length });
      const r = await ctx.batch('cyclades', tag(DELETE_BATCH_PREFIX + id), async (client, keep) => {
        let n = 0;
        for (const c of (await deleteOwned(client, cascade!, [id], keep)).values()) n += c;
        return n;
      });
      deletedRows += r.rows;
    }
    if (deletes.length) summary.push(`deleted ${deletedRows} row(s) of ${deletes.length} unknown identifier(s)`);

    const size = rangeSize();
    const batches = await rangeBatches(cyc, size);
    const total = batches.reduce((n, b) => n + b.rows, 0);
    let visited = 0;
    let rewritten = 0;
    for (let i = 0; i < batches.length; i++) {
      if (ctx.stopRequested()) return stopped(`after ${i} of ${batches.length} rewrite batch(es)`);
      const b = batches[i]!;
      ctx.progress({ table: b.table.table, done: visited, total, batch: i + 1, batches: batches.length });
      const col = b.table.column.replace(/"/g, '');
      const r = await ctx.batch('cyclades', tag(`${b.table.table}:${b.lo}-${b.hi}`), async (client, keep) => {
        const old = await client.query<{ id: number; owner: string }>(
          `SELECT t.id, t.${b.table.column} AS owner FROM ${b.table.table} t JOIN ${MAP_TABLE} m ON m.identifier = t.${b.table.column}
            WHERE t.id BETWEEN $1 AND $2 ORDER BY t.id`, [b.lo, b.hi]);
        if (!old.rows.length) return 0;
        keep(old.rows.map((x) => ({ service: 'cyclades', table: b.table.table, action: 'update', pk: { id: x.id }, row: { id: x.id, [col]: x.owner } })));
        const upd = await client.query(
          `UPDATE ${b.table.table} SET ${b.table.column} = m.uuid FROM ${MAP_TABLE} m
            WHERE m.identifier = ${b.table.table}.${b.table.column} AND ${b.table.table}.id BETWEEN $1 AND $2`, [b.lo, b.hi]);
        if (upd.rowCount !== old.rows.length) {
          throw changedWhileRunning('cyclades', `the ${b.table.table} owners of ids ${b.lo}–${b.hi} (read ${old.rows.length}, rewrote ${upd.rowCount})`);
        }
        return upd.rowCount;
      });
      visited += b.rows;
      rewritten += r.rows;
    }
    ctx.progress({ table: 'owners', done: total, total, batch: batches.length, batches: batches.length });
    rows += rewritten + deletedRows;
    summary.push(`rewrote ${rewritten} owner(s) to uuids in ${batches.length} batch(es)`);

    if (ctx.stopRequested()) return stopped('before dropping the mapping table');
    await ctx.batch('cyclades', tag(DROP_BATCH), async (client) => {
      await client.query(`DROP TABLE IF EXISTS ${MAP_TABLE}`);
      return 0;
    });
  } else {
    summary.push('the owners were rewritten by an earlier run; nothing to change in the database');
  }

  const kept = data.decisions.filter((d) => d.action === 'keep').map((d) => d.id);
  if (kept.length) summary.push(`kept ${kept.length} identifier(s) astakos does not know, by decision: ${sample(kept)}`);

  const dir = ctx.config.cyclades.settings;
  if (dir) {
    const uuids = await uuidsOnce();
    // Every stored decision counts: an identifier mapped by hand in an earlier run is no longer unknown now.
    const limits = storedLimits(ctx.state, ctx.step);
    const resolver = (await settingsResolver(ctx, uuids, decisionsByFold(storedUnknownDecisions(ctx.state, ctx.step)), (q) => limits.get(q.id)))!;
    const s = planSettings(dir, resolver);
    const written = writeSettings(s);
    summary.push(...settingsSummary(s, written));
  }
  return { rows, summary };
}

// ------------------------------------------------------------------ verify

/** Every decision of STEP on an unknown identifier stored so far: identifier → action. */
function storedUnknownDecisions(state: StateFile, step: string): Map<string, UnknownAction> {
  const out = new Map<string, UnknownAction>();
  for (const [key, d] of state.getDecisions(step)) if (key.startsWith(UNKNOWN_PREFIX) && typeof d.value === 'string') out.set(key.slice(UNKNOWN_PREFIX.length), d.value);
  return out;
}

/** Identifiers the operator chose to keep (stored when STEP applied). */
function keptIdentifiers(state: StateFile, step: string): Set<string> {
  const out = new Set<string>();
  for (const [key, d] of state.getDecisions(step)) if (key.startsWith(UNKNOWN_PREFIX) && d.value === 'keep') out.add(key.slice(UNKNOWN_PREFIX.length));
  return out;
}

/** The owners the rewrite should have left none of: emails, and anything else that is not an astakos uuid (apart from the ones kept by decision). */
interface OwnersLeft {
  kept: Set<string>;
  keptSeen: number;
  /** Counted in full, listed up to a bound (a failed rewrite could leave every identifier). */
  emails: string[];
  nEmails: number;
  strangers: string[];
  nStrangers: number;
  /** The rows the listed identifiers own. */
  rows: number;
}

async function ownersLeft(ctx: StepContext, uuids: UuidMap, cyc: pg.Pool): Promise<OwnersLeft> {
  const left: OwnersLeft = { kept: keptIdentifiers(ctx.state, ctx.step), keptSeen: 0, emails: [], nEmails: 0, strangers: [], nStrangers: 0, rows: 0 };
  await eachIdentifier(cyc, (id, owned) => {
    if (uuids.isUuid(id)) return;
    if (left.kept.has(id)) { left.keptSeen++; return; }
    left.rows += totalOwned(owned);
    if (isEmailish(id)) { if (left.nEmails++ < VERIFY_LIST) left.emails.push(id); } else if (left.nStrangers++ < VERIFY_LIST) left.strangers.push(id);
  });
  return left;
}

const SHOWN = 3;

/** What 6.3 promises the steps after it: every cyclades owner is an astakos uuid (or kept by decision), as its verify found. */
export const ownersAreUuids = ({ usersStep }: { usersStep: string }): StepPromise => ({
  async broken(ctx) {
    const cyc = (await ctx.db('cyclades')).pool;
    const left = await ownersLeft(ctx, await stepUuidMap(ctx, usersStep), cyc);
    if (!left.nEmails && !left.nStrangers) return undefined;
    const examples = await ownedRows(cyc, [...left.emails, ...left.strangers].slice(0, SHOWN), SHOWN);
    return {
      what: `${left.rows} cyclades ${left.rows === 1 ? 'row' : 'rows'} owned by ${left.nStrangers ? 'an identifier that is not an astakos uuid' : 'an email'}`,
      examples: examples.map((r) => `${OWNER_NOUN[r.table]} #${r.id} (owner ${r.owner})`),
      complete: examples.length >= left.rows,
      fix: 'rewrites their owners to uuids (or asks what to do with the ones astakos does not know)',
    };
  },
});

export async function verifyMigrate(ctx: StepContext, usersStep: string): Promise<Check[]> {
  const uuids = await stepUuidMap(ctx, usersStep);
  const cyc = (await ctx.db('cyclades')).pool;
  const { kept, keptSeen, emails, nEmails, strangers, nStrangers } = await ownersLeft(ctx, uuids, cyc);
  const listed = (n: number, list: string[]) => `${n}${n > list.length ? ` (first ${list.length} seen)` : ''}: ${sample(list.sort(byCodeUnits))}`;
  const checks: Check[] = [
    {
      label: 'no email-shaped owner left in cyclades', ok: nEmails === 0,
      ...(nEmails ? { detail: `left ${listed(nEmails, emails)}` }
        : keptSeen ? { detail: `except ${keptSeen} kept by decision: ${sample([...kept].sort(byCodeUnits))}` } : {}),
    },
    {
      label: 'every other owner is the uuid of an astakos user', ok: nStrangers === 0,
      ...(nStrangers ? { detail: `not: ${listed(nStrangers, strangers)}` } : {}),
    },
  ];
  if (await tableExists(cyc, MAP_TABLE)) checks.push({ label: `mapping table ${MAP_TABLE} dropped`, ok: false, detail: 'the rewrite did not finish' });
  const dir = ctx.config.cyclades.settings;
  if (dir) {
    const decisions = decisionsByFold(storedUnknownDecisions(ctx.state, ctx.step));
    const left = settingsLeftovers(dir, (k) => uuids.isUuid(k) || decisions.get(pyLower(k)) === 'keep');
    checks.push({
      label: 'settings keyed by identifier use uuids (new files written beside the old ones)', ok: left.bad.length === 0,
      ...(left.bad.length ? { detail: sample(left.bad) } : left.unchecked.length ? { detail: `not checked: ${sample(left.unchecked)}` } : {}),
    });
  }
  return checks;
}

/** The step; USERSSTEP is the one that removed duplicate astakos users (its merges resolve names too). */
export const cycladesMigrate = ({ usersStep }: { usersStep: string }): StepModule<MigrateInspection, MigratePlanData> => ({
  inspect: (ctx) => inspectMigrate(ctx, usersStep),
  plan: planMigrate,
  apply: (ctx, plan) => applyMigrate(ctx, plan, usersStep),
  verify: (ctx) => verifyMigrate(ctx, usersStep),
});
