// Step 6.2: pithos accounts that would become one account in 0.13. Upstream's
// --list-duplicate compiles each name as a regular expression ("." "+" "(" make it report
// false pairs, miss real ones or crash), its merge fails on the 0.12 schema and copies
// instead of moving (new object uuids, lost history, overwritten permissions), and its
// delete crashes on 10,000+ objects (pithos.md §3, §6). Here names are compared folded
// (Python lower(), as 0.13 astakos folds) and by the uuid they resolve to, every set of any
// size is shown with what each account holds, the operator merges each set into one exact
// account (by default the one step 2 kept) or deletes accounts, and the rows that only
// differ by a member's spelling are de-duplicated, so that 6.4 meets no collision.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DecisionSource, StateFile } from '../../../state/index.js';
import { mergeTargets } from '../../dedup/decide.js';
import { byCodeUnits, UnionFind } from '../../dedup/fold.js';
import { isAscii, pyLower } from '../../fold.js';
import { identifierCollisions, PITHOS_ACCOUNTS, pithosOwned } from '../../dedup/inspect.js';
import type { Answers, ApplyResult, Check, Decisions, Findings, Plan, StepContext, StepDecisions, StepModule, TableChange } from '../../step.js';
import { requiredUuidMap, stepUuidMap, type UuidMap } from '../uuids.js';
import { accountNode, applySetInOne, createHelperIndexes, deleteAccount, dropHelperIndexes, mergeAccount, objectCount, quotaRank, type SetOps } from './accounts.js';
import { limitChoices, resolveLimitChoices, type LimitAnswers, type LimitChoice } from '../../limit-choice.js';
import { describeCollision, findCollisions } from './collisions.js';
import { dedupeMemberCase, memberCaseFindings } from './membercase.js';
import { collectNames, createMapTable, fillMap, objectChunk, unresolvedAccounts } from './names.js';
import { readRevision, runLatestRepair } from './chain.js';
import { crossFoldLinks, invalidSetDecision, joinLinked, resolveSetDecisions, type DecidedSet } from '../sets.js';
import { AnswerError, answerName, exampleOf, objectEntries, type AnswerParser } from '../../answers.js';
import { accountDrift } from './stats.js';
import type {
  AccountHoldings, AccountSetDecision, DuplicateAccountSet, PithosDuplicatesFindings, PithosDuplicatesPlanData, PlannedSet, QuotaQuestion,
  UnknownAccountDecision,
} from './types.js';

export const UNKNOWN_PREFIX = 'unknown:';

/** What stays outside the database whatever the step does (said in every summary). */
export const ON_DISK_NOTE = 'Blocks and hashmaps in the block store (PITHOS_BACKEND_BLOCK_PATH, or RADOS) are not touched: merged objects keep '
  + 'their hashes, and the data of deleted accounts stays on disk, because pithos shares blocks between objects by content and '
  + 'keeps no reference count, so what is garbage cannot be told from the database (upstream never deletes blocks or maps either).';

/** Why the pithos steps need astakos' uuids (the end of the next action when they are missing). */
export const PITHOS_READS_UUIDS = 'the pithos steps read the uuids from it';

const LIST_LIMIT = 20;
const sample = (list: string[]): string => (list.length > LIST_LIMIT ? `${list.slice(0, LIST_LIMIT).join(', ')}, … (${list.length} in all)` : list.join(', '));

/** Exact emails of astakos users among NAMES. */
async function astakosEmails(astakos: pg.Pool, names: string[]): Promise<Set<string>> {
  if (!names.length) return new Set();
  const r = await astakos.query<{ email: string }>(
    'SELECT u.email FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id WHERE u.email = ANY($1::text[])', [names]);
  return new Set(r.rows.map((x) => x.email));
}

/** Subtree sizes (nodes, versions) of the accounts NAMES. */
async function subtreeSizes(q: pg.PoolClient, names: string[]): Promise<Map<string, { nodes: number; versions: number }>> {
  const out = new Map<string, { nodes: number; versions: number }>();
  if (!names.length) return out;
  const r = await q.query<{ path: string; nodes: string; versions: string }>(`
    WITH a AS (SELECT node, path FROM nodes WHERE parent = 0 AND node <> 0 AND path = ANY($1::text[])),
         sub AS (SELECT a.path, a.node FROM a
                 UNION ALL SELECT a.path, c.node FROM a JOIN nodes c ON c.parent = a.node AND c.node <> a.node
                 UNION ALL SELECT a.path, o.node FROM a JOIN nodes c ON c.parent = a.node AND c.node <> a.node JOIN nodes o ON o.parent = c.node)
    SELECT sub.path, count(DISTINCT sub.node) AS nodes, count(v.serial) AS versions
      FROM sub LEFT JOIN versions v ON v.node = sub.node GROUP BY sub.path`, [names]);
  for (const x of r.rows) out.set(x.path, { nodes: Number(x.nodes), versions: Number(x.versions) });
  return out;
}

/**
 * Account sets: equal under Python lower(), joined by one of step 2's merges (LINKS), or
 * resolving to one uuid (also an account named by the uuid another resolves to).
 */
async function accountSets(client: pg.PoolClient, map: string, uuids: UuidMap, links: [string, string][]): Promise<Map<string, string[]>> {
  const uf = new UnionFind<string>();
  for (const names of (await identifierCollisions(client, PITHOS_ACCOUNTS)).values()) for (const n of names) uf.union(n, names[0]!);
  await joinLinked(client, PITHOS_ACCOUNTS, links, uf);
  const byUuid = await client.query<{ names: string[] }>(`
    SELECT array_agg(n.path) AS names FROM nodes n LEFT JOIN ${map} m ON m.identifier = n.path
     WHERE n.parent = 0 AND n.node <> 0 GROUP BY coalesce(m.uuid, n.path) HAVING count(*) > 1`);
  for (const { names } of byUuid.rows) for (const n of names) uf.union(n, names[0]!);
  const out = new Map<string, string[]>();
  for (const members of uf.groups(2)) {
    members.sort(byCodeUnits);
    const folds = members.filter((m) => !uuids.isUuid(m)).map(pyLower).sort(byCodeUnits);
    out.set(folds[0] ?? members[0]!, members);
  }
  return new Map([...out].sort(([a], [b]) => byCodeUnits(a, b)));
}

interface Step2Target { deleted: string; into: string; survivorId: number }

/** The default merge target of a set, with the reasons. */
export function suggestInto(key: string, accounts: AccountHoldings[], step2: Step2Target[]): { into: string; reasons: string[] } {
  const reasons: string[] = [];
  const names = accounts.map((a) => a.name);
  const s2 = step2.find((t) => names.includes(t.into));
  if (s2) {
    const gone = [...new Set(step2.map((t) => t.deleted))].sort(byCodeUnits);
    reasons.push(`step 2 kept ${s2.into} (#${s2.survivorId}) and removed ${gone.join(', ')}: their files go to the survivor's account`);
    return { into: s2.into, reasons };
  }
  if (step2.length) reasons.push(`step 2 kept ${step2[0]!.into} (#${step2[0]!.survivorId}), which has no pithos account of that exact spelling`);
  const twins = accounts.filter((a) => a.astakos === 'known');
  if (twins.length === 1) {
    reasons.push(`${twins[0]!.name} is the astakos account's email exactly`);
    return { into: twins[0]!.name, reasons };
  }
  const score = (a: AccountHoldings): [number, bigint, number] => [a.objects, BigInt(a.bytes), a.containers];
  const better = (a: AccountHoldings, b: AccountHoldings): number => {
    const [x, y] = [score(a), score(b)];
    for (let i = 0; i < 3; i++) if (x[i]! !== y[i]!) return x[i]! > y[i]! ? -1 : 1;
    if (a.name === key) return -1;
    if (b.name === key) return 1;
    return byCodeUnits(a.name, b.name);
  };
  const best = [...accounts].sort(better)[0]!;
  const second = accounts.filter((a) => a !== best).sort(better)[0];
  reasons.push(second && better(best, second) !== 0 && score(best)[0] === score(second)[0] && score(best)[1] === score(second)[1]
    ? `tie on what they hold; ${best.name} ${best.name === key ? 'is the lowercase form' : 'comes first'}`
    : `${best.name} holds the most (${best.objects} objects, ${best.bytes} bytes)`);
  return { into: best.name, reasons };
}

/** The accounts among NAMES with an explicit quota (policy 'quota' on the account node): name → value. */
async function explicitQuotas(q: pg.PoolClient, names: string[]): Promise<Map<string, string>> {
  const r = await q.query<{ path: string; value: string }>(`SELECT n.path, p.value FROM nodes n JOIN policy p ON p.node = n.node AND p.key = 'quota'
                                                              WHERE n.parent = 0 AND n.node <> 0 AND n.path = ANY($1::text[])`, [names]);
  return new Map(r.rows.map((x) => [x.path, x.value]));
}

export const QUOTA_PREFIX = 'quota:';

/** The "quotas" answer: "as-0.12" (every survivor keeps its own quota), "larger", or per set key. */
export const parseQuotaChoices = limitChoices('{"maria.k@example.gr": "larger"}', pyLower);

/**
 * A merge into INTO that would give the survivor another quota than 0.12 applied to it (a merged
 * account's explicit quota is larger than the survivor's, or the survivor has none): the question.
 */
function quotaQuestion(set: DuplicateAccountSet, into: string, merge: string[]): QuotaQuestion | undefined {
  const d = set.accounts.find((a) => a.name === into);
  const rank = (v: string | undefined) => quotaRank(v) ?? -1n;
  const larger = set.accounts.filter((a) => merge.includes(a.name) && a.quota !== undefined && rank(a.quota) > rank(d?.quota));
  if (!larger.length) return undefined;
  const top = larger.reduce((x, y) => (rank(y.quota) > rank(x.quota) ? y : x));
  return {
    id: set.key, into,
    quotas: set.accounts.filter((a) => a.name === into || merge.includes(a.name)).map((a) => ({ name: a.name, quota: a.quota ?? null })),
    outcomes: { 'as-0.12': d?.quota ?? null, larger: top.quota! },
  };
}

const quotaText = (v: string | null): string => (v === null ? 'the default (PITHOS_BACKEND_QUOTA)' : v === '0' ? '0 (unlimited)' : `${v} bytes`);

/** A quota question as the plan says it: who had which quota, and what each choice gives the survivor. */
export function quotaLine(q: QuotaQuestion, choice?: LimitChoice): string {
  const had = q.quotas.map((x) => `${x.name}: ${quotaText(x.quota)}${x.name === q.into ? ' (the survivor\'s in 0.12)' : ''}`).join(', ');
  return `quota of ${q.into} after the merge: ${had} → ${choice ? `${choice}: ${quotaText(q.outcomes[choice])}` : `undecided: as-0.12 keeps ${quotaText(q.outcomes['as-0.12'])}, larger gives ${quotaText(q.outcomes.larger)}`}`;
}

async function inspect(ctx: StepContext, usersStep: string): Promise<Findings<PithosDuplicatesFindings>> {
  const uuids = await requiredUuidMap(ctx, usersStep, PITHOS_READS_UUIDS);
  const astakosDb = await ctx.db('astakos');
  const db = await ctx.db('pithos');
  const client = await db.pool.connect();
  try {
    await collectNames(client, 'snf_pn');
    await createMapTable(client, 'snf_pm');
    await fillMap(client, 'snf_pn', 'snf_pm', uuids);
    const found = await accountSets(client, 'snf_pm', uuids, crossFoldLinks(ctx.state, usersStep));
    const members = [...found.values()].flat();
    const owned = await pithosOwned(client, members);
    const sizes = await subtreeSizes(client, members);
    const quotas = await explicitQuotas(client, members);
    const exact = await astakosEmails(astakosDb.pool, members);
    const targets = [...mergeTargets(ctx.state, usersStep)].map(([deleted, t]) => ({ deleted, into: t.into, survivorId: t.survivorId, group: t.group }));

    const sets: DuplicateAccountSet[] = [...found].map(([key, names]) => {
      const accounts: AccountHoldings[] = names.map((name) => {
        const uuid = uuids.isUuid(name) ? name : uuids.lookup(pyLower(name));
        return {
          name, ...owned.get(name)!, astakos: exact.has(name) ? 'known' : 'unknown', ...(uuid ? { uuid } : {}),
          ...(sizes.get(name) ?? { nodes: 1, versions: 0 }), ...(quotas.has(name) ? { quota: quotas.get(name)! } : {}),
        };
      });
      const folds = new Set(names.filter((n) => !uuids.isUuid(n)).map(pyLower));
      const step2 = targets.filter((t) => t.group === key || folds.has(pyLower(t.into)) || folds.has(pyLower(t.deleted)));
      const { into, reasons } = suggestInto(key, accounts, step2);
      const uuidSet = new Set(accounts.map((a) => a.uuid ?? `-${a.name}`));
      if (accounts.some((a) => uuids.isUuid(a.name))) reasons.push('one of them is already named by the astakos uuid the others resolve to (0.13 pithos served this user already)');
      if (accounts.every((a) => !a.uuid)) reasons.push('astakos knows none of them: what is left stays under its e-mail name after 6.4 (asked below)');
      else if (uuidSet.size > 1 && accounts.some((a) => !a.uuid)) reasons.push('some of them resolve to no astakos user');
      const noTwin = accounts.filter((a) => a.astakos === 'unknown' && !uuids.isUuid(a.name)).map((a) => a.name);
      if (noTwin.length && noTwin.length < accounts.length) reasons.push(`no astakos user is spelled exactly ${noTwin.join(', ')}`);
      if (folds.size > 1) reasons.push('joined as step 2 joined their users (equal under the database\'s upper(), not under Python lower())');
      if (names.some((n) => !isAscii(n))) reasons.push('non-ASCII: grouped by Python lower() as 0.13 astakos folds, not by the database\'s lower()');
      if (names.some((n) => /[.+(\[*?\\^$|)]/.test(n))) reasons.push('regex metacharacters in the names: upstream --list-duplicate misreports or crashes on these; compared exactly here');
      return { key, accounts, suggested: { action: 'merge' as const, into }, reasons };
    });
    const unknown = await unresolvedAccounts(client, 'snf_pm', uuids);
    const memberCase = await memberCaseFindings(client, 'snf_pn', 'snf_pm', new Set(members));
    const unknownSizes = Object.fromEntries(await subtreeSizes(client, unknown));
    const latestRepair = (await readRevision(db.pool)).latestRepair;

    const summary: string[] = [];
    summary.push(sets.length === 0
      ? 'no pithos accounts that differ only in case'
      : `${sets.length} set(s) of pithos accounts that would become one account in 0.13, ${members.length} accounts`);
    const big = sets.filter((s) => s.accounts.length > 2).length;
    if (big) summary.push(`${big} set(s) of three or more`);
    const fromStep2 = sets.filter((s) => s.reasons.some((r) => r.startsWith('step 2 kept') && r.includes('go to'))).length;
    if (fromStep2) summary.push(`${fromStep2} set(s) match a duplicate group of step 2: merged by default into the account step 2 kept`);
    if (unknown.length) summary.push(`${unknown.length} account(s) astakos does not know (they stay under their names in 6.4 unless deleted): ${sample(unknown)}`);
    if (memberCase.groups.rows) summary.push(`${memberCase.groups.rows} group membership row(s) name a user in another case than a sibling row (de-duplicated)`);
    if (memberCase.permissions.rows) summary.push(`${memberCase.permissions.rows} permission entr(y/ies) repeat a grant in another case (de-duplicated)`);
    if (memberCase.paths.rows) summary.push(`${memberCase.paths.rows} permission/public row(s) on paths that differ only by the account's case (de-duplicated)`);
    return { summary, data: { sets, unknown, memberCase, unknownSizes, latestRepair } };
  } finally {
    await client.query('DROP TABLE IF EXISTS pg_temp.snf_pn; DROP TABLE IF EXISTS pg_temp.snf_pm').catch(() => undefined);
    client.release();
  }
}

// ------------------------------------------------------------------ decisions

/** Why DECISION cannot apply to SET, or undefined. */
export function invalidDecision(set: DuplicateAccountSet, d: AccountSetDecision): string | undefined {
  const names = set.accounts.map((a) => a.name);
  return invalidSetDecision(names, d, {
    noun: 'account', emptyDelete: 'a delete needs the accounts to delete', stillOne: 'would still be one account in 0.13',
    intoProblem: (into) => (names.includes(into) ? undefined : `${JSON.stringify(into)} is not one of the set's accounts (${names.join(', ')})`),
  });
}

export function resolveSets(sets: DuplicateAccountSet[], stored: Decisions, asker: Answers, step: string): { decided: DecidedSet<DuplicateAccountSet, AccountSetDecision>[]; open: string[]; notes: string[] } {
  return resolveSetDecisions<DuplicateAccountSet, AccountSetDecision>(sets, stored, asker, {
    step, invalid: invalidDecision,
    members: (set) => `accounts of this set: ${set.accounts.map((a) => a.name).join(', ')}`,
  });
}

/** The "unknown" answer: "keep" or "delete" for every unknown account, or per account. */
export const parseUnknownAccounts: AnswerParser<UnknownAccountDecision | Map<string, UnknownAccountDecision>> = (value, at) => {
  const keepOrDelete = (v: unknown): v is UnknownAccountDecision => v === 'keep' || v === 'delete';
  if (keepOrDelete(value)) return value;
  const entries = objectEntries(value);
  if (!entries) throw new AnswerError(`${answerName(at)} must be "keep", "delete", or an object of account → "keep" | "delete"`, exampleOf(at, '"keep"'));
  for (const [name, v] of entries) if (!keepOrDelete(v)) throw new AnswerError(`${answerName(at)} for ${name} must be "keep" or "delete"`, exampleOf(at, '"keep"'));
  return entries as Map<string, UnknownAccountDecision>;
};

/** Keep-or-delete for each unknown account that the set decisions leave in place. */
export function resolveUnknown(unknown: string[], stored: Decisions, asker: Answers, step: string): { keep: string[]; del: string[]; open: string[]; sources: Map<string, DecisionSource> } {
  const answers = asker.answer(step, 'unknown') as ReturnType<typeof parseUnknownAccounts> | undefined;
  const keep: string[] = [];
  const del: string[] = [];
  const open: string[] = [];
  const sources = new Map<string, DecisionSource>();
  for (const name of unknown) {
    let d: UnknownAccountDecision | undefined;
    let source: DecisionSource | undefined;
    const kept = stored.get(UNKNOWN_PREFIX + name);
    if (kept && (kept.value === 'keep' || kept.value === 'delete')) { d = kept.value; source = kept.source; }
    if (!d) {
      const a = answers instanceof Map ? answers.get(name) : answers;
      if (a !== undefined) {
        d = a;
        source = 'answers';
      }
    }
    if (!d && asker.acceptSuggestions) { d = 'keep'; source = 'suggested'; }
    if (!d) { open.push(name); continue; }
    sources.set(name, source!);
    (d === 'keep' ? keep : del).push(name);
  }
  return { keep, del, open, sources };
}

// ------------------------------------------------------------------ plan

function plan(findings: Findings<PithosDuplicatesFindings>, decisions: StepDecisions): Plan<PithosDuplicatesPlanData> {
  const data = findings.data!;
  const { decided, open, notes } = resolveSets(data.sets, decisions.stored, decisions.answers, decisions.step);
  const planned: PlannedSet[] = [];
  const removed = new Set<string>();
  const summary: string[] = [];
  let delNodes = 0;
  let delVersions = 0;
  let moveNodes = 0;
  let goneAccounts = 0;
  let delBytes = 0n;
  const questions: QuotaQuestion[] = [];
  for (const { set, decision } of decided) {
    const del = decision.action === 'delete' ? decision.delete ?? [] : [];
    const into = decision.into;
    const merge = set.accounts.map((a) => a.name).filter((n) => !del.includes(n) && into !== undefined && n !== into);
    const q = into !== undefined ? quotaQuestion(set, into, merge) : undefined;
    if (q) questions.push(q);
  }
  const quotas = resolveLimitChoices(questions, (q) => [q.id], QUOTA_PREFIX, decisions.stored,
    decisions.answers.answer(decisions.step, 'quotas') as LimitAnswers | undefined, decisions.answers);
  for (const { set, decision, source } of decided) {
    const del = decision.action === 'delete' ? decision.delete ?? [] : [];
    const into = decision.into;
    const merge = set.accounts.map((a) => a.name).filter((n) => !del.includes(n) && into !== undefined && n !== into);
    const takeQuota = quotas.choices.get(set.key)?.choice === 'larger';
    planned.push({ key: set.key, delete: del, merge, ...(into !== undefined ? { into } : {}), source, ...(takeQuota ? { takeQuota } : {}) });
    for (const a of set.accounts) {
      if (del.includes(a.name)) { delNodes += a.nodes; delVersions += a.versions; delBytes += BigInt(a.bytes); removed.add(a.name); goneAccounts++; }
      if (merge.includes(a.name)) { moveNodes += a.nodes - 1; removed.add(a.name); goneAccounts++; }
    }
    const what = [
      ...(del.length ? [`delete ${del.join(', ')} with everything in it`] : []),
      ...(merge.length ? [`merge ${merge.join(', ')} into ${into}`] : []),
    ].join('; ') || 'nothing to do';
    summary.push(`${set.key}: ${what} [${source}]`);
  }
  const unknownLeft = data.unknown.filter((n) => !removed.has(n));
  const u = resolveUnknown(unknownLeft, decisions.stored, decisions.answers, decisions.step);
  for (const a of u.del) summary.push(`${a}: unknown to astakos — delete with everything in it [${u.sources.get(a)}]`);
  if (u.keep.length) summary.push(`${u.keep.length} account(s) unknown to astakos kept under their names (unreachable from 0.13 until astakos knows them): ${sample(u.keep)}`);
  for (const a of u.del) {
    const size = data.unknownSizes[a];
    if (size) { delNodes += size.nodes; delVersions += size.versions; }
  }
  const mc = data.memberCase;
  const mcRows = mc.groups.rows + mc.permissions.rows + mc.paths.rows;
  if (mcRows) summary.push(`remove ${mcRows} row(s) that repeat a membership, grant or path in another case (they would collide in 6.4)`);
  const repair = (planned.length > 0 || u.del.length > 0) && data.latestRepair;
  if (repair) summary.push('alembic is below 3dd56e750a3: nodes.latest_version is repaired first (that revision, as upstream runs it), so that merges see each object\'s current version');
  if (!data.sets.length && !u.del.length && !mcRows) summary.push('nothing to merge or delete');
  if (open.length) summary.push(`${open.length} set(s) undecided: ${sample(open)}`);
  if (u.open.length) summary.push(`${u.open.length} unknown account(s) undecided (keep or delete): ${sample(u.open)}`);
  // A merge that would change the survivor's quota from what 0.12 applied is the operator's call.
  if (quotas.open.length) summary.push(`${quotas.open.length} merge(s) would give the survivor another quota than 0.12 did: decide each (as-0.12 keeps the survivor's; answers: "quotas")`);
  const quotaLines = questions.map((q) => `${q.id}: ${quotaLine(q, quotas.choices.get(q.id)?.choice)}`);
  summary.push(...quotaLines);
  summary.push(...notes);
  if (planned.length || u.del.length) summary.push(ON_DISK_NOTE);

  const changes: TableChange[] = [];
  const add = (table: string, action: TableChange['action'], rows: number) => { if (rows > 0) changes.push({ service: 'pithos', table, action, rows }); };
  add('nodes', 'update', moveNodes);
  add('nodes', 'delete', delNodes + goneAccounts - planned.reduce((n, p) => n + p.delete.length, 0));
  add('versions', 'delete', delVersions);
  add('groups', 'delete', mc.groups.rows);
  add('xfeaturevals', 'delete', mc.permissions.rows);

  const planData: PithosDuplicatesPlanData = {
    sets: planned, deleteUnknown: u.del, keepUnknown: u.keep, open: [...open, ...u.open, ...quotas.open.map((q) => QUOTA_PREFIX + q.id)], memberCaseRows: mcRows,
    quotas: [...quotas.choices].map(([id, c]) => ({ id, ...c })),
  };
  const result: Plan<PithosDuplicatesPlanData> = { summary, changes, open: open.length + u.open.length + quotas.open.length, questions: quotaLines, data: planData };
  const merges = planned.reduce((n, p) => n + p.merge.length, 0);
  const deletes = planned.reduce((n, p) => n + p.delete.length, 0) + u.del.length;
  if (merges || deletes) {
    result.destructive = {
      what: `Step 6.2 ${merges ? `merges ${merges} pithos account(s) into their survivors (files, history, permissions, public links and groups move; the merged accounts' own nodes go)` : ''}`
        + `${merges && deletes ? ' and ' : ''}${deletes ? `deletes ${deletes} account(s) with every row they hold (${delBytes} bytes of live files in sets)` : ''}. ${ON_DISK_NOTE}`,
      confirmWord: deletes ? 'delete' : 'merge',
    };
  }
  return result;
}

// ------------------------------------------------------------------ apply

/**
 * The member-case batch's key: named by the step's stored decisions, so every attempt that
 * goes by the same decisions (a resume, a re-run) finds the batch done; new decisions run it again.
 */
export function memberCaseBatch(state: StateFile, step: string): string {
  const decisions = [...state.getDecisions(step)].map(([k, d]) => [k, d.value]).sort((a, b) => byCodeUnits(a[0] as string, b[0] as string));
  return `member case ${createHash('sha256').update(JSON.stringify(decisions)).digest('hex').slice(0, 16)}`;
}

async function apply(ctx: StepContext, p: Plan<PithosDuplicatesPlanData>, usersStep: string): Promise<ApplyResult> {
  const data = p.data!;
  // The decisions this run goes by, so a resumed run keeps doing the same.
  ctx.state.transaction(() => {
    for (const s of data.sets) {
      const value: AccountSetDecision = s.delete.length
        ? { action: 'delete', delete: s.delete, ...(s.into !== undefined && s.merge.length ? { into: s.into } : {}) }
        : { action: 'merge', into: s.into! };
      ctx.state.setDecision(ctx.step, s.key, value, s.source);
    }
    for (const a of data.deleteUnknown) if (!ctx.state.getDecision(ctx.step, UNKNOWN_PREFIX + a)) ctx.state.setDecision(ctx.step, UNKNOWN_PREFIX + a, 'delete', 'answers');
    for (const a of data.keepUnknown) if (!ctx.state.getDecision(ctx.step, UNKNOWN_PREFIX + a)) ctx.state.setDecision(ctx.step, UNKNOWN_PREFIX + a, 'keep', ctx.asker.acceptSuggestions ? 'suggested' : 'answers');
    for (const q of data.quotas ?? []) ctx.state.setDecision(ctx.step, QUOTA_PREFIX + q.id, q.choice, q.source);
  });
  const uuids = await stepUuidMap(ctx, usersStep);
  const pool = (await ctx.db('pithos')).pool;
  const units: SetOps[] = [
    ...data.sets.map((s) => ({ key: s.key, delete: s.delete, merge: s.merge, ...(s.into !== undefined ? { into: s.into } : {}), ...(s.takeQuota ? { takeQuota: true } : {}) })),
    ...data.deleteUnknown.map((name) => ({ key: `unknown ${name}`, delete: [name], merge: [] })),
  ];
  let rows = 0;
  let batches = 0;
  const notes: string[] = [];
  if (units.length) {
    // merges must see each object's current version: a database below 3dd56e750a3 gets that revision first
    const repaired = await runLatestRepair(ctx);
    if (repaired === undefined) return { stopped: true, rows, summary: ['stopped while repairing latest_version; run the step again to continue'] };
    if (repaired) notes.push(`3dd56e750a3: latest_version repaired on ${repaired} node(s) before merging; alembic_version stamped 3dd56e750a3`);
    rows += repaired;
  }
  let merged = 0;
  let deleted = 0;
  const total = units.length + 1;
  let noted = notes.length;
  let memberCaseRows = 0;
  if (units.length) await createHelperIndexes(pool);
  // the helper indexes go again however the loop ends (done, stopped, or failed)
  try {
    for (let i = 0; i < units.length; i++) {
      const u = units[i]!;
      if (ctx.stopRequested()) return { stopped: true, rows, summary: [`stopped after ${i} of ${units.length} set(s); run the step again to continue`] };
      ctx.progress({ table: 'pithos accounts', unit: 'accounts', done: i, total, batch: i + 1, batches: total });
      // a set whose accounts hold few objects is one transaction; bigger ones go in chunks of objects
      if (await objectCount(pool, [...u.delete, ...u.merge]) <= objectChunk()) {
        const r = await applySetInOne(ctx, u);
        rows += r.rows;
        batches += r.batches;
        notes.push(...r.notes);
      } else {
        for (const [kind, name] of [...u.delete.map((n) => ['delete', n] as const), ...u.merge.map((n) => ['merge', n] as const)]) {
          const r = kind === 'merge' ? await mergeAccount(ctx, name, u.into!, u.takeQuota ?? false) : await deleteAccount(ctx, name);
          rows += r.rows;
          batches += r.batches;
          notes.push(...r.notes);
          if (r.stopped) return { stopped: true, rows, summary: [`stopped during the ${kind} of ${name}; run the step again to continue`] };
        }
      }
      merged += u.merge.length;
      deleted += u.delete.length;
      for (const n of notes.slice(noted)) ctx.log('info', n);
      noted = notes.length;
      ctx.log('info', `${u.key}: ${[...(u.delete.length ? [`deleted ${u.delete.join(', ')}`] : []), ...(u.merge.length ? [`merged ${u.merge.join(', ')} into ${u.into}`] : [])].join('; ')}`);
    }
    if (ctx.stopRequested()) return { stopped: true, rows, summary: ['stopped before the last batch; run the step again to continue'] };
    ctx.progress({ table: 'member case', unit: 'sets', done: units.length, total, batch: total, batches: total });
    const mc = await ctx.batch('pithos', memberCaseBatch(ctx.state, ctx.step), (client, keep) => dedupeMemberCase(client, keep, uuids));
    rows += mc.rows;
    memberCaseRows = mc.rows;
  } finally {
    await dropHelperIndexes(pool);
  }
  ctx.progress({ table: 'member case', unit: 'sets', done: total, total, batch: total, batches: total });
  const quota = notes.filter((n) => / quota of /.test(n));
  const other = notes.filter((n) => !/ quota of /.test(n));
  return {
    rows,
    summary: [
      `merged ${merged} and deleted ${deleted} pithos account(s) (${rows} rows changed in ${batches + 1} batch(es))`,
      ...(memberCaseRows ? [`removed ${memberCaseRows} row(s) that repeated a membership, grant or path in another case`] : []),
      ...(data.keepUnknown.length ? [`kept ${data.keepUnknown.length} account(s) astakos does not know: ${sample(data.keepUnknown)}`] : []),
      ...other.slice(0, LIST_LIMIT),
      ...(other.length > LIST_LIMIT ? [`… and ${other.length - LIST_LIMIT} more such note(s) in the log`] : []),
      ...(quota.length > 5 ? [`${quota.length} surviving account(s) took over a merged account's explicit quota (it was larger, or theirs was the default), e.g. ${quota.slice(0, 3).join('; ')}`] : quota),
      ON_DISK_NOTE,
    ],
  };
}

// ------------------------------------------------------------------ verify

async function verify(ctx: StepContext, usersStep: string): Promise<Check[]> {
  const uuids = await requiredUuidMap(ctx, usersStep, PITHOS_READS_UUIDS);
  const db = await ctx.db('pithos');
  const client = await db.pool.connect();
  const checks: Check[] = [];
  try {
    await collectNames(client, 'snf_pn');
    await createMapTable(client, 'snf_pm');
    await fillMap(client, 'snf_pn', 'snf_pm', uuids);
    const sets = await accountSets(client, 'snf_pm', uuids, crossFoldLinks(ctx.state, usersStep));
    checks.push({
      label: 'no two pithos accounts become one in 0.13', ok: sets.size === 0,
      detail: sets.size ? `${sets.size} set(s) left: ${sample([...sets.values()].map((s) => s.join(' / ')))}` : 'none',
    });
    const collisions = (await findCollisions(client, 'snf_pn', 'snf_pm')).filter((c) => c.groups > 0);
    checks.push({
      label: 'the uuid rewrite (6.4) meets no collision', ok: collisions.length === 0,
      detail: collisions.length ? collisions.map(describeCollision).join('; ') : 'none',
    });
    const gone: string[] = [];
    const drift: string[] = [];
    for (const [key, d] of ctx.state.getDecisions(ctx.step)) {
      if (key.startsWith(UNKNOWN_PREFIX)) {
        if (d.value === 'delete' && (await accountNode(client, key.slice(UNKNOWN_PREFIX.length))) !== undefined) gone.push(key.slice(UNKNOWN_PREFIX.length));
        continue;
      }
      const dec = d.value as AccountSetDecision;
      for (const a of dec.delete ?? []) if ((await accountNode(client, a)) !== undefined) gone.push(a);
      if (dec.into !== undefined) {
        const node = await accountNode(client, dec.into);
        if (node !== undefined && (await accountDrift(client, node)) > 0) drift.push(dec.into);
      }
    }
    checks.push({ label: 'accounts decided for deletion are gone', ok: gone.length === 0, detail: gone.length ? `still there: ${sample(gone)}` : 'yes' });
    checks.push({ label: 'statistics of the merged accounts match their files', ok: drift.length === 0, detail: drift.length ? `differ: ${sample(drift)}` : 'yes' });
  } finally {
    await client.query('DROP TABLE IF EXISTS pg_temp.snf_pn; DROP TABLE IF EXISTS pg_temp.snf_pm').catch(() => undefined);
    client.release();
  }
  return checks;
}

/** The step; USERSSTEP is the one that removed duplicate astakos users (its merges are the defaults here). */
export const pithosDuplicates = ({ usersStep }: { usersStep: string }): StepModule<PithosDuplicatesFindings, PithosDuplicatesPlanData> => ({
  inspect: (ctx) => inspect(ctx, usersStep),
  plan,
  apply: (ctx, p) => apply(ctx, p, usersStep),
  verify: (ctx) => verify(ctx, usersStep),
});
