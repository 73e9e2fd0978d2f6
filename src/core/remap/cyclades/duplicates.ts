// Step 6.1: cyclades owners that differ only in case. Upstream's --validate lists them
// badly and its --merge-user always merges into lower(arg) (cyclades.md §2.4, §2.7); here
// every set of any size is shown with what each member owns, the operator merges it into
// one exact identifier (by default the survivor step 2 kept) or deletes some members' rows,
// and each set is one exactly-once batch.
import type pg from 'pg';
import { mergeTargets } from '../../dedup/decide.js';
import { byCodeUnits } from '../../dedup/fold.js';
import { isAscii, pyLower } from '../../fold.js';
import type {
  Answers, ApplyResult, BeforeImage, Check, Decisions, DecisionSource, Findings, Plan, StepContext, StepDecisions, StepModule, TableChange,
} from '../../step.js';
import { reachedRows } from '../../cascade.js';
import { requiredUuidMap } from '../uuids.js';
import { deleteOwned, loadOwnerCascade, ownersReach } from './cascade.js';
import {
  astakosEmails, caseSets, eachIdentifier, isEmailish, known, OWNER_TABLES, ownedBy, totalOwned,
} from './identifiers.js';
import type { DuplicateSet, DuplicatesFindings, DuplicatesPlanData, SetDecision, SetMember } from './types.js';
import { changedWhileRunning } from '../../errors.js';
import { crossFoldLinks, invalidSetDecision, resolveSetDecisions } from '../sets.js';

export const SET_BATCH_PREFIX = 'set:';

const LIST_LIMIT = 20;
const sample = (list: string[]): string => (list.length > LIST_LIMIT ? `${list.slice(0, LIST_LIMIT).join(', ')}, … (${list.length} in all)` : list.join(', '));

// ------------------------------------------------------------------ inspect

export async function inspectDuplicates(ctx: StepContext, usersStep: string): Promise<Findings<DuplicatesFindings>> {
  const uuids = await requiredUuidMap(ctx, usersStep);
  const astakos = (await ctx.db('astakos')).pool;
  const cyc = (await ctx.db('cyclades')).pool;

  const found = await caseSets(cyc, crossFoldLinks(ctx.state, usersStep));
  const members = [...found.values()].flat();
  const owned = await ownedBy(cyc, members);
  const exact = await astakosEmails(astakos, [...found.keys()]);
  const targets = mergeTargets(ctx.state, usersStep);

  const sets: DuplicateSet[] = [...found].map(([key, ids]) => {
    const identifiers: SetMember[] = ids.map((id) => ({ id, ...owned.get(id)!, astakos: known(uuids, id) ? 'known' : 'unknown' }));
    const folds = new Set(ids.map(pyLower));
    const { into, reasons } = suggestInto(key, identifiers, exact.get(key), [...targets].filter(([email, t]) =>
      t.group === key || folds.has(pyLower(t.into)) || folds.has(pyLower(email))).map(([email, t]) => ({ email, ...t })));
    if (folds.size > 1) reasons.push('joined as step 2 joined their users (equal under the database\'s upper(), not under Python lower())');
    if (ids.some((id) => !isAscii(id))) {
      reasons.push('non-ASCII: grouped by Python lower() as 0.13 astakos folds; upstream\'s merge (SQL UPPER) may miss these variants');
    }
    if (identifiers.every((m) => m.astakos === 'unknown')) {
      reasons.push('astakos knows none of them: step 6.3 asks what to do with the identifier left');
    }
    return { key, identifiers, suggested: { action: 'merge' as const, into }, reasons };
  });

  const notEmail: string[] = [];
  const unknown: string[] = [];
  let identifiers = 0;
  let uuidsSeen = 0;
  await eachIdentifier(cyc, (id) => {
    identifiers++;
    if (uuids.isUuid(id)) { uuidsSeen++; return; }
    if (!isEmailish(id)) notEmail.push(id);
    if (!known(uuids, id)) unknown.push(id);
  });
  notEmail.sort(byCodeUnits);
  unknown.sort(byCodeUnits);

  const summary: string[] = [];
  const dupIds = sets.reduce((n, s) => n + s.identifiers.length, 0);
  summary.push(sets.length === 0
    ? `no cyclades owners that differ only in case (${identifiers} distinct identifiers)`
    : `${sets.length} set(s) of owners that differ only in case, ${dupIds} identifiers (of ${identifiers})`);
  const big = sets.filter((s) => s.identifiers.length > 2).length;
  if (big) summary.push(`${big} set(s) of three or more (upstream's merge handles them, its validation lists them badly)`);
  const fromStep2 = sets.filter((s) => s.reasons.some((r) => r.startsWith('step 2'))).length;
  if (fromStep2) summary.push(`${fromStep2} set(s) match a duplicate group of step 2: merged by default into the account step 2 kept`);
  if (uuidsSeen) summary.push(`${uuidsSeen} identifier(s) already are astakos uuids`);
  if (notEmail.length) summary.push(`${notEmail.length} identifier(s) are not emails (upstream skips them with a warning): ${sample(notEmail)}`);
  if (unknown.length) summary.push(`${unknown.length} identifier(s) astakos does not know (step 6.3 asks about each): ${sample(unknown)}`);
  const reach = members.length ? await ownersReach(cyc, members) : [];
  return { summary, data: { sets, notEmail, unknown, reach } };
}

interface Step2Target { email: string; into: string; survivorId: number; deletedIds: number[]; group: string }

/** The default merge target of a set, with the reasons. */
export function suggestInto(key: string, members: SetMember[], astakosEmail: string | undefined, step2: Step2Target[]): { into: string; reasons: string[] } {
  const reasons: string[] = [];
  if (step2.length) {
    const into = step2[0]!.into;
    const gone = step2.map((t) => t.email).sort(byCodeUnits);
    reasons.push(`step 2 kept ${into} (#${step2[0]!.survivorId}) and removed ${gone.join(', ')}: their cyclades rows go to the survivor`);
    if (!members.some((m) => m.id === into)) reasons.push(`${into} owns nothing in cyclades yet; every member is renamed to it`);
    return { into, reasons };
  }
  if (astakosEmail !== undefined && members.some((m) => m.id === astakosEmail)) {
    reasons.push(`${astakosEmail} is the astakos account's email exactly (the variant 0.12 cyclades used for this user)`);
    return { into: astakosEmail, reasons };
  }
  const most = Math.max(...members.map(totalOwned));
  const best = members.filter((m) => totalOwned(m) === most);
  if (best.length === 1) {
    reasons.push(`${best[0]!.id} owns the most (${describeOwned(best[0]!)})`);
    return { into: best[0]!.id, reasons };
  }
  const lower = best.find((m) => m.id === key);
  const into = lower?.id ?? best.map((m) => m.id).sort(byCodeUnits)[0]!;
  reasons.push(lower ? `tie on what they own; ${into} is the lowercase form (what upstream's merge produces)` : `tie on what they own; ${into} comes first`);
  return { into, reasons };
}

export const describeOwned = (m: { vms_live: number; vms_deleted: number; networks: number; keys: number }): string =>
  `${m.vms_live} live VMs, ${m.vms_deleted} deleted VMs, ${m.networks} networks, ${m.keys} keys`;

// ------------------------------------------------------------------ decisions

export interface ResolvedSet {
  set: DuplicateSet;
  decision: SetDecision;
  source: DecisionSource;
}

export interface SetResolution {
  decided: ResolvedSet[];
  open: string[];
  notes: string[];
}

/** Why DECISION cannot apply to SET, or undefined. */
export function invalidDecision(set: DuplicateSet, d: SetDecision): string | undefined {
  const ids = set.identifiers.map((m) => m.id);
  const folds = new Set([set.key, ...ids.map(pyLower), pyLower(set.suggested.into)]);
  return invalidSetDecision(ids, d, {
    noun: 'identifier', emptyDelete: 'a delete needs the identifiers whose rows go', stillOne: 'would still differ only in case',
    intoProblem: (into) => (folds.has(pyLower(into)) ? undefined : `${JSON.stringify(into)} is not a case variant of ${[...folds].join(' / ')}`),
  });
}

export function resolveSets(sets: DuplicateSet[], stored: Decisions, asker: Answers, step: string): SetResolution {
  return resolveSetDecisions<DuplicateSet, SetDecision>(sets, stored, asker, {
    step, invalid: invalidDecision,
    members: (set) => `members of this set: ${set.identifiers.map((m) => m.id).join(', ')}`,
  });
}

// ------------------------------------------------------------------ plan

export function planDuplicates(findings: Findings<DuplicatesFindings>, decisions: StepDecisions): Plan<DuplicatesPlanData> {
  const data = findings.data!;
  const { decided, open, notes } = resolveSets(data.sets, decisions.stored, decisions.answers, decisions.step);
  const updates = { db_virtualmachine: 0, db_network: 0, userdata_publickeypair: 0 };
  const toDelete: string[] = [];
  const summary: string[] = [];
  const planSets: DuplicatesPlanData['sets'] = [];
  for (const { set, decision, source } of decided) {
    const del = decision.action === 'delete' ? decision.delete ?? [] : [];
    toDelete.push(...del);
    const movers = set.identifiers.filter((m) => !del.includes(m.id) && decision.into !== undefined && m.id !== decision.into);
    for (const m of movers) {
      updates.db_virtualmachine += m.vms_live + m.vms_deleted;
      updates.db_network += m.networks;
      updates.userdata_publickeypair += m.keys;
    }
    const gone = set.identifiers.filter((m) => del.includes(m.id));
    const deletes = gone.reduce((a, m) => ({
      vms_live: a.vms_live + m.vms_live, vms_deleted: a.vms_deleted + m.vms_deleted, networks: a.networks + m.networks, keys: a.keys + m.keys,
    }), { vms_live: 0, vms_deleted: 0, networks: 0, keys: 0 });
    planSets.push({ key: set.key, action: decision.action, ...(decision.into !== undefined ? { into: decision.into } : {}),
      ...(del.length ? { delete: del, deletes } : {}), source });
    const what = decision.action === 'merge'
      ? `merge ${movers.map((m) => m.id).join(', ') || '(nothing to move)'} into ${decision.into}`
      : `delete the rows of ${del.join(', ')} (${describeOwned(deletes)})${movers.length ? `; merge ${movers.map((m) => m.id).join(', ')} into ${decision.into}` : ''}`;
    summary.push(`${set.key}: ${what} [${source}]`);
  }
  const changes: TableChange[] = [];
  if (toDelete.length) {
    for (const c of reachedRows(data.reach, toDelete)) {
      if (c.rows) changes.push({ service: 'cyclades', table: c.table, action: 'delete', rows: c.rows });
    }
  }
  for (const t of OWNER_TABLES) if (updates[t.table]) changes.push({ service: 'cyclades', table: t.table, action: 'update', rows: updates[t.table] });
  if (!data.sets.length) summary.push('nothing to merge or delete');
  if (open.length) summary.push(`${open.length} set(s) undecided: ${sample(open)}`);
  summary.push(...notes);
  const plan: Plan<DuplicatesPlanData> = { summary, changes, open: open.length, data: { sets: planSets, open } };
  if (toDelete.length) {
    const rows = changes.filter((c) => c.action === 'delete').reduce((n, c) => n + c.rows, 0);
    plan.destructive = {
      what: `Step 6.1 deletes the cyclades rows of ${toDelete.length} identifier(s) (${rows} rows in all: VMs, networks, keys and the NICs, metadata, diagnostics and backend networks that go with them); Ganeti instances and IP pools are not touched`,
      confirmWord: 'delete',
    };
  }
  return plan;
}

// ------------------------------------------------------------------ apply

/** Rewrites the owner columns of FROM's rows to TO, handing pk + old owner of each row to KEEP. */
export async function renameOwners(client: pg.PoolClient, from: string[], to: string, keep: (images: BeforeImage[]) => void): Promise<number> {
  if (!from.length) return 0;
  let n = 0;
  for (const t of OWNER_TABLES) {
    const old = await client.query<{ id: number; owner: string }>(
      `SELECT id, ${t.column} AS owner FROM ${t.table} WHERE ${t.column} = ANY($1::text[]) ORDER BY id`, [from]);
    if (!old.rows.length) continue;
    const col = t.column.replace(/"/g, '');
    keep(old.rows.map((r) => ({ service: 'cyclades', table: t.table, action: 'update', pk: { id: r.id }, row: { id: r.id, [col]: r.owner } })));
    const upd = await client.query(`UPDATE ${t.table} SET ${t.column} = $2 WHERE ${t.column} = ANY($1::text[])`, [from, to]);
    if (upd.rowCount !== old.rows.length) throw changedWhileRunning('cyclades', `the ${t.table} owners being merged (read ${old.rows.length}, rewrote ${upd.rowCount})`);
    n += upd.rowCount;
  }
  return n;
}

export async function applyDuplicates(ctx: StepContext, plan: Plan<DuplicatesPlanData>, usersStep: string): Promise<ApplyResult> {
  const data = plan.data!;
  // The decisions this run goes by, so a resumed run keeps doing the same.
  ctx.state.transaction(() => {
    for (const s of data.sets) {
      const value: SetDecision = { action: s.action, ...(s.into !== undefined ? { into: s.into } : {}), ...(s.delete ? { delete: s.delete } : {}) };
      ctx.state.setDecision(ctx.step, s.key, value, s.source);
    }
  });
  const cyc = (await ctx.db('cyclades')).pool;
  const cascade = data.sets.some((s) => s.delete?.length) ? await loadOwnerCascade(cyc) : undefined;
  const found = await caseSets(cyc, crossFoldLinks(ctx.state, usersStep));
  let rows = 0;
  let merged = 0;
  let deleted = 0;
  let skipped = 0;
  const total = data.sets.length;
  for (let i = 0; i < total; i++) {
    if (ctx.stopRequested()) {
      return { stopped: true, rows, summary: [`stopped after ${i} of ${total} set(s); run the step again to continue`] };
    }
    const s = data.sets[i]!;
    ctx.progress({ table: 'duplicate sets', unit: 'sets', done: i, total, batch: i + 1, batches: total });
    const members = found.get(s.key) ?? [];
    const result = await ctx.batch('cyclades', SET_BATCH_PREFIX + s.key, async (client, keep) => {
      let n = 0;
      const del = s.delete ?? [];
      if (del.length) {
        for (const c of (await deleteOwned(client, cascade!, del, keep)).values()) n += c;
      }
      if (s.into !== undefined) n += await renameOwners(client, members.filter((m) => m !== s.into && !del.includes(m)), s.into, keep);
      return n;
    });
    if (result.skipped) { skipped++; continue; }
    rows += result.rows;
    if (s.action === 'merge') merged++; else deleted++;
  }
  ctx.progress({ table: 'duplicate sets', unit: 'sets', done: total, total, batch: total, batches: total });
  const summary = [total === 0 ? 'no duplicate owners: nothing changed'
    : `${merged} set(s) merged, ${deleted} with rows deleted, ${rows} row(s) changed${skipped ? `; ${skipped} set(s) had committed before` : ''}`];
  return { rows, summary };
}

// ------------------------------------------------------------------ verify

export async function verifyDuplicates(ctx: StepContext, usersStep: string): Promise<Check[]> {
  const left = await caseSets((await ctx.db('cyclades')).pool, crossFoldLinks(ctx.state, usersStep));
  return [{
    label: 'no cyclades owners that differ only in case',
    ok: left.size === 0,
    ...(left.size ? { detail: `${left.size} set(s) left: ${sample([...left.values()].map((ids) => ids.join(' / ')))}` } : {}),
  }];
}

/** The step; USERSSTEP is the one that removed duplicate astakos users (its merges are the defaults here). */
export const cycladesDuplicates = ({ usersStep }: { usersStep: string }): StepModule<DuplicatesFindings, DuplicatesPlanData> => ({
  inspect: (ctx) => inspectDuplicates(ctx, usersStep),
  plan: planDuplicates,
  apply: (ctx, plan) => applyDuplicates(ctx, plan, usersStep),
  verify: (ctx) => verifyDuplicates(ctx, usersStep),
});
