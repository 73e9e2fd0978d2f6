// What `snf-upgrade restore` puts back: for each physical database chosen, the newest checked
// backup recorded under the label (step 1's by default), its file checked against its sha256.
import { basename } from 'node:path';
import { serviceNames, SERVICES, type Service } from '../db/connection.js';
import { backupProblem, type RestoreSource } from '../db/restore.js';
import { CheckFailed, EXIT, UserError } from '../errors.js';
import type { Question } from '../core/step.js';
import type { Engine } from './index.js';

export interface RestoreTarget extends RestoreSource { services: Service[]; where: string; createdAt: string }
export interface RestorePlan { label: string; targets: RestoreTarget[] }
/** A label's backups: when the newest was made, how many databases it covers, how many of them were never checked. */
export interface RestoreChoice { label: string; createdAt: string; databases: number; unchecked: number }

/** The backups LABEL restores for SERVICES (default every service; a shared database comes whole). */
export async function planRestore(engine: Engine, services: string[], label: string): Promise<RestorePlan> {
  for (const s of services) {
    if (!SERVICES.includes(s as Service)) throw new UserError(`"${s}" is not a service`, `name ${SERVICES.join(', ')} (or none: every database)`, EXIT.usage);
  }
  const backups = engine.state.listBackups();
  const targets: RestoreTarget[] = [];
  for (const group of engine.databaseGroups()) {
    if (services.length && !group.some((s) => services.includes(s))) continue;
    const db = await engine.db(group[0]!);
    const b = backups.filter((x) => x.step === label && group.includes(x.service)).sort((x, y) => y.createdAt.localeCompare(x.createdAt))[0];
    const labels = [...new Set(backups.map((x) => x.step).filter((x): x is string => !!x))];
    if (!b) {
      throw new CheckFailed(`no backup "${label}" of the ${serviceNames(db)} database is recorded in state file ${engine.state.path}; nothing was restored`,
        labels.length ? `choose one with --backup: ${labels.join(', ')} (snf-upgrade report lists them)` : 'there is no backup to restore: step 1 takes them');
    }
    if (!b.verified) throw new CheckFailed(`the ${serviceNames(db)} backup ${basename(b.path)} was never checked; nothing was restored`, 'restore it by hand after checking it (snf-upgrade restore --print)');
    const source: RestoreTarget = { service: group[0]!, services: group, url: db.url, where: db.label, path: b.path, sha256: b.sha256, kind: b.kind === 'embedded' ? 'embedded' : 'pg_dump', createdAt: b.createdAt };
    const problem = await backupProblem(source);
    if (problem) throw new CheckFailed(`the ${serviceNames(db)} backup ${problem}; nothing was restored`, 'put the recorded file back in place (snf-upgrade report lists each backup with its sha256)');
    targets.push(source);
  }
  return { label, targets };
}

/** The dangerous confirmation before PLAN replaces the databases (answers: {"restore": {"confirm": true}}). */
export function restoreQuestion(plan: RestorePlan): Question {
  return {
    step: 'restore', key: 'confirm', dangerous: true,
    message: `Replace ${plan.targets.map((t) => t.services.join(' and ')).join(', ')} with backup "${plan.label}"? Everything written to them since is lost.`,
    detail: restoreLines(plan).map((l) => l.trim()),
  };
}

/** Each backup label recorded, newest file first: what `--backup` and the wizard's restore offer. */
export function restoreChoices(engine: Engine): RestoreChoice[] {
  const byLabel = new Map<string, RestoreChoice>();
  for (const b of engine.state.listBackups()) {
    if (!b.step || b.kind === 'external') continue;
    const c = byLabel.get(b.step) ?? { label: b.step, createdAt: b.createdAt, databases: 0, unchecked: 0 };
    const group = engine.databaseGroups().find((g) => g.includes(b.service))!;
    // One file per physical database: a shared database's is recorded for each of its services.
    if (group[0] === b.service) {
      c.databases++;
      if (!b.verified) c.unchecked++;
    }
    if (b.createdAt > c.createdAt) c.createdAt = b.createdAt;
    byLabel.set(b.step, c);
  }
  return [...byLabel.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The plan as lines: which database gets which file, of when. */
export function restoreLines(plan: RestorePlan): string[] {
  return plan.targets.map((t) => `  ${t.services.join(' and ')} (${t.where}) ← ${basename(t.path)}, backup "${plan.label}" of ${t.createdAt.slice(0, 16).replace('T', ' ')}`);
}
