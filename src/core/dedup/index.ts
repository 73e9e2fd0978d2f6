// Astakos users whose emails differ only in case, in two steps:
//   findDuplicates   — the conflict table (astakos + what each owns in cyclades/pithos),
//                      with a suggested survivor per group. Read-only.
//   removeDuplicates — deletes the non-survivors with Django 0.12.5's cascade, in
//                      exactly-once batches with before-images; undo restores them.
import { createHash } from 'node:crypto';
import { detectSchema, describeVersion } from '../../db/detect.js';
import { forgetBatches, inTransaction, JOURNAL_TABLE } from '../../db/journal.js';
import { forgetSecrets, stashedKeys, unstashSecrets } from '../../db/secrets.js';
import { UserError } from '../../errors.js';
import type { ApplyResult, Check, Findings, Plan, StepContext, StepModule, TableChange } from '../step.js';
import { reachedRows } from '../cascade.js';
import {
  danglingReferences, deleteUsers, fixSequence, fixTextFormats, insertRows, loadCascade, referenceGraph, referencesTo, ROOT_TABLE, usersReach,
} from './cascade.js';
import { forgetAppliedDecisions, resolveSurvivors, storeDecisions } from './decide.js';
import { astakosCollisions, inspectDuplicates } from './inspect.js';
import type { DedupFindings, DedupPlanData, RemoveFindings } from './types.js';
import { decidedBy } from '../../format.js';

export type {
  DedupFindings, DedupPlanData, DuplicateGroup, DuplicateUser, CycladesOwned, GroupDecision, PithosOwned, RemoveFindings,
} from './types.js';
export { mergeTargets, MERGE_PREFIX, parseSurvivors, type MergeTarget } from './decide.js';
export { pyLower } from '../fold.js';
export { astakosCollisions, identifierCollisions, CYCLADES_IDENTIFIERS, PITHOS_ACCOUNTS } from './inspect.js';

/** Users deleted per batch (one transaction each; SNF_UPGRADE_USERS_BATCH overrides, for tests). */
export const USERS_PER_BATCH = Number(process.env.SNF_UPGRADE_USERS_BATCH) > 0 ? Math.floor(Number(process.env.SNF_UPGRADE_USERS_BATCH)) : 500;


async function inspect(ctx: StepContext): Promise<Findings<DedupFindings>> {
  const { data, summary } = await inspectDuplicates(ctx);
  return { summary, data };
}

/** At most MAX lines of LINES, then one line saying how many more there are. */
function capped(lines: string[], max = 50, where = 'plan --json lists them all'): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max), `… and ${lines.length - max} more (${where})`];
}

const groupLine = (g: DedupFindings['groups'][number]): string =>
  `${g.key}: ${g.users.map((u) => `#${u.id} ${u.email}${u.is_active ? '' : ' (inactive)'}`).join(', ')} — suggested #${g.suggested}`;

/** The read-only step; REMOVESTEP is the step that deletes the duplicates once decided. */
export const findDuplicates = ({ removeStep }: { removeStep: string }): StepModule<DedupFindings, undefined> => ({
  inspect,
  plan(findings) {
    const data = findings.data!;
    return {
      summary: data.groups.length
        ? [...capped(data.groups.map(groupLine)), `step ${removeStep} deletes all but one user of each group, once each survivor is decided`]
        : ['nothing to decide'],
      changes: [],
    };
  },
  async apply(_ctx, plan) {
    return { summary: plan.summary, rows: 0 };
  },
});

/** Deterministic batches: ascending ids in fixed-size chunks, named by their content. */
export function batchesOf(ids: number[], size = USERS_PER_BATCH): { key: string; ids: number[] }[] {
  const out: { key: string; ids: number[] }[] = [];
  for (let i = 0; i < ids.length; i += size) {
    const chunk = ids.slice(i, i + size);
    const digest = createHash('sha256').update(chunk.join(',')).digest('hex').slice(0, 12);
    out.push({ key: `users ${chunk[0]}-${chunk[chunk.length - 1]} n${chunk.length} ${digest}`, ids: chunk });
  }
  return out;
}

/**
 * The deleting step. FINDSTEP shows the groups; SCHEMASTEP migrates the astakos schema (undo
 * is refused once it ran).
 */
export const removeDuplicates = ({ findStep, schemaStep }: { findStep: string; schemaStep: string }): StepModule<RemoveFindings, DedupPlanData> => ({
  async inspect(ctx) {
    const { data, summary } = await inspectDuplicates(ctx);
    const users = data.groups.flatMap((g) => g.users.map((u) => u.id));
    const reach = data.groups.length ? await usersReach((await ctx.db('astakos')).pool, users) : [];
    return { summary, data: { ...data, reach } };
  },

  plan(findings, decisions) {
    const data = findings.data!;
    const { decided, open, notes } = resolveSurvivors(data.groups, decisions.stored, decisions.answers, decisions.step);
    const deleteIds = decided.flatMap((d) => d.deleted.map((x) => x.id)).sort((a, b) => a - b);
    const planData: DedupPlanData = { decisions: decided, deleteIds };
    const summary = [
      ...(open.length ? [`${open.length} group(s) undecided: ${open.slice(0, 10).join(', ')}${open.length > 10 ? ', …' : ''}`] : []),
      ...capped(decided.map((d) => `${d.key}: keep #${d.survivor} (${d.source}), delete ${d.deleted.map((x) => `#${x.id}`).join(', ')}`)),
      ...notes,
    ];
    if (!data.groups.length) return { summary: ['no duplicate users: nothing to delete'], changes: [], data: planData };
    const counts = reachedRows(data.reach, deleteIds);
    const changes: TableChange[] = counts.filter((c) => c.rows > 0).map((c) => ({ service: 'astakos', table: c.table, action: 'delete', rows: c.rows }));
    const n = deleteIds.length;
    const plan: Plan<DedupPlanData> = { summary, changes, data: planData };
    if (open.length) plan.open = open.length;
    if (n > 0) plan.destructive = { what: `Delete ${n} astakos users and every row that depends on them?`, confirmWord: String(n) };
    return plan;
  },

  async apply(ctx, plan): Promise<ApplyResult> {
    const data = plan.data!;
    if (!data.deleteIds.length) return { summary: ['no duplicate users: nothing deleted'], rows: 0 };
    storeDecisions(ctx.state, ctx.step, data.decisions);
    for (const d of data.decisions) {
      ctx.log('info', `${d.key}: keeping #${d.survivor} ${d.survivorEmail} (${decidedBy(d.source)}); deleting ${d.deleted.map((x) => `#${x.id} ${x.email}`).join(', ')}`);
    }
    const survivorOf = new Map<number, number>();
    for (const d of data.decisions) for (const x of d.deleted) survivorOf.set(x.id, d.survivor);

    const pool = (await ctx.db('astakos')).pool;
    const cascade = await loadCascade(pool);
    const batches = batchesOf(data.deleteIds);
    const perTable = new Map<string, number>();
    let rows = 0;
    let users = 0;
    let skipped = 0;
    let done = 0;
    for (const [i, b] of batches.entries()) {
      if (ctx.stopRequested()) {
        return { summary: [`stopped after ${i} of ${batches.length} batch(es); ${users} user(s) deleted so far`], rows, stopped: true };
      }
      const result = await ctx.batch('astakos', b.key, async (client, keep) => {
        // The survivors must still be there: never delete the last account of an email.
        const survivors = [...new Set(b.ids.map((id) => survivorOf.get(id)!))];
        const present = await client.query<{ id: number }>(`SELECT id FROM ${ROOT_TABLE} WHERE id = ANY($1::int[])`, [survivors]);
        if (present.rows.length !== survivors.length) {
          const have = new Set(present.rows.map((r) => r.id));
          throw new UserError(`survivor(s) ${survivors.filter((s) => !have.has(s)).map((s) => `#${s}`).join(', ')} no longer exist; nothing in this batch was deleted`,
            `run step ${findStep} again and decide the affected groups anew`);
        }
        const deleted = await deleteUsers(client, cascade, b.ids, keep, ctx.step);
        let n = 0;
        for (const [table, count] of deleted) { perTable.set(table, (perTable.get(table) ?? 0) + count); n += count; }
        users += deleted.get(ROOT_TABLE) ?? 0;
        return n;
      });
      if (result.skipped) skipped++;
      rows += result.rows;
      done += b.ids.length;
      ctx.progress({ table: ROOT_TABLE, done, total: data.deleteIds.length, batch: i + 1, batches: batches.length });
    }
    const summary = [
      `deleted ${users} astakos user(s) in ${batches.length - skipped} batch(es)${skipped ? ` (${skipped} already committed earlier)` : ''}`,
      ...[...perTable].filter(([, n]) => n > 0).map(([t, n]) => `${t}: ${n} row(s)`),
      `${data.decisions.length} survivor decision(s) recorded for steps 6.1 / 6.2`,
    ];
    return { summary, rows };
  },

  async verify(ctx): Promise<Check[]> {
    const pool = (await ctx.db('astakos')).pool;
    const left = await astakosCollisions(pool);
    const checks: Check[] = [{
      label: 'no case-insensitive email collision left in astakos',
      ok: left.length === 0,
      detail: left.length ? `${left.length} group(s) left: ${left.slice(0, 5).map((g) => g.key).join(', ')}${left.length > 5 ? ', …' : ''}` : 'none',
    }];
    const cascade = await referenceGraph(pool);
    // The users deleted: from the before-images, and from the password hashes astakos keeps of them (a recovered state file has no images).
    const deleted = new Set<number>();
    for (const image of ctx.state.beforeImages(ctx.step)) {
      if (image.table === ROOT_TABLE) deleted.add(Number((image.pk as { id: string }).id));
    }
    for (const [id] of await stashedKeys(pool, ctx.step, ROOT_TABLE)) deleted.add(Number(id));
    const deletedIds = [...deleted];
    const refs = deletedIds.length ? await referencesTo(pool, cascade, deletedIds) : [];
    const dangling = await danglingReferences(pool, cascade);
    checks.push({
      label: 'no astakos row references a deleted user',
      ok: refs.length === 0 && dangling.length === 0,
      detail: refs.length || dangling.length
        ? [...refs.map((r) => `${r.column}: ${r.rows}`), ...dangling.map((d) => `${d.fk}: ${d.rows} dangling`)].join('; ')
        : `${deletedIds.length} deleted user(s), none referenced`,
    });
    return checks;
  },

  async undoRefusal(ctx) {
    const migrated = ctx.state.getStep(schemaStep);
    if (migrated.status === 'done') {
      return `step ${schemaStep} (syncdb + migrate) has run since: the deleted rows no longer fit the migrated astakos schema`;
    }
    const v = await detectSchema((await ctx.db('astakos')).pool, 'astakos');
    if (v.kind !== '0.12.5') return `the astakos database is no longer at 0.12.5 (${describeVersion('astakos', v)})`;
    return undefined;
  },

  /**
   * Restores each apply batch's rows in an exactly-once batch of its own ("undo <batch>"), which
   * also forgets that apply batch; a crash leaves whole batches restored or not, and the undo
   * can simply run again. A last, idempotent transaction moves the sequences and forgets the rest.
   */
  async undo(ctx): Promise<ApplyResult> {
    const total = ctx.state.countBeforeImages(ctx.step);
    const db = await ctx.db('astakos');
    const cascade = await loadCascade(db.pool);
    const tables = new Set<string>();
    const idsOf = new Map<string, number[]>();
    for (const image of ctx.state.beforeImages(ctx.step)) {
      tables.add(image.table);
      if (!idsOf.has(image.batch)) idsOf.set(image.batch, []);
      if (image.table === ROOT_TABLE) idsOf.get(image.batch)!.push(Number((image.pk as { id: string }).id));
    }
    const order = [...cascade.tables.map((t) => t.table).filter((t) => tables.has(t)), ...[...tables].filter((t) => !cascade.tables.some((c) => c.table === t)).sort()];
    const perTable = new Map<string, number>();
    let users = 0;
    let restored = 0;
    let already = 0;
    let resumed = 0;
    const applied = [...idsOf.keys()];
    for (const [i, batch] of applied.entries()) {
      const ids = idsOf.get(batch)!;
      const r = await ctx.batch('astakos', `undo ${batch}`, async (client) => {
        await fixTextFormats(client);
        const present = ids.length
          ? Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ROOT_TABLE} WHERE id = ANY($1::int[])`, [ids])).rows[0]!.n)
          : 0;
        if (present > 0 && present < ids.length) {
          throw new UserError(`${present} of the ${ids.length} users deleted in batch "${batch}" exist again in astakos; refusing to restore over them`,
            'restore the backup taken in step 1 instead (snf-upgrade restore)');
        }
        let n = 0;
        if (present === ids.length && ids.length > 0) {
          already += ids.length;
        } else {
          for (const table of order) {
            const t = cascade.tables.find((c) => c.table === table);
            const withSecrets = await unstashSecrets(client, ctx.step, table, t ? (t.pk.length ? t.pk : t.columns) : []);
            const rows = (function* () {
              for (const image of ctx.state.beforeImages(ctx.step, batch)) {
                if (image.table === table && image.action === 'delete') yield withSecrets(image.row as Record<string, string | null>);
              }
            })();
            const added = await insertRows(client, table, rows);
            if (added) perTable.set(table, (perTable.get(table) ?? 0) + added);
            n += added;
          }
          users += ids.length;
        }
        await client.query(`DELETE FROM ${JOURNAL_TABLE} WHERE step = $1 AND batch = $2`, [ctx.step, batch]);
        return n;
      });
      if (r.skipped) resumed++;
      restored += r.rows;
      ctx.progress({ table: ROOT_TABLE, done: i + 1, total: applied.length, batch: i + 1, batches: applied.length });
    }

    const summary: string[] = [];
    await inTransaction(db.pool, async (client) => {
      // Only what was restored is forgotten: a batch this state file holds no rows of keeps its journal row and stashed secrets.
      const left = await client.query<{ batch: string }>(`SELECT batch FROM ${JOURNAL_TABLE} WHERE step = $1 AND batch NOT LIKE 'undo %' ORDER BY batch`, [ctx.step]);
      if (left.rowCount) {
        throw new UserError(`undo ${ctx.step} refused: the astakos journal holds ${left.rowCount} batch(es) of ${ctx.step} whose deleted rows state file ${ctx.state.path} does not hold (first: "${left.rows[0]!.batch}"); they, their journal rows and their stashed secrets were left as they are`,
          'use the state file that ran the step, or restore the backup taken before it (snf-upgrade restore)');
      }
      for (const table of order) {
        const t = cascade.tables.find((c) => c.table === table);
        if (t && t.pk.length === 1 && await fixSequence(client, table, t.pk[0]!)) summary.push(`${table}: id sequence moved past the restored ids`);
      }
      await forgetBatches(client, ctx.step);
      await forgetSecrets(client, ctx.step);
    });
    ctx.state.deleteBeforeImages(ctx.step);
    forgetAppliedDecisions(ctx.state, ctx.step);
    if (!total) return { summary: ['nothing to restore'], rows: 0 };
    const lines = [...perTable].map(([t, n]) => `${t}: ${n} row(s) restored`);
    const head = `restored ${users} astakos user(s) and ${restored - users} dependent row(s) in ${applied.length - resumed} batch(es)`
      + (resumed ? ` (${resumed} restored by an earlier, interrupted undo)` : '');
    if (already) lines.push(`${already} user(s) were already back in astakos; nothing inserted for them`);
    return { summary: [head, ...lines, ...summary], rows: restored };
  },
});
