// What `snf-upgrade restore` puts back: for each physical database chosen, the newest checked
// backup recorded under the label (step 1's by default), its file checked against its sha256.
import { basename } from 'node:path';
import { serviceNames, SERVICES, type Service } from '../db/connection.js';
import { backupProblem, type RestoreSource } from '../db/restore.js';
import { CheckFailed, EXIT, UserError } from '../errors.js';
import type { Engine } from './index.js';

export interface RestoreTarget extends RestoreSource { services: Service[]; where: string; createdAt: string }
export interface RestorePlan { label: string; targets: RestoreTarget[] }

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

/** The plan as lines: which database gets which file, of when. */
export function restoreLines(plan: RestorePlan): string[] {
  return plan.targets.map((t) => `  ${t.services.join(' and ')} (${t.where}) ← ${basename(t.path)}, backup "${plan.label}" of ${t.createdAt.slice(0, 16).replace('T', ' ')}`);
}
