// Restoring backups, for `snf-upgrade restore` and the wizard's R: nothing of the tool may have the
// databases open (the caller's session is closed), each database gets its backup back, then the
// state file follows what the databases now record: the steps after the backup are pending again.
import type { Config } from '../config.js';
import type { Asker } from '../core/step.js';
import { restoreDatabase } from '../db/restore.js';
import { openSession } from './open.js';
import { writeRecovery } from './recover.js';
import type { RestorePlan } from './restore.js';

/** Restores PLAN's backups, then rebuilds the state file from the restored databases; SAY gets a line for each thing done. */
export async function restoreBackups(config: Config, plan: RestorePlan, asker: Asker, say: (line: string) => void): Promise<void> {
  for (const t of plan.targets) {
    await restoreDatabase(t);
    say(`restored ${t.services.join(' and ')} from ${t.path}`);
  }
  const newest = plan.targets.map((t) => t.createdAt).sort().at(-1)!;
  const { session } = await openSession(config, { asker, command: 'snf-upgrade restore', readonly: true });
  let rebuilt;
  try {
    rebuilt = await session.recoveryPlan({ at: newest, step: plan.label });
  } finally {
    await session.close();
  }
  const replaced = writeRecovery(config, rebuilt);
  const again = rebuilt.steps.filter((s) => s.to === 'pending' && s.from !== 'pending').map((s) => s.id);
  if (again.length) say(`pending again: ${again.join(', ')}`);
  say(`state file ${config.state} now follows the restored databases${replaced ? ` (the previous one is kept as ${replaced})` : ''}; decisions made so far are kept for review`);
}
