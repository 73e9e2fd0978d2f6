// Answers-file values ({"<step>": {"<key>": value}}): each key a step reads has a parser (the
// runbook lists them per step) that turns the JSON value into what the step works with, or
// says in one line what is wrong with it. The file is checked with them when it is read; the
// steps then read the parsed values (Asker.answer).
import { EXIT, UserError } from '../errors.js';
import type { Asker } from './step.js';

/** Where an answer sits in the file. */
export interface AnswerAt {
  step: string;
  key: string;
}

export type AnswerParser<T = unknown> = (value: unknown, at: AnswerAt) => T;

/** A malformed answer: WHY names it ("\"6.1\".\"sets\" must …"); the message is "answers file: WHY". */
export class AnswerError extends UserError {
  constructor(readonly why: string, next: string) {
    super(`answers file: ${why}`, next, EXIT.usage);
    this.name = 'AnswerError';
  }
}

/** "STEP"."KEY", as the messages name an answer. */
export const answerName = (at: AnswerAt, ...more: string[]): string => [at.step, at.key, ...more].map((p) => `"${p}"`).join('.');

/** A value as a message shows it (cut short). */
export const shown = (v: unknown): string => JSON.stringify(v)?.slice(0, 40) ?? String(v);

/** An example answers file holding VALUE (JSON text) under AT. */
export const exampleOf = (at: AnswerAt, value: string): string => `e.g. {"${at.step}": {"${at.key}": ${value}}}`;

/** A JSON object as a Map of its entries, or undefined when VALUE is not an object. */
export function objectEntries(value: unknown): Map<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return new Map(Object.entries(value));
}

/** true or false. */
export const yesNo: AnswerParser<boolean> = (v, at) => {
  if (typeof v !== 'boolean') throw new AnswerError(`${answerName(at)} must be true or false, not ${shown(v)}`, `fix it: ${exampleOf(at, 'true')}`);
  return v;
};

/** A destructive confirmation: true or false, or the word the step asks to type. */
export const confirmation: AnswerParser<boolean | string> = (v, at) => {
  if (typeof v === 'boolean' || (typeof v === 'string' && v !== '')) return v;
  throw new AnswerError(`${answerName(at)} must be true or false, not ${shown(v)}`, `fix it: ${exampleOf(at, 'true')}`);
};

/** A non-empty string; WHAT says what it is. */
export const text = (what: string): AnswerParser<string> => (v, at) => {
  if (typeof v !== 'string' || v.trim() === '') {
    throw new AnswerError(`${answerName(at)} must be a non-empty string (${what}), not ${shown(v)}`, `fix it: ${exampleOf(at, `"${what}"`)}`);
  }
  return v;
};

/** One of WORDS. */
export const oneOf = <W extends string>(...words: W[]): AnswerParser<W> => (v, at) => {
  if (typeof v === 'string' && (words as string[]).includes(v)) return v as W;
  const list = words.map((w) => `"${w}"`);
  throw new AnswerError(`${answerName(at)} must be ${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`, exampleOf(at, list[0]!));
};

/** The keys every step accepts: go on despite other database sessions; the destructive confirmation. */
export const COMMON_ANSWERS: Readonly<Record<string, AnswerParser>> = {
  'ignore-sessions': yesNo,
  confirm: confirmation,
};

/** The parsed answer of KEY for STEP (what the step's parser returned), if the file gives one. */
export const answerOf = <T>(asker: Asker, step: string, key: string): T | undefined => asker.answer(step, key) as T | undefined;
