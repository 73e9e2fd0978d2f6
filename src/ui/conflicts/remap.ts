// Steps 6.1 and 6.2 in the conflict table: their sets of case-variant cyclades identifiers /
// pithos accounts become groups (one row per identifier or account, with what it owns), and
// the table's choices become the decisions those modules read:
//   {action: 'merge', into}  |  {action: 'delete', delete: [...], into?}
// Pure; the groups are cached per findings object so the table's memoised views hold.
import type { CycladesOwned, Decision, Decisions, PithosOwned, SetDecision } from '../../core/step.js';
import type { PlanView } from '../../engine/index.js';
import { findStep } from '../../runbook/steps.js';
import { isIdentifierSet, setDecisionOf, setsData, type AnySet } from './data.js';
import type { ConflictGroup, ConflictUser, TableDecision, TableDecisions } from './types.js';

const EMPTY_CYCLADES: CycladesOwned = { vms_live: 0, vms_deleted: 0, networks: 0, keys: 0 };
const EMPTY_PITHOS: PithosOwned = { containers: 0, objects: 0, bytes: '0', groups: 0, permissions: 0 };

function base(id: number, name: string, known: boolean): Omit<ConflictUser, 'cyclades' | 'pithos'> {
  return {
    id, email: name, username: name, is_active: known, email_verified: known, date_joined: '', last_login: null,
    providers: [], invitations: 0, additional_mails: 0,
  };
}

const cache = new WeakMap<object, ConflictGroup[]>();

/** One group per set; a member's table id is its position + 1. */
export function remapGroups(sets: readonly AnySet[]): ConflictGroup[] {
  return sets.map((set) => {
    const users: ConflictUser[] = [];
    if (isIdentifierSet(set)) {
      for (const m of set.identifiers) {
        users.push({
          ...base(users.length + 1, m.id, m.astakos === 'known'),
          cyclades: { vms_live: m.vms_live, vms_deleted: m.vms_deleted, networks: m.networks, keys: m.keys },
          pithos: EMPTY_PITHOS,
          note: `${m.id}: ${m.astakos === 'known' ? 'astakos knows it' : 'astakos does not know it'}`,
        });
      }
    } else {
      for (const a of set.accounts) {
        users.push({
          ...base(users.length + 1, a.name, a.astakos === 'known'),
          cyclades: EMPTY_CYCLADES,
          pithos: { containers: a.containers, objects: a.objects, bytes: a.bytes, groups: a.groups, permissions: a.permissions },
          note: `${a.name}: ${a.uuid ? `astakos uuid ${a.uuid}` : 'astakos does not know it'} · ${a.nodes} nodes · ${a.versions} versions`,
        });
      }
    }
    let suggested = users.find((u) => u.email === set.suggested.into);
    if (!suggested) {
      // 6.1: step 2's survivor may own nothing in cyclades yet: the others are renamed to it.
      suggested = {
        ...base(users.length + 1, set.suggested.into, true),
        cyclades: EMPTY_CYCLADES, pithos: EMPTY_PITHOS,
        note: `${set.suggested.into}: owns nothing here yet (the account step 2 kept)`, owner: false,
      };
      users.push(suggested);
    }
    return { key: set.key, users, suggested: suggested.id, reasons: set.reasons, kind: isIdentifierSet(set) ? 'identifiers' : 'accounts' };
  });
}

/** The sets of a step deciding on sets (6.1, 6.2) as conflict groups (undefined for any other step or shape). */
export function remapConflicts(step: string, view: PlanView | undefined): { groups: ConflictGroup[] } | undefined {
  if (findStep(step)?.decisions?.kind !== 'sets' || !view) return undefined;
  const data = setsData(view);
  if (!data) return undefined;
  let groups = cache.get(data);
  if (!groups) { groups = remapGroups(data.sets); cache.set(data, groups); }
  return { groups };
}

const nameOf = (g: ConflictGroup, id: number): string | undefined => g.users.find((u) => u.id === id)?.email;
const idOf = (g: ConflictGroup, name: string | undefined): number | undefined => (name === undefined ? undefined : g.users.find((u) => u.email === name)?.id);

const adapted = new WeakMap<readonly ConflictGroup[], { stored: Decisions; out: TableDecisions }>();

/**
 * The stored 6.x decisions as the table reads them: value = the table id of the member the
 * others merge into, drop = the ids whose rows are deleted.
 */
export function tableDecisions(groups: readonly ConflictGroup[], stored: Decisions): TableDecisions {
  const hit = adapted.get(groups);
  if (hit && hit.stored === stored) return hit.out;
  const out = new Map<string, TableDecision>();
  for (const g of groups) {
    const d = stored.get(g.key);
    const v = setDecisionOf(d);
    if (!d || !v) continue;
    const drop = (v.delete ?? []).map((n) => idOf(g, n)).filter((x): x is number => x !== undefined);
    let keep = idOf(g, v.into);
    if (keep === undefined && v.action === 'delete') {
      const left = g.users.filter((u) => !drop.includes(u.id));
      if (left.length === 1) keep = left[0]!.id;
    }
    if (keep === undefined) continue;
    out.set(g.key, { value: keep, source: d.source, ...(drop.length ? { drop } : {}) });
  }
  adapted.set(groups, { stored, out });
  return out;
}

/** `enter` on member ID: every other member merges into it. */
export function mergeDecision(g: ConflictGroup, id: number): SetDecision | undefined {
  const into = nameOf(g, id);
  return into === undefined ? undefined : { action: 'merge', into };
}

/**
 * `x` on member ID: its rows are deleted (pressed again: not any more); the members left merge
 * into the current target, else the suggestion, else the first one left. Undefined when
 * nothing would be left to keep.
 */
export function deleteDecision(g: ConflictGroup, current: Decision | undefined, id: number): SetDecision | undefined {
  const user = g.users.find((u) => u.id === id);
  // The survivor-to-be that owns nothing here (6.1) has no rows to delete.
  if (!user || user.owner === false) return undefined;
  const cur = setDecisionOf(current);
  const del = new Set(cur?.action === 'delete' ? cur.delete ?? [] : []);
  if (del.has(user.email)) del.delete(user.email); else del.add(user.email);
  const left = g.users.filter((u) => !del.has(u.email));
  if (!left.length) return undefined;
  if (!del.size) return { action: 'merge', into: cur?.into ?? nameOf(g, g.suggested)! };
  const into = [cur?.into, nameOf(g, g.suggested), left[0]!.email].find((n) => n !== undefined && left.some((u) => u.email === n))!;
  return { action: 'delete', delete: g.users.filter((u) => del.has(u.email)).map((u) => u.email), into };
}
