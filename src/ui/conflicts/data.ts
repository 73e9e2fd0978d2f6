// The step data the wizard renders, read from a plan view through the types the core modules
// export. PlanView's findings and plan data are generic: this is the one place they are
// narrowed, one accessor per table the runbook names (users, sets, unknown identifiers).
import type {
  DedupFindings, Decision, DuplicateAccountSet, DuplicateSet, DuplicatesFindings, MigrateFindings, PithosDuplicatesFindings,
  SetDecision,
} from '../../core/step.js';
import type { PlanView } from '../../engine/index.js';
import type { UnknownTable } from '../../runbook/steps.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The first element of V's KEY, when V has an array there (null for an empty one). */
function firstOf(v: unknown, key: string): unknown {
  if (!isObject(v)) return undefined;
  const list = v[key];
  return Array.isArray(list) ? list[0] ?? null : undefined;
}

// ---------------------------------------------------------------------------- users (2.1, 2.2)

/** What a `users` table shows: the duplicate groups of 2.1's DedupFindings (2.2's RemoveFindings extends it). */
export type UserGroupsData = Pick<DedupFindings, 'groups'>;

function isUserGroups(v: unknown): v is UserGroupsData {
  const g = firstOf(v, 'groups');
  return g === null || (isObject(g) && typeof g.key === 'string' && Array.isArray(g.users));
}

/** The duplicate groups a step's plan view carries, if any (plan.data first, then findings.data). */
export function conflictData(view: PlanView | undefined): UserGroupsData | undefined {
  if (!view) return undefined;
  if (isUserGroups(view.plan.data)) return view.plan.data;
  if (isUserGroups(view.findings.data)) return view.findings.data;
  return undefined;
}

// ---------------------------------------------------------------------------- sets (6.1, 6.2)

/** What a `sets` table shows: 6.1's cyclades identifier sets or 6.2's pithos account sets. */
export type SetsData = Pick<DuplicatesFindings, 'sets'> | Pick<PithosDuplicatesFindings, 'sets'>;
export type AnySet = DuplicateSet | DuplicateAccountSet;

function isSets(v: unknown): v is SetsData {
  const s = firstOf(v, 'sets');
  return s === null || (isObject(s) && typeof s.key === 'string' && (Array.isArray(s.identifiers) || Array.isArray(s.accounts)) && !!s.suggested);
}

/** The duplicate sets in a step's findings, if it carries them. */
export function setsData(view: PlanView | undefined): SetsData | undefined {
  const data = view?.findings.data;
  return isSets(data) ? data : undefined;
}

/** Whether SET holds cyclades owner identifiers (6.1) rather than pithos accounts (6.2). */
export const isIdentifierSet = (set: AnySet): set is DuplicateSet => 'identifiers' in set;

/** A stored set decision's value, when it has the shape the 6.1 / 6.2 modules read. */
export function setDecisionOf(d: Decision | undefined): SetDecision | undefined {
  const v = d?.value;
  if (!isObject(v) || (v.action !== 'merge' && v.action !== 'delete')) return undefined;
  return {
    action: v.action,
    ...(typeof v.into === 'string' ? { into: v.into } : {}),
    ...(Array.isArray(v.delete) ? { delete: v.delete.filter((n): n is string => typeof n === 'string') } : {}),
  };
}

// ---------------------------------------------------------------------------- unknown identifiers (6.2, 6.3)

/** The unknown identifiers of a step: 6.3's owners (UnknownIdentifier) or 6.2's account names. */
export type UnknownData =
  | { kind: 'owner'; unknown: MigrateFindings['unknown'] }
  | { kind: 'account'; unknown: PithosDuplicatesFindings['unknown'] };

/** The identifiers astakos does not know in a step's findings, read as TABLE's kind says; undefined when there are none. */
export function unknownData(table: UnknownTable, view: PlanView | undefined): UnknownData | undefined {
  const data = view?.findings.data;
  if (!isObject(data) || !Array.isArray(data.unknown) || !data.unknown.length) return undefined;
  const first: unknown = data.unknown[0];
  if (table.kind === 'owner') {
    return isObject(first) && typeof first.id === 'string' ? { kind: 'owner', unknown: data.unknown as MigrateFindings['unknown'] } : undefined;
  }
  return typeof first === 'string' ? { kind: 'account', unknown: data.unknown as PithosDuplicatesFindings['unknown'] } : undefined;
}
