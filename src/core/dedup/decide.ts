// Who survives in each duplicate group, and the record of it in the state file that steps
// 6.1 / 6.2 read as their defaults.
//
// State file, under the step that removes the duplicates:
//   key = <group key> (the lowercased email)  value = <survivor user id>  (number)
//   key = 'merge:' + <deleted user's email exactly as stored>
//         value = MergeTarget { into: <survivor's email exactly as stored>, survivorId, deletedIds, group }
// The 'merge:' rows are written when that step applies; they tell the cyclades and pithos
// duplicate steps which owner / account should be merged into which (or deleted, if the
// operator says so there).
import { AnswerError, answerName, exampleOf, objectEntries, type AnswerParser } from '../answers.js';
import { EXIT, UserError } from '../../errors.js';
import type { StateFile } from '../../state/index.js';
import type { Answers, Decisions, DecisionSource } from '../step.js';
import { pyLower } from '../fold.js';
import type { DuplicateGroup, GroupDecision } from './types.js';

export const MERGE_PREFIX = 'merge:';

export interface MergeTarget {
  /** The survivor's email exactly as stored: the cyclades owner / pithos account to merge into. */
  into: string;
  survivorId: number;
  /** The deleted users that had this exact email. */
  deletedIds: number[];
  /** The duplicate group's key. */
  group: string;
}


export interface Resolution {
  decided: GroupDecision[];
  /** Keys of the groups nobody decided yet. */
  open: string[];
  notes: string[];
}

function parseId(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^[0-9]+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** The answers file's survivors ({"<email>": <user id>}), keyed by the lowercased email. */
export const parseSurvivors: AnswerParser<Map<string, unknown>> = (value, at) => {
  const entries = objectEntries(value);
  if (!entries) throw new AnswerError(`${answerName(at)} must map emails to user ids`, exampleOf(at, '{"foo@example.org": 12}'));
  return new Map([...entries].map(([k, v]) => [pyLower(k.trim()), v]));
};

/**
 * Per group: a stored decision (the operator's in the wizard, or one a previous apply of
 * STEP stored, so a resumed run keeps deleting the same users), else the answers file's
 * survivor (validated: it must be one of the group's ids), else the suggestion when the
 * operator accepts suggestions; anything else stays open.
 */
export function resolveSurvivors(groups: DuplicateGroup[], stored: Decisions, asker: Answers, step: string): Resolution {
  const answers = (asker.answer(step, 'survivors') as Map<string, unknown> | undefined) ?? new Map<string, unknown>();
  const decided: GroupDecision[] = [];
  const open: string[] = [];
  const notes: string[] = [];
  const known = new Set<string>();
  for (const g of groups) {
    known.add(g.key);
    for (const u of g.users) known.add(pyLower(u.email));
    const ids = g.users.map((u) => u.id);
    const list = ids.map((id) => `#${id}`).join(', ');
    let survivor: number | undefined;
    let source: DecisionSource | undefined;

    const kept = stored.get(g.key);
    const storedId = kept ? parseId(kept.value) : undefined;
    if (kept && storedId !== undefined && ids.includes(storedId)) {
      survivor = storedId;
      source = kept.source;
    } else if (kept) {
      notes.push(`${g.key}: the stored decision (keep #${String(kept.value)}) names no user of this group any more (${list}); decide again`);
    }

    const answered = answers.get(g.key) ?? g.users.map((u) => answers.get(pyLower(u.email))).find((v) => v !== undefined);
    if (answered !== undefined) {
      const id = parseId(answered);
      if (id === undefined || !ids.includes(id)) {
        throw new UserError(`answers file: survivor ${JSON.stringify(answered)} for ${g.key} is not one of its users (${list})`,
          `put one of ${list.replace(/#/g, '')} under ${answerName({ step, key: 'survivors' }, g.key)}`, EXIT.usage);
      }
      if (survivor === undefined) {
        survivor = id;
        source = 'answers';
      } else if (survivor !== id) {
        notes.push(`${g.key}: the answers file says keep #${id}, but the stored ${source} decision keeps #${survivor}, which stands`);
      }
    }

    if (survivor === undefined && asker.acceptSuggestions) {
      survivor = g.suggested;
      source = 'suggested';
    }
    if (survivor === undefined) { open.push(g.key); continue; }
    const keep = g.users.find((u) => u.id === survivor)!;
    decided.push({
      key: g.key, survivor, survivorEmail: keep.email, source: source!,
      deleted: g.users.filter((u) => u.id !== survivor).map((u) => ({ id: u.id, email: u.email })),
    });
  }
  const unknown = [...answers.keys()].filter((k) => !known.has(k));
  if (unknown.length) notes.push(`answers file names ${unknown.length} email(s) with no duplicate group: ${unknown.join(', ')}`);
  return { decided, open, notes };
}

/** Stores STEP's survivors and the merge mapping for the cyclades / pithos duplicate steps, in one state-file transaction. */
export function storeDecisions(state: StateFile, step: string, decided: GroupDecision[]): void {
  state.transaction(() => {
    for (const d of decided) {
      state.setDecision(step, d.key, d.survivor, d.source);
      const byEmail = new Map<string, number[]>();
      for (const x of d.deleted) {
        if (x.email === d.survivorEmail) continue; // same identifier in cyclades/pithos: nothing to merge
        byEmail.set(x.email, [...(byEmail.get(x.email) ?? []), x.id]);
      }
      for (const [email, ids] of byEmail) {
        const target: MergeTarget = { into: d.survivorEmail, survivorId: d.survivor, deletedIds: ids, group: d.key };
        state.setDecision(step, MERGE_PREFIX + email, target, d.source);
      }
    }
  });
}

/**
 * The merge mapping the users step STEP recorded: deleted user's email (exactly as stored, i.e.
 * the cyclades owner / pithos account name) → where its resources should go.
 */
export function mergeTargets(state: StateFile, step: string): Map<string, MergeTarget & { source: DecisionSource }> {
  const out = new Map<string, MergeTarget & { source: DecisionSource }>();
  for (const [key, d] of state.getDecisions(step)) {
    if (key.startsWith(MERGE_PREFIX)) out.set(key.slice(MERGE_PREFIX.length), { ...(d.value as MergeTarget), source: d.source });
  }
  return out;
}

/** After undo: forget what apply recorded (merge mapping, and survivors it took from answers or suggestions). */
export function forgetAppliedDecisions(state: StateFile, step: string): void {
  state.transaction(() => {
    const keep = [...state.getDecisions(step)].filter(([key, d]) => !key.startsWith(MERGE_PREFIX) && d.source === 'operator');
    state.clearDecisions(step);
    for (const [key, d] of keep) state.setDecision(step, key, d.value, d.source);
  });
}
