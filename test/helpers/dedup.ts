// The duplicate-users step as the tests name it: its id, read from the runbook, and its merge mapping.
import { mergeTargets as mergeTargetsOf } from '../../src/core/dedup/index.js';
import { STEPS } from '../../src/runbook/steps.js';
import type { StateFile } from '../../src/state/index.js';

/** The step that deletes duplicate astakos users (its decisions are the defaults of later steps). */
export const DEDUP_STEP = STEPS.find((s) => s.decisions?.kind === 'users' && s.decisions.beforeRun)!.id;

/** The merge mapping DEDUP_STEP recorded. */
export const mergeTargets = (state: StateFile): ReturnType<typeof mergeTargetsOf> => mergeTargetsOf(state, DEDUP_STEP);
