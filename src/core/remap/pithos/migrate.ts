// Step 6.4: the 0.13 alembic chain of the pithos backend database, done by the tool from
// wherever the database is (no alembic_version table, an empty one, 230f8ce9c90f,
// 3dd56e750a3, or part-way), with the same end state as upstream's
// `pithos-migrate upgrade head` (165ba3fbfe53 + 2a309a9a3438 + 27381099d477, and
// 3dd56e750a3 first when the database is below it), but:
//   * names are resolved from the astakos database, not by one HTTP call per name;
//   * collisions (two names → one uuid, a path or a permission that would become equal)
//     are found before anything is written, and block with the rows that collide;
//   * every rewrite is one set-based UPDATE … FROM the mapping table per bounded range of
//     the table's key, each an exactly-once batch, with progress;
//   * the public links of 0.12 keep working (url = encode_url(public_id + 42), computed here);
//   * alembic_version ends at 27381099d477, so upstream's `pithos-migrate current` agrees.
import type pg from 'pg';
import { committedBatches } from '../../../db/journal.js';
import { CheckFailed, UserError } from '../../../errors.js';
import type { Answers, ApplyResult, BeforeImage, Check, Decision, Decisions, DecisionSource, Findings, Plan, StepContext, StepDecisions, StepModule, StepPromise, TableChange } from '../../step.js';
import { requiredUuidMap, stepUuidMap, type UuidMap } from '../uuids.js';
import { describeCollision, findCollisions } from './collisions.js';
import { PITHOS_READS_UUIDS, UNKNOWN_PREFIX } from './duplicates.js';
import { AnswerError, answerName, objectEntries, oneOf, type AnswerParser } from '../../answers.js';
import { ALL_SOURCES, batchRows, collectNames, createMapTable, fillMap, MAP_TABLE, markAmbiguous, resolveName, SOURCE_LABEL, unresolvedAccounts, type Source } from './names.js';
import { dropIdeal, recomputeRange, snapshotIdeal, statisticsDrift } from './stats.js';
import type { PithosMigrateInspection, PithosMigratePlan, PithosMigratePlanData } from './types.js';
import { legacyPublicUrl } from './url.js';
import { describeRevision, exists, hasColumn, hasIndex, hasTable, HEAD_REVISION, readRevision, runLatestRepair } from './chain.js';

/** The steps this one reads: USERSSTEP removed duplicate astakos users, DUPLICATESSTEP decided pithos' duplicate and unknown accounts. */
interface Steps { usersStep: string; duplicatesStep: string }

type Q = pg.Pool | pg.PoolClient;
type Keep = (images: BeforeImage[]) => void;
const LIST_LIMIT = 20;
const sample = (list: string[]): string => (list.length > LIST_LIMIT ? `${list.slice(0, LIST_LIMIT).join(', ')}, … (${list.length} in all)` : list.join(', '));
const count = async (q: Q, sql: string, params: unknown[] = []): Promise<number> => Number((await q.query<{ n: string }>(sql, params)).rows[0]!.n);

// ------------------------------------------------------------------ inspect

async function inspect(ctx: StepContext, steps: Steps): Promise<Findings<PithosMigrateInspection>> {
  const uuids = await requiredUuidMap(ctx, steps.usersStep, PITHOS_READS_UUIDS);
  const db = await ctx.db('pithos');
  const client = await db.pool.connect();
  try {
    const revision = await readRevision(client);
    const distinct = await collectNames(client, 'snf_mn');
    await createMapTable(client, 'snf_mm');
    const resolved = await fillMap(client, 'snf_mn', 'snf_mm', uuids);
    const collisions = await findCollisions(client, 'snf_mn', 'snf_mm');
    const m = 'snf_mm';
    const rows = {
      nodes: await count(client, `SELECT count(*) AS n FROM nodes n JOIN ${m} m ON m.identifier = split_part(n.path, '/', 1) WHERE n.node <> 0`),
      versions: await count(client, `SELECT count(*) AS n FROM versions v JOIN ${m} m ON m.identifier = v.muser`),
      public: await count(client, `SELECT count(*) AS n FROM public p JOIN ${m} m ON m.identifier = split_part(p.path, '/', 1)`),
      xfeatures: await count(client, `SELECT count(*) AS n FROM xfeatures x JOIN ${m} m ON m.identifier = split_part(x.path, '/', 1)`),
      xfeaturevals: await count(client, `SELECT count(*) AS n FROM xfeaturevals x JOIN ${m} m ON x.value <> '*' AND m.identifier = split_part(x.value, ':', 1)`),
      groups: await count(client, `SELECT count(*) AS n FROM groups g WHERE g.owner IN (SELECT identifier FROM ${m}) OR g.member IN (SELECT identifier FROM ${m})`),
    };
    const unknownAccounts = await unresolvedAccounts(client, m, uuids);
    // unresolved names elsewhere (musers, grants, members): counted a page at a time
    let unknownOther = 0;
    const unknownOtherSample: string[] = [];
    let last: string | null = null;
    for (;;) {
      const r: pg.QueryResult<{ name: string }> = await client.query(
        `SELECT n.name FROM snf_mn n WHERE position('n' in n.srcs) = 0 AND NOT EXISTS (SELECT 1 FROM ${m} x WHERE x.identifier = n.name)
            ${last === null ? '' : 'AND n.name > $1'} ORDER BY n.name LIMIT 5000`, last === null ? [] : [last]);
      for (const { name } of r.rows) {
        if (uuids.isUuid(name)) continue;
        unknownOther++;
        if (unknownOtherSample.length < LIST_LIMIT) unknownOtherSample.push(name);
      }
      if (r.rows.length < 5000) break;
      last = r.rows[r.rows.length - 1]!.name;
    }
    const persistent = await hasTable(client, MAP_TABLE);
    const newPairs = persistent
      ? await count(client, `SELECT count(*) AS n FROM ${m} t WHERE NOT EXISTS (SELECT 1 FROM ${MAP_TABLE} p WHERE p.identifier = t.identifier AND p.uuid = t.uuid)`)
      : resolved;
    const negativePopulation = await count(client, 'SELECT count(*) AS n FROM statistics WHERE population < 0');
    const latestVersionBroken = await count(client, `SELECT count(*) AS n FROM nodes n LEFT JOIN versions v ON v.serial = n.latest_version AND v.node = n.node
                                                       WHERE n.node <> 0 AND v.serial IS NULL`);
    const publicWithoutUrl = await count(client, `SELECT count(*) AS n FROM public${revision.urlColumn ? ' WHERE url IS NULL' : ''}`);
    const publicInactive = await count(client, 'SELECT count(*) AS n FROM public WHERE NOT active');
    const drift = await statisticsDrift(db.pool);
    const max = async (sql: string) => Number((await client.query<{ m: number | null }>(sql)).rows[0]!.m ?? 0);
    const data: PithosMigrateInspection = {
      revision,
      names: { distinct, resolved, unknownAccounts, unknownOther, unknownOtherSample },
      rows, collisions, negativePopulation, latestVersionBroken, publicWithoutUrl, publicInactive,
      statisticsDrift: { size: drift.size, population: drift.population },
      maxNode: await max('SELECT max(node) AS m FROM nodes'),
      maxSerial: await max('SELECT max(serial) AS m FROM versions'),
      maxPublicId: await max('SELECT max(public_id) AS m FROM public'),
      maxFeatureId: await max('SELECT max(feature_id) AS m FROM xfeatures'),
      map: { persistent, newPairs },
      decidedInDuplicates: Object.fromEntries([...ctx.state.getDecisions(steps.duplicatesStep)].filter(([key]) => key.startsWith(UNKNOWN_PREFIX))),
      running: ctx.state.getStep(ctx.step).status === 'running',
    };

    const summary: string[] = [describeRevision(revision)];
    if (revision.refusal) summary.push(`cannot run: ${revision.refusal}`);
    // Once the rewrite is done no name resolves any more: that is success, said as such.
    summary.push(resolved ? `${distinct} distinct names in pithos, ${resolved} resolve to astakos uuids (this step rewrites them)`
      : `${distinct} distinct names in pithos, none left to rewrite (each is a uuid already or unknown to astakos)`);
    summary.push(`rows to rewrite: ${Object.entries(rows).map(([t, n]) => `${t} ${n}`).join(', ')}`);
    for (const c of collisions.filter((x) => x.groups > 0)) summary.push(`collision — ${describeCollision(c)}`);
    if (unknownAccounts.length) summary.push(`${unknownAccounts.length} account(s) astakos does not know stay under their names: ${sample(unknownAccounts)}`);
    if (unknownOther) summary.push(`${unknownOther} other name(s) (musers, grants, group members) astakos does not know stay as they are, as upstream leaves them: ${sample(unknownOtherSample)}`);
    if (negativePopulation) summary.push(`${negativePopulation} statistics row(s) with a negative population (2a309a9a3438 sets them to 0)`);
    if (revision.latestRepair) summary.push('alembic is below 3dd56e750a3: nodes.latest_version is repaired first, as upstream does');
    if (latestVersionBroken) summary.push(`${latestVersionBroken} node(s) whose latest_version is missing or stale: invisible in listings (left as they are unless alembic is below 3dd56e750a3)`);
    if (publicWithoutUrl) summary.push(`${publicWithoutUrl} public row(s) get their 0.12 link as url (encode_url(public_id + 42)), so old links keep working`);
    if (publicInactive) summary.push(`${publicInactive} public row(s) are inactive: like upstream they get a url and stay; in 0.13 they block re-publishing those paths (delete them later if that matters)`);
    if (drift.size || drift.population) summary.push(`statistics differ from the files in ${drift.size} size(s) and ${drift.population} population(s) (${drift.examples.slice(0, 3).join('; ')})`);
    return { summary, data };
  } finally {
    await client.query('DROP TABLE IF EXISTS pg_temp.snf_mn; DROP TABLE IF EXISTS pg_temp.snf_mm').catch(() => undefined);
    client.release();
  }
}

// ------------------------------------------------------------------ plan

/** The "unknown" answer: "keep" for every unknown account, or per account (only keeping is possible here). */
export const parseKeepAccounts = (duplicatesStep: string): AnswerParser<'keep' | Map<string, unknown>> => (value, at) => {
  if (value === 'keep') return value;
  const entries = objectEntries(value);
  if (!entries) {
    throw new AnswerError(`${answerName(at)} must be "keep" or an object of account → "keep"`,
      `accounts astakos does not know can only be kept here (delete them in step ${duplicatesStep})`);
  }
  return entries;
};

/** The "statistics" answer: recompute drifted statistics, or keep them. */
export const parseStatistics = oneOf('recompute', 'keep');

/** Unknown account names the operator keeps (the duplicates step's or this step's decision, the answers file, or the suggestion). */
function resolveKeep(stored: Decisions, inherited: Record<string, Decision>, answers: Answers, step: string, names: string[]): { keep: string[]; open: string[]; sources: Map<string, DecisionSource> } {
  const raw = answers.answer(step, 'unknown') as 'keep' | Map<string, unknown> | undefined;
  const keep: string[] = [];
  const open: string[] = [];
  const sources = new Map<string, DecisionSource>();
  for (const name of names) {
    const d = inherited[UNKNOWN_PREFIX + name] ?? stored.get(UNKNOWN_PREFIX + name);
    const a = raw === 'keep' ? 'keep' : raw?.get(name);
    if (d?.value === 'keep') { keep.push(name); sources.set(name, d.source); } else if (a === 'keep') { keep.push(name); sources.set(name, 'answers'); } else if (answers.acceptSuggestions) { keep.push(name); sources.set(name, 'suggested'); } else open.push(name);
  }
  return { keep, open, sources };
}

function resolveStatistics(stored: Decisions, answers: Answers, step: string, drift: boolean): { recompute: boolean; open: boolean; source?: DecisionSource } {
  if (!drift) return { recompute: false, open: false };
  const kept = stored.get('statistics');
  if (kept?.value === 'recompute' || kept?.value === 'keep') return { recompute: kept.value === 'recompute', open: false, source: kept.source };
  const a = answers.answer(step, 'statistics') as ReturnType<typeof parseStatistics> | undefined;
  if (a !== undefined) return { recompute: a === 'recompute', open: false, source: 'answers' };
  if (answers.acceptSuggestions) return { recompute: true, open: false, source: 'suggested' };
  return { recompute: false, open: true };
}

function plan(findings: Findings<PithosMigrateInspection>, decisions: StepDecisions, earlier: Steps): Plan<PithosMigratePlan> {
  const data = findings.data!;
  const summary: string[] = [];
  const blockers: string[] = [];
  if (data.revision.refusal) blockers.push(data.revision.refusal);
  for (const c of data.collisions.filter((x) => x.groups > 0)) blockers.push(describeCollision(c));
  const unknown = resolveKeep(decisions.stored, data.decidedInDuplicates, decisions.answers, decisions.step, data.names.unknownAccounts);
  const stats = resolveStatistics(decisions.stored, decisions.answers, decisions.step, data.statisticsDrift.size > 0);
  if (blockers.length) {
    summary.push(`blocked — nothing will be written until these are resolved (step ${earlier.duplicatesStep} merges or deletes the accounts and rows involved): ${blockers.join('; ')}`);
    if (data.running) {
      throw new CheckFailed(`step ${decisions.step} would make rows collide, so it changed nothing: ${blockers.join('; ')}`,
        `resolve them in step ${earlier.duplicatesStep} (snf-upgrade plan ${earlier.duplicatesStep} shows the sets; undo it or answer it again if it is done), then run ${decisions.step} again`);
    }
  }
  summary.push(describeRevision(data.revision));
  const steps = [
    ...(data.revision.latestRepair ? ['3dd56e750a3 (latest_version repair)'] : []),
    '165ba3fbfe53 (names → uuids)', '2a309a9a3438 (negative populations → 0)', '27381099d477 (public.url with the 0.12 links)',
  ];
  summary.push(`runs ${steps.join(', ')}, then sets alembic_version to ${HEAD_REVISION}`);
  summary.push(`rewrites ${Object.entries(data.rows).map(([t, n]) => `${n} ${t}`).join(', ')} row(s) in batches of ${batchRows()} key values`);
  if (unknown.keep.length) summary.push(`${unknown.keep.length} account(s) unknown to astakos stay under their names: ${sample(unknown.keep)}`);
  if (unknown.open.length) summary.push(`${unknown.open.length} account(s) unknown to astakos: keep them under their names (or delete them in ${earlier.duplicatesStep})? undecided: ${sample(unknown.open)}`);
  if (stats.open) summary.push('statistics differ from the files: "recompute" them from versions, or "keep" them as they are (upstream keeps them)? undecided');
  else if (stats.recompute) summary.push(`statistics are recomputed from versions (upstream never does) [${stats.source}]`);
  else if (stats.source) summary.push(`statistics kept as they are although they differ from the files [${stats.source}]`);
  if (!data.statisticsDrift.size && data.statisticsDrift.population) {
    summary.push(`${data.statisticsDrift.population} statistics population(s) differ from the files (0.12 drift; sizes are right): kept, as upstream keeps them`);
  }

  const changes: TableChange[] = [];
  const add = (table: string, action: TableChange['action'], rows: number) => { if (rows > 0) changes.push({ service: 'pithos', table, action, rows }); };
  for (const [t, n] of Object.entries(data.rows)) add(t, 'update', n);
  add('statistics', 'update', data.negativePopulation);
  add('public', 'update', data.publicWithoutUrl);
  const atHead = data.revision.rows.length === 1 && data.revision.rows[0] === HEAD_REVISION;
  add('alembic_version', 'update', atHead ? 0 : 1);

  const planData: PithosMigratePlan = {
    revision: data.revision, rows: data.rows, recomputeStatistics: stats.recompute, keepUnknown: unknown.keep,
    maxNode: data.maxNode, maxSerial: data.maxSerial, maxPublicId: data.maxPublicId, maxFeatureId: data.maxFeatureId,
    publicWithoutUrl: data.publicWithoutUrl, map: data.map, blockers,
  };
  return { summary, changes, open: blockers.length + unknown.open.length + (stats.open ? 1 : 0), data: planData };
}

// ------------------------------------------------------------------ apply

const rc = (r: pg.QueryResult): number => r.rowCount ?? 0;

async function imagesOf(client: pg.PoolClient, keep: Keep, table: string, pk: string[], sql: string, params: unknown[]): Promise<void> {
  const r = await client.query<Record<string, unknown>>(sql, params);
  if (r.rows.length) keep(r.rows.map((row) => ({ service: 'pithos', table, action: 'update', row, pk: Object.fromEntries(pk.map((k) => [k, row[k]])) })));
}

/**
 * The batch of the mapping table: names of every source × astakos, checked for collisions
 * before anything else is written. The table keeps the pairs of earlier rounds (the old
 * spellings of rows already rewritten), so old → new can always be read back; a round only
 * adds the pairs astakos now resolves that it lacked.
 */
async function buildMap(client: pg.PoolClient, uuids: UuidMap): Promise<number> {
  await collectNames(client, 'snf_mn', ALL_SOURCES, true);
  await createMapTable(client, MAP_TABLE, { persistent: true });
  await createMapTable(client, 'snf_mr', { onCommitDrop: true });
  await fillMap(client, 'snf_mn', 'snf_mr', uuids);
  const moved = await client.query<{ identifier: string; was: string; now: string }>(`
    SELECT p.identifier, p.uuid AS was, r.uuid AS now FROM ${MAP_TABLE} p JOIN snf_mr r ON r.identifier = p.identifier
     WHERE r.uuid <> p.uuid ORDER BY 1 LIMIT ${LIST_LIMIT}`);
  if (moved.rows.length) {
    throw new UserError(`astakos now gives ${sample(moved.rows.map((r) => `${r.identifier} the uuid ${r.now} (an earlier attempt of 6.4 wrote ${r.was})`))}`,
      'restore the uuids in astakos as they were when 6.4 started (or restore the backups of both databases), then run 6.4 again');
  }
  const n = rc(await client.query(`INSERT INTO ${MAP_TABLE} (identifier, uuid)
    SELECT r.identifier, r.uuid FROM snf_mr r WHERE NOT EXISTS (SELECT 1 FROM ${MAP_TABLE} p WHERE p.identifier = r.identifier)`));
  await client.query(`ANALYZE ${MAP_TABLE}`);
  await markAmbiguous(client, 'snf_mn', MAP_TABLE);
  const collisions = (await findCollisions(client, 'snf_mn', MAP_TABLE)).filter((c) => c.groups > 0);
  if (collisions.length) {
    throw new CheckFailed(`step 6.4 would make rows collide, so it changed nothing: ${collisions.map(describeCollision).join('; ')}`,
      'resolve them in step 6.2, then run 6.4 again');
  }
  return n;
}

interface Rewrite {
  table: string;
  /** Column holding the batch key, and the highest value in the plan. */
  key: string;
  max: (d: PithosMigratePlanData) => number;
  total: (d: PithosMigratePlanData) => number;
  work: (client: pg.PoolClient, keep: Keep, lo: number, hi: number) => Promise<number>;
}

const M = MAP_TABLE;
const REWRITES: Rewrite[] = [
  {
    table: 'nodes', key: 'node', max: (d) => d.maxNode, total: (d) => d.rows.nodes,
    async work(c, keep, lo, hi) {
      // account nodes carry the old name; their descendants' paths follow it
      await imagesOf(c, keep, 'nodes', ['node'], `SELECT n.* FROM nodes n JOIN ${M} m ON m.identifier = n.path
                                                  WHERE n.parent = 0 AND n.node >= $1 AND n.node < $2 AND n.node <> 0`, [lo, hi]);
      return rc(await c.query(`UPDATE nodes n SET path = m.uuid || substr(n.path, length(m.identifier) + 1) FROM ${M} m
                                WHERE n.node >= $1 AND n.node < $2 AND n.node <> 0 AND m.identifier = split_part(n.path, '/', 1)`, [lo, hi]));
    },
  },
  {
    table: 'versions', key: 'serial', max: (d) => d.maxSerial, total: (d) => d.rows.versions,
    async work(c, keep, lo, hi) {
      await imagesOf(c, keep, 'versions', ['serial'], `SELECT v.serial, v.muser FROM versions v JOIN ${M} m ON m.identifier = v.muser
                                                       WHERE position('v' in m.ambiguous) > 0 AND v.serial >= $1 AND v.serial < $2`, [lo, hi]);
      return rc(await c.query(`UPDATE versions v SET muser = m.uuid FROM ${M} m
                                WHERE v.serial >= $1 AND v.serial < $2 AND v.muser = m.identifier`, [lo, hi]));
    },
  },
  {
    table: 'public', key: 'public_id', max: (d) => d.maxPublicId, total: (d) => d.rows.public,
    async work(c, keep, lo, hi) {
      await imagesOf(c, keep, 'public', ['public_id'], `SELECT p.public_id, p.path FROM public p JOIN ${M} m ON m.identifier = split_part(p.path, '/', 1)
                                                       WHERE position('p' in m.ambiguous) > 0 AND p.public_id >= $1 AND p.public_id < $2`, [lo, hi]);
      return rc(await c.query(`UPDATE public p SET path = m.uuid || substr(p.path, length(m.identifier) + 1) FROM ${M} m
                                WHERE p.public_id >= $1 AND p.public_id < $2 AND m.identifier = split_part(p.path, '/', 1)`, [lo, hi]));
    },
  },
  {
    table: 'xfeatures', key: 'feature_id', max: (d) => d.maxFeatureId, total: (d) => d.rows.xfeatures,
    async work(c, keep, lo, hi) {
      await imagesOf(c, keep, 'xfeatures', ['feature_id'], `SELECT x.feature_id, x.path FROM xfeatures x JOIN ${M} m ON m.identifier = split_part(x.path, '/', 1)
                                                            WHERE position('x' in m.ambiguous) > 0 AND x.feature_id >= $1 AND x.feature_id < $2`, [lo, hi]);
      return rc(await c.query(`UPDATE xfeatures x SET path = m.uuid || substr(x.path, length(m.identifier) + 1) FROM ${M} m
                                WHERE x.feature_id >= $1 AND x.feature_id < $2 AND m.identifier = split_part(x.path, '/', 1)`, [lo, hi]));
    },
  },
  {
    table: 'xfeaturevals', key: 'feature_id', max: (d) => d.maxFeatureId, total: (d) => d.rows.xfeaturevals,
    async work(c, keep, lo, hi) {
      await imagesOf(c, keep, 'xfeaturevals', ['feature_id', 'key', 'value'], `
        SELECT x.* FROM xfeaturevals x JOIN ${M} m ON x.value <> '*' AND m.identifier = split_part(x.value, ':', 1)
         WHERE position('f' in m.ambiguous) > 0 AND x.feature_id >= $1 AND x.feature_id < $2`, [lo, hi]);
      return rc(await c.query(`UPDATE xfeaturevals x SET value = m.uuid || substr(x.value, length(m.identifier) + 1) FROM ${M} m
                                WHERE x.feature_id >= $1 AND x.feature_id < $2 AND x.value <> '*' AND m.identifier = split_part(x.value, ':', 1)`, [lo, hi]));
    },
  },
  {
    // groups has no integer key and is small (a few rows per account): one batch
    table: 'groups', key: '', max: () => 0, total: (d) => d.rows.groups,
    async work(c, keep) {
      await imagesOf(c, keep, 'groups', ['owner', 'name', 'member'], `
        SELECT g.* FROM groups g WHERE g.owner IN (SELECT identifier FROM ${M} WHERE position('g' in ambiguous) > 0)
                                    OR g.member IN (SELECT identifier FROM ${M} WHERE position('g' in ambiguous) > 0)`, []);
      // one statement, so that a row whose owner and member both change counts once, as the plan counts it
      return rc(await c.query(`UPDATE groups g
                                  SET owner = coalesce((SELECT m.uuid FROM ${M} m WHERE m.identifier = g.owner), g.owner),
                                      member = coalesce((SELECT m.uuid FROM ${M} m WHERE m.identifier = g.member), g.member)
                                WHERE g.owner IN (SELECT identifier FROM ${M}) OR g.member IN (SELECT identifier FROM ${M})`));
    },
  },
];

/** 27381099d477's data part for one public_id range: the 0.12 link of every row without a url. */
async function fillUrls(c: pg.PoolClient, lo: number, hi: number): Promise<number> {
  const r = await c.query<{ public_id: number }>('SELECT public_id FROM public WHERE url IS NULL AND public_id >= $1 AND public_id < $2 ORDER BY public_id', [lo, hi]);
  let n = 0;
  for (let i = 0; i < r.rows.length; i += 5_000) {
    const chunk = r.rows.slice(i, i + 5_000);
    const values = chunk.map((_, j) => `($${2 * j + 1}::integer, $${2 * j + 2}::varchar)`).join(', ');
    try {
      n += rc(await c.query(`UPDATE public p SET url = x.url FROM (VALUES ${values}) AS x(id, url) WHERE p.public_id = x.id AND p.url IS NULL`,
        chunk.flatMap((x) => [x.public_id, legacyPublicUrl(x.public_id)])));
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new UserError(`a 0.12 public link collides with a url already in public (${(err as { detail?: string }).detail ?? 'idx_public_url'}): 0.13 published objects before the migration?`,
          'delete or change the row that already holds that url, then run 6.4 again');
      }
      throw err;
    }
  }
  return n;
}

/**
 * The mapping round: rebuilt (and every range run again, harmlessly) only when astakos now
 * resolves names the last map lacked, or, once a round has rewritten every table, when rows
 * name a resolvable account again (created by name after the step was done, and it runs again).
 */
async function mapRound(ctx: StepContext, map: PithosMigrateInspection['map'], pending: number): Promise<number> {
  const batches = (await committedBatches(await ctx.db('pithos'), ctx.step)).map((b) => b.batch);
  const done = batches.map((b) => /^uuid map #(\d+)$/.exec(b)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1]));
  const last = done.length ? Math.max(...done) : 0;
  if (last === 0) return 1;
  if (batches.includes(rewritten(last))) return pending > 0 || map.newPairs > 0 ? last + 1 : last;
  return map.persistent && map.newPairs === 0 ? last : last + 1;
}

/** The batch that marks a round's rewrite of every table as over. */
const rewritten = (round: number): string => `names rewritten #${round}`;

async function apply(ctx: StepContext, p: Plan<PithosMigratePlan>, steps: Steps): Promise<ApplyResult> {
  const data = p.data!;
  ctx.state.transaction(() => {
    for (const name of data.keepUnknown) {
      if (!ctx.state.getDecision(steps.duplicatesStep, UNKNOWN_PREFIX + name) && !ctx.state.getDecision(ctx.step, UNKNOWN_PREFIX + name)) {
        ctx.state.setDecision(ctx.step, UNKNOWN_PREFIX + name, 'keep', ctx.asker.acceptSuggestions ? 'suggested' : 'answers');
      }
    }
    if (data.recomputeStatistics && !ctx.state.getDecision(ctx.step, 'statistics')) {
      ctx.state.setDecision(ctx.step, 'statistics', 'recompute', ctx.asker.acceptSuggestions ? 'suggested' : 'answers');
    }
  });
  const uuids = await stepUuidMap(ctx, steps.usersStep);
  const round = await mapRound(ctx, data.map, Object.values(data.rows).reduce((a, n) => a + n, 0));
  const prior = new Map(ctx.state.batchesFor(ctx.step).map((b) => [b.batch, b.rows]));
  const width = batchRows();
  const out: string[] = [];
  let rows = 0;
  const stopped = (): ApplyResult => ({ stopped: true, rows, summary: [...out, 'stopped between batches; run the step again to continue'] });

  const mapped = await ctx.batch('pithos', `uuid map #${round}`, (c) => buildMap(c, uuids));
  if (!mapped.skipped) out.push(`mapping table ${MAP_TABLE}: ${mapped.rows} name(s) → uuid`);

  const ranged = async (table: string, max: number, total: number, key: (lo: number, hi: number) => string,
    work: (c: pg.PoolClient, keep: Keep, lo: number, hi: number) => Promise<number>, single = false): Promise<number | undefined> => {
    const batches = single ? 1 : Math.max(1, Math.ceil((max + 1) / width));
    let done = 0;
    let changed = 0;
    const t0 = Date.now();
    for (let i = 0; i < batches; i++) {
      if (ctx.stopRequested()) return undefined;
      const lo = i * width;
      const hi = single ? Number.MAX_SAFE_INTEGER : lo + width;
      const k = key(lo, hi);
      const r = await ctx.batch('pithos', k, (c, keep) => work(c, keep, lo, hi));
      done += r.skipped ? prior.get(k) ?? 0 : r.rows;
      changed += r.rows;
      ctx.progress({ table, done: Math.min(done, total || done), total: total || done, batch: i + 1, batches });
    }
    const secs = (Date.now() - t0) / 1000;
    if (changed) ctx.log('info', `${table}: ${changed} row(s) in ${secs.toFixed(1)} s (${Math.round(changed / Math.max(secs, 0.001))} rows/s)`);
    return changed;
  };

  if (data.revision.latestRepair) {
    const n = await runLatestRepair(ctx);
    if (n === undefined) return stopped();
    rows += n;
    if (n) out.push(`3dd56e750a3: latest_version repaired on ${n} node(s)`);
  }
  for (const w of REWRITES) {
    const n = await ranged(w.table, w.max(data), w.total(data), (lo, hi) => (w.key ? `${w.table} ${lo}-${hi} #${round}` : `${w.table} #${round}`), w.work, !w.key);
    if (n === undefined) return stopped();
    rows += n;
    if (n) out.push(`165ba3fbfe53: ${w.table} ${n} row(s) rewritten`);
  }
  await ctx.batch('pithos', rewritten(round), async () => 0);
  if (ctx.stopRequested()) return stopped();
  const neg = await ctx.batch('pithos', '2a309a9a3438 statistics', async (c, keep) => {
    await imagesOf(c, keep, 'statistics', ['node', 'cluster'], 'SELECT * FROM statistics WHERE population < 0', []);
    return rc(await c.query('UPDATE statistics SET population = 0 WHERE population < 0'));
  });
  rows += neg.rows;
  if (neg.rows) out.push(`2a309a9a3438: ${neg.rows} negative population(s) set to 0`);
  if (data.recomputeStatistics) {
    if (ctx.stopRequested()) return stopped();
    // the ideal statistics once, then the rows node range by node range, each an exactly-once batch
    await ctx.batch('pithos', 'statistics ideal', (c) => snapshotIdeal(c));
    const st = await ranged('statistics', data.maxNode, 0, (lo, hi) => `statistics ${lo}-${hi}`, recomputeRange);
    if (st === undefined) return stopped();
    await ctx.batch('pithos', 'statistics ideal dropped', (c) => dropIdeal(c));
    rows += st;
    if (st) out.push(`statistics: ${st} row(s) recomputed from versions`);
  }
  if (ctx.stopRequested()) return stopped();
  await ctx.batch('pithos', '27381099d477 public.url', async (c) => {
    let n = 0;
    if (!(await hasColumn(c, 'public', 'url'))) { await c.query('ALTER TABLE public ADD COLUMN url varchar(2048)'); n++; }
    if (!(await hasIndex(c, 'idx_public_url'))) { await c.query('ALTER TABLE public ADD CONSTRAINT idx_public_url UNIQUE (url)'); n++; }
    return n;
  });
  const urls = await ranged('public.url', data.maxPublicId, data.publicWithoutUrl, (lo, hi) => `27381099d477 public ${lo}-${hi}`, (c, _k, lo, hi) => fillUrls(c, lo, hi));
  if (urls === undefined) return stopped();
  rows += urls;
  if (urls) out.push(`27381099d477: ${urls} public row(s) given their 0.12 link as url`);
  if (ctx.stopRequested()) return stopped();
  await ctx.batch('pithos', `alembic ${HEAD_REVISION}`, async (c, keep) => {
    await c.query('CREATE TABLE IF NOT EXISTS alembic_version (version_num varchar(32) NOT NULL)');
    const old = await c.query<{ version_num: string }>('SELECT version_num FROM alembic_version');
    keep(old.rows.map((row) => ({ service: 'pithos', table: 'alembic_version', action: 'delete', pk: { version_num: row.version_num }, row })));
    await c.query('DELETE FROM alembic_version');
    await c.query('INSERT INTO alembic_version (version_num) VALUES ($1)', [HEAD_REVISION]);
    return 1;
  });
  out.push(`alembic_version is ${HEAD_REVISION} (upstream's pithos-migrate current agrees)`);
  // fresh planner statistics for tables whose every row was just rewritten (VACUUM is left to autovacuum)
  const pool = (await ctx.db('pithos')).pool;
  for (const t of ['nodes', 'versions', 'public', 'xfeatures', 'xfeaturevals', 'groups']) await pool.query(`ANALYZE ${t}`);
  if (data.keepUnknown.length) out.push(`kept under their names (astakos does not know them): ${sample(data.keepUnknown)}`);
  return { rows, summary: out };
}

// ------------------------------------------------------------------ verify

/** Accounts (the tree's top nodes) not named by an astakos uuid: STRANGERS, and KEPTLEFT, kept under their names by decision. */
async function accountsLeft(ctx: StepContext, steps: Steps, uuids: UuidMap, pool: pg.Pool): Promise<{ strangers: string[]; keptLeft: string[] }> {
  const kept = new Set<string>();
  for (const step of [steps.duplicatesStep, ctx.step]) {
    for (const [k, d] of ctx.state.getDecisions(step)) if (k.startsWith(UNKNOWN_PREFIX) && d.value === 'keep') kept.add(k.slice(UNKNOWN_PREFIX.length));
  }
  const strangers: string[] = [];
  const keptLeft: string[] = [];
  let last = -1;
  for (;;) {
    const r = await pool.query<{ node: number; path: string }>(
      'SELECT node, path FROM nodes WHERE parent = 0 AND node <> 0 AND node > $1 ORDER BY node LIMIT 10000', [last]);
    for (const { path } of r.rows) {
      if (uuids.isUuid(path)) continue;
      (kept.has(path) ? keptLeft : strangers).push(path);
    }
    if (r.rows.length < 10_000) break;
    last = r.rows[r.rows.length - 1]!.node;
  }
  return { strangers, keptLeft };
}

const SHOWN = 3;

/** What 6.4 promises the steps after it: every pithos account is named by an astakos uuid (or kept by decision), as its verify found. */
export const accountsAreUuids = (steps: Steps): StepPromise => ({
  async broken(ctx) {
    const uuids = await requiredUuidMap(ctx, steps.usersStep, PITHOS_READS_UUIDS);
    const { strangers } = await accountsLeft(ctx, steps, uuids, (await ctx.db('pithos')).pool);
    if (!strangers.length) return undefined;
    const emails = strangers.filter((a) => a.includes('@')).length;
    return {
      what: `${strangers.length} pithos ${strangers.length === 1 ? 'account' : 'accounts'} named by ${emails === strangers.length ? 'an email' : 'a name that is not an astakos uuid'}`,
      examples: strangers.slice(0, SHOWN).map((a) => `account ${a}`),
      complete: strangers.length <= SHOWN,
      fix: 'renames them to their uuids (or asks what to do with the ones astakos does not know)',
    };
  },
});

/** Grants, group owners and members, and version authors still naming an account that astakos resolves to a uuid (what the rewrite turns into uuids). */
async function namesLeft(pool: pg.Pool, uuids: UuidMap): Promise<Check> {
  const sources: Source[] = ['f', 'g', 'v'];
  const left: string[] = [];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await collectNames(client, 'snf_upgrade_names_left', sources, true);
    let last = '';
    for (;;) {
      const r = await client.query<{ name: string; srcs: string }>('SELECT name, srcs FROM snf_upgrade_names_left WHERE name > $1 ORDER BY name LIMIT 5000', [last]);
      for (const { name, srcs } of r.rows) {
        if (resolveName(uuids, name) !== undefined) left.push(`${name} in ${[...srcs].map((x) => SOURCE_LABEL[x as Source]).join(', ')}`);
      }
      if (r.rows.length < 5000) break;
      last = r.rows[r.rows.length - 1]!.name;
    }
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
  return {
    label: `every grant, group owner and member and version author names an account by its uuid (${sources.map((x) => SOURCE_LABEL[x]).join(', ')})`,
    ok: left.length === 0, detail: left.length ? `${left.length} named by a name astakos resolves: ${sample(left)}` : 'yes',
  };
}

async function verify(ctx: StepContext, steps: Steps): Promise<Check[]> {
  const checks: Check[] = [];
  const uuids = await requiredUuidMap(ctx, steps.usersStep, PITHOS_READS_UUIDS);
  const pool = (await ctx.db('pithos')).pool;
  const rev = await readRevision(pool);
  checks.push({ label: `alembic_version is ${HEAD_REVISION}`, ok: rev.rows.length === 1 && rev.rows[0] === HEAD_REVISION, detail: rev.rows.join(', ') || (rev.table ? 'empty' : 'no table') });
  const noUrl = rev.urlColumn ? await count(pool, 'SELECT count(*) AS n FROM public WHERE url IS NULL') : -1;
  checks.push({
    label: 'public.url exists, is unique and set on every row', ok: rev.urlColumn && rev.urlUnique && noUrl === 0,
    detail: !rev.urlColumn ? 'no url column' : !rev.urlUnique ? 'no idx_public_url' : noUrl ? `${noUrl} row(s) without url` : 'yes',
  });

  const { strangers, keptLeft } = await accountsLeft(ctx, steps, uuids, pool);
  checks.push({
    label: 'every account is named by an astakos uuid (apart from the ones kept)', ok: strangers.length === 0,
    detail: strangers.length ? `not uuids: ${sample(strangers)}` : keptLeft.length ? `kept by the operator: ${sample(keptLeft)}` : 'yes',
  });

  checks.push(await namesLeft(pool, uuids));

  // uuids written exist in astakos; nothing resolvable left behind
  if (await hasTable(pool, MAP_TABLE)) {
    const missing: string[] = [];
    let after = '';
    for (;;) {
      const r = await pool.query<{ uuid: string }>(`SELECT DISTINCT uuid FROM ${MAP_TABLE} WHERE uuid > $1 ORDER BY uuid LIMIT 10000`, [after]);
      for (const { uuid } of r.rows) if (!uuids.isUuid(uuid)) missing.push(uuid);
      if (r.rows.length < 10_000) break;
      after = r.rows[r.rows.length - 1]!.uuid;
    }
    checks.push({ label: 'every uuid written exists in astakos', ok: missing.length === 0, detail: missing.length ? `unknown: ${sample(missing)}` : 'yes' });
    const left = await count(pool, `SELECT (SELECT count(*) FROM nodes n JOIN ${M} m ON m.identifier = split_part(n.path, '/', 1) WHERE n.node <> 0)
      + (SELECT count(*) FROM versions v JOIN ${M} m ON m.identifier = v.muser)
      + (SELECT count(*) FROM public p JOIN ${M} m ON m.identifier = split_part(p.path, '/', 1))
      + (SELECT count(*) FROM xfeatures x JOIN ${M} m ON m.identifier = split_part(x.path, '/', 1))
      + (SELECT count(*) FROM xfeaturevals x JOIN ${M} m ON x.value <> '*' AND m.identifier = split_part(x.value, ':', 1))
      + (SELECT count(*) FROM groups g WHERE g.owner IN (SELECT identifier FROM ${M}) OR g.member IN (SELECT identifier FROM ${M})) AS n`);
    checks.push({ label: 'no row still names an account by a name astakos resolves', ok: left === 0, detail: left ? `${left} row(s) left` : 'none' });
  }

  // paths: unique (the index) and consistent along the tree
  const unique = await exists(pool, `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                                      WHERE n.nspname = current_schema() AND c.relname = 'idx_nodes_path' AND i.indisunique`, []);
  const broken = await count(pool, `SELECT count(*) AS n FROM nodes c JOIN nodes p ON p.node = c.parent WHERE c.node <> 0
      AND ((p.node = 0 AND position('/' in c.path) > 0) OR (p.node <> 0 AND left(c.path, length(p.path) + 1) <> p.path || '/'))`);
  checks.push({ label: 'node paths are unique and extend their parent\'s path', ok: unique && broken === 0, detail: !unique ? 'idx_nodes_path is not a unique index' : broken ? `${broken} node(s) off their parent's path` : 'yes' });

  const negative = await count(pool, 'SELECT count(*) AS n FROM statistics WHERE population < 0');
  const drift = await statisticsDrift(pool);
  const keptDrift = ctx.state.getDecision(ctx.step, 'statistics')?.value === 'keep';
  checks.push({
    label: 'statistics match the files (sizes along the tree, no negative population)',
    ok: negative === 0 && (drift.size === 0 || keptDrift),
    detail: negative ? `${negative} negative population(s)` : drift.size
      ? `${drift.size} size(s) differ${keptDrift ? ' (kept as they were, by the operator\'s choice)' : ''}: ${drift.examples.slice(0, 3).join('; ')}`
      : drift.population ? `sizes match; ${drift.population} population(s) differ (0.12 drift, harmless: nothing reads them)` : 'yes',
  });
  return checks;
}

/** The step; STEPS names the earlier steps it reads (see Steps). */
export const pithosMigrate = (steps: Steps): StepModule<PithosMigrateInspection, PithosMigratePlan> => ({
  inspect: (ctx) => inspect(ctx, steps),
  plan: (findings, decisions) => plan(findings, decisions, steps),
  apply: (ctx, p) => apply(ctx, p, steps),
  verify: (ctx) => verify(ctx, steps),
});
