// Phase backups: the phases that end at a point worth going back to (2: the duplicates removed;
// 3: the schemas migrated, before astakos starts; 6: every owner a uuid) end with a checked
// backup of every database, labelled phase<N>: taken when the phase's last step is done. One
// that is missing (the backup failed, the run was killed between) is taken before any later
// step acts, so no step past a restore point runs without it.
import type { Service } from '../db/connection.js';
import { UserError } from '../errors.js';
import type { StepDef } from '../runbook/steps.js';
import type { StateFile } from '../state/index.js';
import type { Engine } from './index.js';

export const phaseLabel = (phase: string): string => `phase${phase}`;

/** The restore point before DEF whose backup is not recorded for every database since its phase ended, if any. */
export function dueBackup(runbook: readonly StepDef[], state: StateFile, groups: Service[][], def: StepDef): { ender: StepDef; since: string } | undefined {
  const ender = runbook.slice(0, runbook.indexOf(def)).reverse().find((d) => d.phaseBackup && d.phase !== def.phase);
  const since = ender && state.getStep(ender.id).finishedAt;
  if (!ender || state.getStep(ender.id).status !== 'done' || !since) return undefined;
  const label = phaseLabel(ender.phase);
  const backups = state.listBackups().filter((b) => b.step === label && b.verified && b.createdAt >= since);
  return groups.every((g) => backups.some((b) => g.includes(b.service))) ? undefined : { ender, since };
}

/** Before DEF acts: the restore point it follows, backed up now when missing. */
export async function takeDueBackup(engine: Engine, def: StepDef): Promise<void> {
  const due = dueBackup(engine.runbook, engine.state, engine.databaseGroups(), def);
  if (!due) return;
  const log = engine.context(def).log;
  log('warn', `the phase ${due.ender.phase} backup (after step ${due.ender.id}) is missing: taken now, before ${def.id} acts`);
  for (const l of await engine.backup(phaseLabel(due.ender.phase), { step: def, notBefore: due.since })) log('info', `phase ${due.ender.phase} backup: ${l}`);
}

/** DEF just ended a restore-point phase: its backup now. A failure is said in SUMMARY; the next step takes it before acting. */
export async function endPhase(engine: Engine, def: StepDef, summary: string[]): Promise<void> {
  if (!def.phaseBackup) return;
  const since = engine.state.getStep(def.id).finishedAt!;
  let lines: string[];
  try {
    lines = (await engine.backup(phaseLabel(def.phase), { step: def, notBefore: since })).map((l) => `phase ${def.phase} backup: ${l}`);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    lines = [`phase ${def.phase} backup not taken: ${err.message} (${err.next}); it is taken before the next step acts`];
  }
  summary.push(...lines);
  engine.state.appendSummary(def.id, lines);
}
