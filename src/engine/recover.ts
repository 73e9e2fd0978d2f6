// `snf-upgrade recover`: rebuilds a lost, stale or foreign state file from what the databases
// record (journals, finished steps, decisions, schema releases), so the upgrade resumes where
// the databases say it is. The replaced file is kept beside, renamed; what only it held and the
// databases still reflect (backups, before-images of journalled batches, pending decisions) is
// carried over.
import { existsSync, renameSync } from 'node:fs';
import type { Config } from '../config.js';
import { serviceNames, SERVICES } from '../db/connection.js';
import { scrubSecrets } from '../secrets.js';
import { VERSION } from '../version.js';
import { deploymentFingerprint } from './types.js';
import type { JournalRow, RecordedDecision } from '../db/record.js';
import { CheckFailed } from '../errors.js';
import { StateFile, type StepStatus } from '../state/index.js';
import type { Engine } from './index.js';
import type { DatabaseView } from './reconcile.js';

export interface RecoveredStep { id: string; from: StepStatus; to: StepStatus; why: string; at: string | null; summary: unknown }

export interface RecoveryPlan {
  steps: RecoveredStep[];
  batches: (JournalRow & { service: DatabaseView['db']['service'] })[];
  decisions: Map<string, RecordedDecision[]>;
  /** What the databases cannot give back, for the operator to know before writing. */
  lost: string[];
}

const at = (d: Date | string): string => new Date(d).toISOString().slice(0, 16).replace('T', ' ');

/**
 * What the rebuilt state file would record, read from the databases through ENGINE (nothing
 * written). RESTORED: the databases were just restored from a backup made at AT (during step
 * STEP): the steps the state file had finished by then (and STEP itself) stay done.
 */
export async function planRecovery(engine: Engine, restored?: { at: string; step?: string }): Promise<RecoveryPlan> {
  const { views } = await engine.databaseViews();
  const order = engine.steps().map((s) => s.def);
  const done = new Map<string, { finishedAt: Date; summary: string | null }>();
  for (const v of views) for (const d of v.record.done) if (!done.has(d.step) || done.get(d.step)!.finishedAt < d.finishedAt) done.set(d.step, d);
  const journalled = new Map<string, Date>();
  for (const v of views) for (const j of v.record.journal) if (!journalled.has(j.step) || journalled.get(j.step)! < j.committedAt) journalled.set(j.step, j.committedAt);

  // A database at 0.12.5 while another records the step that migrated it: restored from another moment.
  for (const v of views) {
    for (const def of order) {
      const stale = (def.migrates ?? []).filter((s) => v.releases[s] === '0.12.5' && (v.db.services ?? [v.db.service]).includes(s));
      if (stale.length && done.has(def.id)) {
        throw new CheckFailed(`the ${serviceNames(v.db)} database is at 0.12.5, but another database records step ${def.id} (which migrates it) finished at ${at(done.get(def.id)!.finishedAt)}: the databases were restored from different moments; nothing was written`,
          'restore every database from the backups of one step (snf-upgrade report lists them), then run snf-upgrade recover again');
      }
    }
  }

  const lastIndex = Math.max(-1, ...order.map((d, i) => (done.has(d.id) ? i : -1)));
  const steps: RecoveredStep[] = [];
  for (const [i, def] of order.entries()) {
    const from = engine.state.getStep(def.id).status;
    const marker = done.get(def.id);
    let to: StepStatus = 'pending';
    let why = 'the databases record nothing of it';
    let when: string | null = null;
    const record = engine.state.getStep(def.id);
    if (marker) {
      to = 'done'; when = marker.finishedAt.toISOString(); why = `the databases record it finished at ${at(marker.finishedAt)}`;
    } else if (restored && record.status === 'done' && (def.id === restored.step || (record.finishedAt ?? '') < restored.at)) {
      to = 'done'; when = record.finishedAt; why = 'done before the backup that was restored';
    } else if (i < lastIndex) {
      to = 'done'; why = 'a later step finished (the databases recorded no finish of this one)';
    } else if (journalled.has(def.id)) {
      to = 'running'; when = journalled.get(def.id)!.toISOString();
      why = `interrupted: batches committed until ${at(journalled.get(def.id)!)}; running it again continues after them`;
    }
    steps.push({ id: def.id, from, to, why, at: when, summary: marker?.summary ? JSON.parse(marker.summary) as unknown : to === 'done' && !marker ? record.summary : null });
  }

  const decisions = new Map<string, RecordedDecision[]>();
  const newest = new Map<string, RecordedDecision & { step: string }>();
  for (const v of views) for (const d of v.record.decisions) {
    const k = `${d.step}\u0000${d.key}`;
    if (!newest.has(k) || newest.get(k)!.decidedAt < d.decidedAt) newest.set(k, d);
  }
  for (const d of newest.values()) decisions.set(d.step, [...(decisions.get(d.step) ?? []), d]);
  const batches = views.flatMap((v) => v.record.journal.map((j) => ({ ...j, service: v.db.service })));

  const lost: string[] = [];
  const noImages = [...new Set(batches.filter((b) => b.rows > 0 && !engine.state.countBeforeImages(b.step, b.batch)).map((b) => b.step))];
  if (noImages.length) lost.push(`undo of step(s) ${noImages.join(', ')}: the rows their batches changed were copied only into the state file that ran them (restore the backup taken before them instead)`);
  const undecided = steps.filter((s) => s.to !== 'done' && !decisions.has(s.id) && engine.state.getDecisions(s.id).size > 0).map((s) => s.id);
  if (undecided.length) lost.push(`the decisions already made for step(s) ${undecided.join(', ')} are carried over from the replaced file`);
  return { steps, batches, decisions, lost };
}

/** The plan as lines for the terminal: each step whose record changes, then what is lost. */
export function recoveryLines(plan: RecoveryPlan, statePath: string, exists: boolean): string[] {
  const changed = plan.steps.filter((s) => s.from !== s.to);
  const lines = [exists ? `rebuilding state file ${statePath} from the databases (the current file is kept as ${statePath}.replaced-…):` : `state file ${statePath} does not exist; rebuilding it from the databases:`];
  if (!changed.length) lines.push('  every step is as the state file already records it');
  for (const s of changed) lines.push(`  ${s.id.padEnd(4)} ${s.from} → ${s.to}: ${s.why}`);
  lines.push(`  ${plan.batches.length} committed batch(es) and the decisions of ${plan.decisions.size} step(s) come from the databases`);
  for (const l of plan.lost) lines.push(`  note: ${l}`);
  return lines;
}

/**
 * Writes PLAN as the state file of CONFIG: the current file (if any) is renamed beside it,
 * a new one is written, and what the old one held that the databases still reflect is carried over.
 * Returns the replaced file's new path. The caller holds no session on the file.
 */
export function writeRecovery(config: Config, plan: RecoveryPlan, stamp = new Date()): string | undefined {
  const path = config.state;
  let replaced: string | undefined;
  if (existsSync(path)) {
    replaced = `${path}.replaced-${stamp.toISOString().replace(/[:.]/g, '').slice(0, 15)}`;
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, replaced + suffix);
  }
  const old = replaced ? StateFile.open(replaced, { readonly: true }) : undefined;
  const urls = SERVICES.map((x) => config[x].db).filter((u): u is string => !!u);
  const state = StateFile.open(path, { scrub: (t) => scrubSecrets(t, urls), toolVersion: VERSION, deployment: deploymentFingerprint(config) });
  try {
    state.transaction(() => {
      for (const s of plan.steps) {
        if (s.to === 'done' || s.to === 'running') state.restoreStep(s.id, s.to, s.at, s.summary, `rebuilt from the databases by snf-upgrade recover: ${s.why}`);
      }
      for (const b of plan.batches) state.recordBatch(b.step, b.batch, b.rows, b.service, b.committedAt);
      for (const [step, list] of plan.decisions) for (const d of list) state.restoreDecision(step, d);
      if (!old) return;
      for (const b of old.listBackups()) state.addBackup({ ...b });
      for (const s of plan.steps) {
        if (s.to !== 'done' && !plan.decisions.has(s.id)) for (const d of old.rawDecisions(s.id)) state.restoreDecision(s.id, d);
      }
      for (const b of plan.batches) {
        const images = [...old.beforeImages(b.step, b.batch)];
        if (images.length) state.addBeforeImages(b.step, b.batch, images);
      }
    });
    state.log(null, 'warn', `state file rebuilt from the databases by snf-upgrade recover${replaced ? `; the file it replaced is ${replaced}` : ''}`);
  } finally {
    state.close();
    old?.close();
  }
  return replaced;
}
