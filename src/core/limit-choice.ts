// A per-user limit the upgrade would set otherwise than 0.12 applied it (6.3's case-variant
// VMS_USER_QUOTA keys, 6.2's merged pithos quotas) is a decision: as 0.12 applied it (the
// default, the suggestion), or the larger of the values. Answers: one choice for all, or per item.
import { AnswerError, answerName, exampleOf, objectEntries, type AnswerParser } from './answers.js';
import type { Answers, Decisions, DecisionSource } from './step.js';

export type LimitChoice = 'as-0.12' | 'larger';
export const LIMIT_CHOICES: readonly LimitChoice[] = ['as-0.12', 'larger'];
export const isLimitChoice = (v: unknown): v is LimitChoice => (LIMIT_CHOICES as readonly unknown[]).includes(v);

/** An answers-file entry: one choice for every item, or per item (keys as NORMALIZE makes them). */
export interface LimitAnswers { all?: LimitChoice; each: Map<string, LimitChoice> }

/** The parser of a choice answer; EXAMPLE is a per-item object as the answers file writes it. */
export const limitChoices = (example: string, normalize: (key: string) => string): AnswerParser<LimitAnswers> => (value, at) => {
  if (isLimitChoice(value)) return { all: value, each: new Map() };
  const entries = objectEntries(value);
  const hint = exampleOf(at, `"as-0.12" (every one as 0.12 applied it), or ${example}`);
  if (!entries) throw new AnswerError(`${answerName(at)} must be "as-0.12", "larger" or an object of item → "as-0.12" | "larger"`, hint);
  const each = new Map<string, LimitChoice>();
  for (const [k, v] of entries) {
    if (!isLimitChoice(v)) throw new AnswerError(`${answerName(at, k)}: ${JSON.stringify(v)} is not "as-0.12" or "larger"`, hint);
    each.set(normalize(k), v);
  }
  return { each };
};

/**
 * The choice for each item: stored under PREFIX + id, else the ANSWERS file's (by any of the
 * item's NAMES, else for all), else as 0.12 when suggestions are accepted; else it is open.
 */
export function resolveLimitChoices<T extends { id: string }>(items: T[], names: (item: T) => string[], prefix: string,
  stored: Decisions, answers: LimitAnswers | undefined, asker: Answers): { choices: Map<string, { choice: LimitChoice; source: DecisionSource }>; open: T[] } {
  const choices = new Map<string, { choice: LimitChoice; source: DecisionSource }>();
  const open: T[] = [];
  for (const item of items) {
    const kept = stored.get(prefix + item.id);
    const named = names(item).map((n) => answers?.each.get(n)).find(Boolean) ?? answers?.all;
    if (kept && isLimitChoice(kept.value)) choices.set(item.id, { choice: kept.value, source: kept.source });
    else if (named) choices.set(item.id, { choice: named, source: 'answers' });
    else if (asker.acceptSuggestions) choices.set(item.id, { choice: 'as-0.12', source: 'suggested' });
    else open.push(item);
  }
  return { choices, open };
}
