// The conflict table's rows and decisions. Step 2's rows are the dedup module's duplicate
// groups as they are; 6.1 and 6.2 adapt their sets to the same rows (remap.ts).
import type { Decision, DuplicateGroup, DuplicateUser } from '../../core/step.js';
import { findStep } from '../../runbook/steps.js';

/** A user as the dedup module reports it, plus what the 6.1 / 6.2 adapter adds. */
export interface ConflictUser extends DuplicateUser {
  /** Steps 6.1 / 6.2: one line about the identifier or account (replaces the astakos detail line). */
  note?: string;
  /** False for a merge target that owns no rows in this service (nothing to delete). */
  owner?: boolean;
}

export interface ConflictGroup extends Omit<DuplicateGroup, 'users'> {
  users: ConflictUser[];
  /** What the rows are: astakos users (steps 2.x, the default), cyclades identifiers (6.1) or pithos accounts (6.2). */
  kind?: 'users' | 'identifiers' | 'accounts';
}

export interface ConflictData {
  groups: ConflictGroup[];
}

/**
 * A decision as the table reads it: the core Decision, its value the table id of the member
 * kept (2.x: the survivor's user id as stored). Steps 6.1 / 6.2 add the members whose rows are
 * deleted (the stored SetDecision names them, the table numbers them).
 */
export interface TableDecision extends Decision {
  drop?: number[];
}
export type TableDecisions = ReadonlyMap<string, TableDecision>;

/** The step whose decisions a step reads and writes (the runbook's decision table says; else its own). */
export function decisionStep(step: string): string {
  return findStep(step)?.decisions?.step ?? step;
}
