// The precedence every duplicate-set step (6.1, 6.2) decides by: a stored decision that still
// fits the set, else the answers file's entry (checked, keyed by the set key or any spelling
// that folds to it), else the suggestion when the operator accepts suggestions; else open.
import { EXIT, UserError } from '../../errors.js';
import type { StateFile } from '../../state/index.js';
import { mergeTargets } from '../dedup/decide.js';
import { asciiFolder, NON_ASCII_PATTERN, type UnionFind } from '../dedup/fold.js';
import { pyLower } from '../fold.js';
import type { Answers, Decisions, DecisionSource, SetDecision } from '../step.js';

export interface DecidedSet<S, D> { set: S; decision: D; source: DecisionSource }

export interface SetRules<S, D> {
  step: string;
  /** The answers file's "sets" entries (already checked to be an object). */
  answers: Map<string, unknown>;
  parse(raw: unknown): D | undefined;
  /** Why D cannot apply to SET, or undefined. */
  invalid(set: S, d: D): string | undefined;
  /** What a valid answer looks like, for the error about a malformed one. */
  expected: string;
  /** The operator's next step when an answer does not fit SET. */
  members(set: S): string;
}

const sameDecision = (a: SetDecision, b: SetDecision): boolean =>
  a.action === b.action && a.into === b.into && JSON.stringify([...(a.delete ?? [])].sort()) === JSON.stringify([...(b.delete ?? [])].sort());

export function resolveSetDecisions<S extends { key: string; suggested: { into: string } }, D extends SetDecision>(
  sets: S[], stored: Decisions, asker: Answers, rules: SetRules<S, D>): { decided: DecidedSet<S, D>[]; open: string[]; notes: string[] } {
  const { answers } = rules;
  const byFold = new Map([...answers].map(([k, v]) => [pyLower(k), { k, v }]));
  const decided: DecidedSet<S, D>[] = [];
  const open: string[] = [];
  const notes: string[] = [];
  const used = new Set<string>();
  for (const set of sets) {
    let decision: D | undefined;
    let source: DecisionSource | undefined;
    const kept = stored.get(set.key);
    if (kept) {
      const d = kept.value as D;
      const why = rules.invalid(set, d);
      if (why) notes.push(`${set.key}: the stored decision no longer fits the set (${why}); decide again`);
      else { decision = d; source = kept.source; }
    }
    const answer = answers.has(set.key) ? { k: set.key, v: answers.get(set.key) } : byFold.get(set.key);
    if (answer) {
      used.add(answer.k);
      const d = rules.parse(answer.v);
      const why = d ? rules.invalid(set, d) : rules.expected;
      if (why) throw new UserError(`answers file: "${rules.step}"."sets"."${answer.k}": ${why}`, rules.members(set), EXIT.usage);
      if (!decision) { decision = d!; source = 'answers'; } else if (!sameDecision(decision, d!)) {
        notes.push(`${set.key}: the answers file says ${JSON.stringify(answer.v)}, but the stored ${source} decision stands`);
      }
    }
    if (!decision && asker.acceptSuggestions) { decision = { action: 'merge', into: set.suggested.into } as D; source = 'suggested'; }
    if (!decision) { open.push(set.key); continue; }
    decided.push({ set, decision, source: source! });
  }
  const stray = [...answers.keys()].filter((k) => !used.has(k));
  if (stray.length) notes.push(`answers file names ${stray.length} set(s) that are not duplicates (any more): ${stray.join(', ')}`);
  return { decided, open, notes };
}

/**
 * Step 2's merges (deleted email → survivor's email) that Python lower() tells apart: groups
 * step 2 formed under the database's upper() only (e.g. a final ς and Σ). 6.1 / 6.2 join
 * the identifiers of both sides, so the deleted user's rows go to the survivor as in any group.
 */
export function crossFoldLinks(state: StateFile): [string, string][] {
  return [...mergeTargets(state)].filter(([deleted, t]) => pyLower(deleted) !== pyLower(t.into)).map(([deleted, t]) => [deleted, t.into]);
}

type Q = { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> };

/** Unions in UF, for each of LINKS, every identifier of IDS (SQL with an "id" column) that folds to either side. */
export async function joinLinked(q: Q, ids: string, links: [string, string][], uf: UnionFind<string>): Promise<void> {
  if (!links.length) return;
  const folds = new Set(links.flat().map(pyLower));
  const fold = await asciiFolder(q);
  const r = await q.query(`SELECT DISTINCT id FROM (${ids}) i WHERE id IS NOT NULL AND id <> '' AND (id ~ $1 OR ${fold('id')} = ANY($2::text[]))`,
    [NON_ASCII_PATTERN, [...folds]]);
  const byFold = new Map<string, string[]>();
  for (const { id } of r.rows as { id: string }[]) {
    const k = pyLower(id);
    if (folds.has(k)) byFold.set(k, [...(byFold.get(k) ?? []), id]);
  }
  for (const [a, b] of links) {
    const members = [...(byFold.get(pyLower(a)) ?? []), ...(byFold.get(pyLower(b)) ?? [])];
    for (const m of members) uf.union(m, members[0]!);
  }
}
