// The shape of a conflict list as the dedup module puts it in plan.data / findings.data
// (steps 2.1 and 2.2; 6.1 and 6.2 use the same groups and carry the decisions of 2.2).
import type { PlanView } from '../../engine/index.js';
import type { DuplicateUser } from '../../engine/session.js';
import { findStep } from '../../runbook/steps.js';

/** A user as the dedup module reports it, plus what the 6.1 / 6.2 adapter adds. */
export interface ConflictUser extends DuplicateUser {
  /** Steps 6.1 / 6.2: one line about the identifier or account (replaces the astakos detail line). */
  note?: string;
  /** False for a merge target that owns no rows in this service (nothing to delete). */
  owner?: boolean;
}

export interface ConflictGroup {
  /** lower(email): what the users of the group have in common. */
  key: string;
  users: ConflictUser[];
  /** The id of the suggested survivor. */
  suggested: number;
  /** Why that one, in the operator's words. */
  reasons: string[];
  /** What the rows are: astakos users (steps 2.x, the default), cyclades identifiers (6.1) or pithos accounts (6.2). */
  kind?: 'users' | 'identifiers' | 'accounts';
}

export interface ConflictData {
  groups: ConflictGroup[];
}

/** A decision as the state file returns it (value: the survivor's user id). */
export interface DecisionLike {
  value: unknown;
  source: string;
  /** Steps 6.1 / 6.2: the members whose rows are deleted (value: the one the rest merge into). */
  drop?: number[];
}
export type Decisions = ReadonlyMap<string, DecisionLike>;

/** The step whose decisions a step reads and writes (the runbook's decision table says; else its own). */
export function decisionStep(step: string): string {
  return findStep(step)?.decisions?.step ?? step;
}

function isConflictData(v: unknown): v is ConflictData {
  if (typeof v !== 'object' || v === null) return false;
  const groups = (v as { groups?: unknown }).groups;
  if (!Array.isArray(groups)) return false;
  const g = groups[0] as Partial<ConflictGroup> | undefined;
  return g === undefined || (typeof g.key === 'string' && Array.isArray(g.users));
}

/** The conflict groups a step's plan view carries, if any (plan.data first, then findings.data). */
export function conflictData(view: PlanView | undefined): ConflictData | undefined {
  if (!view) return undefined;
  if (isConflictData(view.plan.data)) return view.plan.data;
  if (isConflictData(view.findings.data)) return view.findings.data;
  return undefined;
}
