// The precedence every duplicate-set step (cyclades owners, pithos accounts) decides by: a
// stored decision that still fits the set, else the answers file's entry (checked, keyed by
// the set key or any spelling that folds to it), else the suggestion when the operator
// accepts suggestions; else open. And the one shape of a set decision, in the answers file
// and against a set.
import { EXIT, UserError } from '../../errors.js';
import { AnswerError, answerName, exampleOf, objectEntries, type AnswerParser } from '../answers.js';
import type { StateFile } from '../../state/index.js';
import { mergeTargets } from '../dedup/decide.js';
import { asciiFolder, NON_ASCII_PATTERN, type UnionFind } from '../dedup/fold.js';
import { pyLower } from '../fold.js';
import type { Answers, Decisions, DecisionSource, SetDecision } from '../step.js';

export interface DecidedSet<S, D> { set: S; decision: D; source: DecisionSource }

export interface SetRules<S, D> {
  step: string;
  /** Why D cannot apply to SET, or undefined. */
  invalid(set: S, d: D): string | undefined;
  /** The operator's next step when an answer does not fit SET. */
  members(set: S): string;
}

/** One answers-file entry: {"merge": into} | {"delete": [members], "merge"?: into} | "into". */
export function parseSetAnswer(raw: unknown): SetDecision | undefined {
  if (typeof raw === 'string') return { action: 'merge', into: raw };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const into = typeof o.merge === 'string' ? o.merge : typeof o.into === 'string' ? o.into : undefined;
  if (o.delete !== undefined) {
    const del = typeof o.delete === 'string' ? [o.delete] : o.delete;
    if (!Array.isArray(del) || !del.every((x) => typeof x === 'string')) return undefined;
    return into === undefined ? { action: 'delete', delete: del as string[] } : { action: 'delete', delete: del as string[], into };
  }
  return into === undefined ? undefined : { action: 'merge', into };
}

/** The "sets" answer of a duplicate-set step whose members are NOUNs: set key → decision. */
export const setAnswers = (noun: string): AnswerParser<Map<string, SetDecision>> => (value, at) => {
  const shape = `{"merge": "<${noun}>"} or {"delete": ["<${noun}>", …]}`;
  const entries = objectEntries(value);
  if (!entries) throw new AnswerError(`${answerName(at)} must map set keys to ${shape}`, exampleOf(at, '{"foo@x.gr": {"merge": "foo@x.gr"}}'));
  const out = new Map<string, SetDecision>();
  for (const [key, raw] of entries) {
    const d = parseSetAnswer(raw);
    if (!d) throw new AnswerError(`${answerName(at, key)}: expected ${shape}`, exampleOf(at, `{${JSON.stringify(key)}: {"merge": ${JSON.stringify(key)}}}`));
    out.set(key, d);
  }
  return out;
};

/** How a duplicate-set step speaks of its members, and which merge targets it accepts. */
export interface SetWords {
  /** What a member is ("identifier", "account"). */
  noun: string;
  /** Why a delete that names no member is refused. */
  emptyDelete: string;
  /** What the members left would still be ("would still differ only in case"). */
  stillOne: string;
  /** Why INTO cannot be merged into, or undefined. */
  intoProblem(into: string): string | undefined;
}

/** Why D cannot apply to a set of MEMBERS, or undefined. */
export function invalidSetDecision(members: string[], d: SetDecision, words: SetWords): string | undefined {
  const into = d.into === undefined ? undefined : words.intoProblem(d.into);
  if (into) return into;
  if (d.action === 'merge') return d.into === undefined ? `a merge needs the ${words.noun} to merge into` : undefined;
  if (d.action !== 'delete') return `unknown action ${JSON.stringify(d.action)}`;
  const del = d.delete ?? [];
  if (!del.length) return words.emptyDelete;
  const strangers = del.filter((x) => !members.includes(x));
  if (strangers.length) return `${strangers.map((x) => JSON.stringify(x)).join(', ')} ${strangers.length > 1 ? 'are' : 'is'} not in the set (${members.join(', ')})`;
  if (d.into !== undefined && del.includes(d.into)) return `${d.into} cannot be both deleted and merged into`;
  const left = members.filter((x) => !del.includes(x));
  if (left.length > 1 && d.into === undefined) return `${left.join(', ')} ${words.stillOne}: also say which to merge them into ("merge": "<${words.noun}>")`;
  return undefined;
}

const sameDecision = (a: SetDecision, b: SetDecision): boolean =>
  a.action === b.action && a.into === b.into && JSON.stringify([...(a.delete ?? [])].sort()) === JSON.stringify([...(b.delete ?? [])].sort());

export function resolveSetDecisions<S extends { key: string; suggested: { into: string } }, D extends SetDecision>(
  sets: S[], stored: Decisions, asker: Answers, rules: SetRules<S, D>): { decided: DecidedSet<S, D>[]; open: string[]; notes: string[] } {
  const answers = (asker.answer(rules.step, 'sets') as Map<string, D> | undefined) ?? new Map<string, D>();
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
      const d = answer.v!;
      const why = rules.invalid(set, d);
      if (why) throw new UserError(`answers file: ${answerName({ step: rules.step, key: 'sets' }, answer.k)}: ${why}`, rules.members(set), EXIT.usage);
      if (!decision) { decision = d; source = 'answers'; } else if (!sameDecision(decision, d)) {
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
 * The merges of USERSSTEP (deleted email → survivor's email) that Python lower() tells apart:
 * groups it formed under the database's upper() only (e.g. a final ς and Σ). The duplicate-set
 * steps join the identifiers of both sides, so the deleted user's rows go to the survivor as
 * in any group.
 */
export function crossFoldLinks(state: StateFile, usersStep: string): [string, string][] {
  return [...mergeTargets(state, usersStep)].filter(([deleted, t]) => pyLower(deleted) !== pyLower(t.into)).map(([deleted, t]) => [deleted, t.into]);
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
