// Lists of identifiers astakos does not know, one answer each (the runbook's `unknown` table):
// cyclades owners (delete | keep | <uuid>) and pithos accounts (keep | delete). The answers are
// stored as the modules read them: state.setDecision(step, 'unknown:<identifier>', answer).
import type { Decisions, Owned } from '../../core/step.js';
import type { PlanView } from '../../engine/index.js';
import { UUID_SHAPE } from '../../engine/session.js';
import { findStep } from '../../runbook/steps.js';
import { unknownData } from './data.js';

export const UNKNOWN_PREFIX = 'unknown:';

export interface UnknownItem {
  id: string;
  /** What it is and owns, in a few words. */
  detail: string;
  suggested: string;
  reason: string;
}

export interface UnknownList {
  step: string;
  /** "identifiers" / "accounts". */
  noun: string;
  items: UnknownItem[];
  /** The answers the keys give: d → delete, k → keep. */
  answers: { key: string; value: string; label: string }[];
  /** Whether an identifier may be mapped to an astakos user by hand (m: a uuid is an answer too). */
  mapToUser: boolean;
}

const owns = (o: Owned): string => {
  const counts: [number, string][] = [[o.vms_live, 'VM'], [o.vms_deleted, 'deleted VM'], [o.networks, 'network'], [o.keys, 'key']];
  const parts = counts.filter(([n]) => !!n).map(([n, w]) => `${n} ${w}${n === 1 ? '' : 's'}`);
  return parts.join(', ') || 'owns nothing';
};

const cache = new WeakMap<object, UnknownList>();

/** The list of unknown identifiers of a step's plan view (a step with an `unknown` table), when there are any. */
export function unknownList(step: string, view: PlanView | undefined): UnknownList | undefined {
  const table = findStep(step)?.unknown;
  if (!table) return undefined;
  const data = unknownData(table, view);
  if (!data) return undefined;
  const hit = cache.get(data.unknown);
  if (hit) return hit;
  const items: UnknownItem[] = data.kind === 'owner'
    ? data.unknown.map((u) => ({ id: u.id, detail: `${u.kind} · ${owns(u)}`, suggested: u.suggested, reason: u.reason }))
    : data.unknown.map((id) => ({
      id, detail: 'pithos account', suggested: 'keep',
      reason: 'astakos has no such user: kept, it stays under its name in 6.4 (unreachable until astakos knows it); delete removes it with everything in it',
    }));
  const list: UnknownList = { step, noun: table.noun, items, answers: table.answers, mapToUser: table.mapToUser };
  cache.set(data.unknown, list);
  return list;
}

/** The stored answer for ID, if it is one the list accepts (a uuid too where identifiers map to users). */
export function answerOf(list: UnknownList, decisions: Decisions, id: string): string | undefined {
  const v = decisions.get(UNKNOWN_PREFIX + id)?.value;
  if (typeof v !== 'string') return undefined;
  if (list.answers.some((a) => a.value === v)) return v;
  return list.mapToUser && UUID_SHAPE.test(v) ? v : undefined;
}

export function openCount(list: UnknownList, decisions: Decisions): number {
  let n = 0;
  for (const it of list.items) if (answerOf(list, decisions, it.id) === undefined) n++;
  return n;
}
