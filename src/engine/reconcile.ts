// The databases are the truth: before anything writes, the state file must agree with what each
// database records of the upgrade (its journal of committed batches, the steps it saw finish,
// its schema release). A state file that lacks what a database records (an older copy, someone
// else's, a new one) or records what a database lacks (a database restored from a backup)
// stops every writing command with one line; `snf-upgrade recover` rebuilds it.
import { basename } from 'node:path';
import { serviceNames, type Db, type Service } from '../db/connection.js';
import type { DatabaseRecord } from '../db/record.js';
import { CheckFailed } from '../errors.js';
import type { StepDef } from '../runbook/steps.js';
import { compareStepIds, META, type BackupRecord, type BatchRecord, type StateFile, type StepStatus } from '../state/index.js';

/** One physical database as read at start: the services in it, what it records, each service's schema release. */
export interface DatabaseView {
  db: Pick<Db, 'service' | 'services' | 'label'>;
  record: DatabaseRecord;
  releases: Partial<Record<Service, string>>;
}

export interface Disagreement {
  /** ahead: the database records what the state file lacks; behind: it lacks what the state file records. */
  kind: 'ahead' | 'behind';
  line: string;
  /** behind: the first step the database no longer reflects (recover makes it and every later step pending). */
  from?: string;
}

const at = (d: Date | string): string => new Date(d).toISOString().slice(0, 16).replace('T', ' ');
const servicesOf = (db: DatabaseView['db']): readonly Service[] => db.services ?? [db.service];
const key = (step: string, batch: string): string => `${step}\u0000${batch}`;
const stepList = (steps: Iterable<string>): string => {
  const list = [...new Set(steps)].sort(compareStepIds);
  return `step${list.length > 1 ? 's' : ''} ${list.join(', ')}`;
};

/**
 * What the databases record that STATE disagrees with. A step the state file has running or
 * failed is left out where a kill can explain it (a batch committed, its mirror not yet written).
 */
export function disagreements(state: StateFile, statePath: string, runbook: readonly StepDef[], views: DatabaseView[]): Disagreement[] {
  if (state.getMeta(META.finishedAt)) return []; // finish dropped the databases' record on purpose
  const status = new Map<string, StepStatus>(state.listSteps().map((s) => [s.id, s.status]));
  const statusOf = (step: string): StepStatus => status.get(step) ?? 'pending';
  const recorded = state.allBatches();
  const anywhere = new Set(views.flatMap((v) => v.record.journal.map((j) => key(j.step, j.batch))));
  const backups = state.listBackups();
  const out: Disagreement[] = [];
  const file = `state file ${statePath}`;

  for (const view of views) {
    const names = serviceNames({ service: view.db.service, services: view.db.services });
    const known = new Set(recorded.map((b) => key(b.step, b.batch)));
    // Committed batches are what a stale file would have a step redo or undo wrongly; the steps a
    // database saw finish serve recover (a state file may mark a step pending again to re-run it).
    const unknown = view.record.journal.filter((j) => !known.has(key(j.step, j.batch)) && !['running', 'failed'].includes(statusOf(j.step)));
    if (unknown.length) {
      const last = unknown.map((j) => j.committedAt).sort((a, b) => b.getTime() - a.getTime())[0]!;
      const records = `${unknown.length} committed batch(es) of ${stepList(unknown.map((j) => j.step))} (the last at ${at(last)})`;
      // the first database says what is wrong; the others only what they record too
      const said = out.some((d) => d.kind === 'ahead');
      out.push({ kind: 'ahead', line: said ? `the ${names} database also records ${records}`
        : state.inMemory ? `the ${names} database records ${records}, but there is no ${file}: it was lost, or --state names another path`
          : `the ${names} database records ${records} that ${file} does not know: it is an older copy, another operator's, or a new one` });
    }

    const mine = (b: BatchRecord): boolean => (b.service ? servicesOf(view.db).includes(b.service) : !anywhere.has(key(b.step, b.batch)));
    const here = new Set(view.record.journal.map((j) => key(j.step, j.batch)));
    const lost = recorded.filter((b) => mine(b) && !here.has(key(b.step, b.batch)) && statusOf(b.step) !== 'running');
    const unmigrated = runbook.filter((def) => statusOf(def.id) === 'done'
      && (def.migrates ?? []).some((s) => servicesOf(view.db).includes(s) && view.releases[s] === '0.12.5'));
    if (lost.length || unmigrated.length) {
      const steps = [...lost.map((b) => b.step), ...unmigrated.map((d) => d.id)].sort(compareStepIds);
      const what = [lost.length ? `${lost.length} batch(es) of ${stepList(lost.map((b) => b.step))}` : '',
        unmigrated.length ? `the 0.13 schema of ${stepList(unmigrated.map((d) => d.id))} (it is at 0.12.5)` : ''].filter(Boolean).join(' and ');
      const match = matchingBackup(view, backups, recorded.filter(mine));
      out.push({
        kind: 'behind', from: steps[0],
        line: `the ${names} database lacks ${what} that ${file} records: ${match ? `it was restored from a backup (it matches the step ${match.step} backup ${basename(match.path)} of ${at(match.createdAt)})` : 'it was restored from a backup (none of this upgrade\'s matches it), or the state file is not this deployment\'s'}`,
      });
    }
  }
  return out;
}

export const withDisagreements = (state: StateFile, statePath: string, runbook: readonly StepDef[], views: DatabaseView[]): { views: DatabaseView[]; disagreements: Disagreement[] } =>
  ({ views, disagreements: disagreements(state, statePath, runbook, views) });

/** The newest backup of VIEW's database whose moment matches its journal: the batches recorded before it are exactly those it holds. */
function matchingBackup(view: DatabaseView, backups: BackupRecord[], batches: BatchRecord[]): BackupRecord | undefined {
  const holds = new Set(view.record.journal.map((j) => key(j.step, j.batch)));
  return backups
    .filter((b) => servicesOf(view.db).includes(b.service))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .find((b) => {
      const before = batches.filter((x) => x.committedAt < b.createdAt).map((x) => key(x.step, x.batch));
      return before.length === holds.size && before.every((k) => holds.has(k));
    });
}

/** The state file disagrees with the databases: nothing can be written, whoever holds the lock. */
export class StateDisagrees extends CheckFailed {}

/** Refuses a writing command (nothing written) while the state file and the databases disagree. */
export function refuseDisagreements(found: Disagreement[]): void {
  if (!found.length) return;
  const behind = found.find((d) => d.kind === 'behind');
  const next = behind
    ? `to go on from the databases as they are, run snf-upgrade recover (it marks ${behind.from} and every later step pending again); or restore the databases the state file describes`
    : 'point --state at the state file that ran them, or rebuild this one from the databases: snf-upgrade recover';
  throw new StateDisagrees(`${found[0]!.line}; nothing was written`, next).withDetails(found.slice(1).map((d) => d.line));
}
