// Before a step runs or is confirmed, what the earlier done steps promised (the runbook's
// `promise` of each) is read again: the databases change behind the tool's back (a user
// registers after 2.2, a VM is created by email after 6.3), and a later step must not build
// on a promise that no longer holds. The way back is to run the promising step again.
import type { StepContext } from '../core/step.js';
import { CheckFailed } from '../errors.js';
import type { StepDef } from '../runbook/steps.js';
import type { StateFile } from '../state/index.js';

/** The engine's context of a step (the promise is read as that step: its decisions, its id). */
type Context = (def: StepDef) => StepContext;

/** The done steps before DEF whose promise reaches DEF, in runbook order. */
function promisesBefore(runbook: readonly StepDef[], state: StateFile, def: StepDef): StepDef[] {
  const at = runbook.indexOf(def);
  return runbook.slice(0, Math.max(0, at)).filter((p) => p.promise && state.getStep(p.id).status === 'done'
    && (p.promise.through === undefined || runbook.findIndex((s) => s.id === p.promise!.through) >= at));
}

/**
 * Refuses DEF (about to VERB) with one line while an earlier done step's promise is broken:
 * what appeared, counted, its first few, and the way back (run that step again).
 */
export async function recheckPromises(runbook: readonly StepDef[], state: StateFile, context: Context, def: StepDef, verb: 'run' | 'be confirmed'): Promise<void> {
  for (const p of promisesBefore(runbook, state, def)) {
    const broken = await p.promise!.check.broken(context(p));
    if (!broken) continue;
    throw new CheckFailed(
      `step ${def.id} cannot ${verb}: since step ${p.id} was done, ${broken.what} appeared (${broken.examples.join('; ')}${broken.complete ? '' : '; …'})`,
      `run step ${p.id} again, which ${broken.fix}: snf-upgrade run ${p.id}; then ${verb === 'run' ? 'run' : 'confirm'} ${def.id}`);
  }
}

/** Whether DEF is done but its own promise no longer holds: running it again then is not a no-op. */
export async function ownPromiseBroken(state: StateFile, context: Context, def: StepDef): Promise<boolean> {
  return !!def.promise && state.getStep(def.id).status === 'done' && (await def.promise.check.broken(context(def))) !== undefined;
}
