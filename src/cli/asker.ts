// Headless answers: from an answers file ({"<step>": {"<key>": value}}) and flags.
import { jsonErrorWhere, readText } from '../config.js';
import type { Asker, Question } from '../core/step.js';
import { AnswerError, answerName, shown } from '../core/answers.js';
import { EXIT, NeedsAnswer, UserError } from '../errors.js';
import { answerKeys, answerParser } from '../runbook/answers.js';
import { STEPS } from '../runbook/steps.js';

export type Answers = Record<string, Record<string, unknown>>;

/** The file's shape, with an example of the runbook's own steps and keys. */
const SHAPE = `its shape is {"<step>": {"<question>": <answer>}}, e.g. {"${STEPS[0]!.id}": {"ignore-sessions": false}, "${
  STEPS.find((s) => s.answers?.survivors)?.id}": {"survivors": {"a@b.c": 12}}}`;

/** The number of single-character edits between A and B. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known key closest to KEY, when it is close enough to be a slip. */
function nearest(key: string, known: string[]): string | undefined {
  const scored = known.map((k) => ({ k, d: editDistance(key.toLowerCase(), k.toLowerCase()) })).sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best && best.d <= Math.max(2, Math.floor(best.k.length / 3)) ? best.k : undefined;
}

/**
 * Reads and checks an answers file: every step must exist, every key must be one its step
 * reads, and every value must parse (the step's parser says what is wrong in one line).
 */
export function loadAnswers(file: string): Answers {
  const text = readText(file, 'answers file', 'pass the right --answers FILE');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const why = jsonErrorWhere(text, err as Error);
    throw new UserError(`answers file ${file} is not valid JSON: ${why}`, `fix it; ${SHAPE}`, EXIT.usage);
  }
  const bad = (why: string, next = `fix it; ${SHAPE}`): never => { throw new UserError(`answers file ${file}: ${why}`, next, EXIT.usage); };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('the top level must be a JSON object of step ids');
  for (const [step, answers] of Object.entries(raw as Record<string, unknown>)) {
    const keys = answerKeys(step);
    if (!keys) bad(`there is no step "${step}" (steps are ${STEPS.map((s) => s.id).join(', ')})`);
    if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) bad(`"${step}" must be an object of answers, like {"ignore-sessions": false}`);
    const known = Object.keys(keys!);
    for (const [key, value] of Object.entries(answers as Record<string, unknown>)) {
      const parse = keys![key];
      if (!parse) {
        const near = nearest(key, known);
        bad(`step ${step} has no answer "${key}"${near ? ` (did you mean "${near}"?)` : ''}`,
          near ? `write "${near}" instead` : `its answers are ${known.map((k) => `"${k}"`).join(', ')}`);
      }
      try {
        parse!(value, { step, key });
      } catch (err) {
        if (err instanceof AnswerError) bad(err.why, err.next);
        if (err instanceof UserError) throw new UserError(err.message, err.next, EXIT.usage);
        throw err;
      }
    }
  }
  return raw as Answers;
}

export class HeadlessAsker implements Asker {
  readonly interactive = false;
  constructor(private readonly answers: Answers = {}, private readonly yes = false, readonly acceptSuggestions = false) {}

  private readonly parsed = new Map<string, unknown>();

  /** The parsed answer (the step's parser checks it the first time it is read). */
  answer(step: string, key: string): unknown {
    const value = this.answers[step]?.[key];
    if (value === undefined) return undefined;
    const id = JSON.stringify([step, key]);
    if (!this.parsed.has(id)) {
      const parse = answerParser(step, key);
      this.parsed.set(id, parse ? parse(value, { step, key }) : value);
    }
    return this.parsed.get(id);
  }

  async confirm(q: Question): Promise<boolean> {
    const given = this.answer(q.step, q.key);
    if (typeof given === 'boolean') return given;
    if (q.typeToConfirm !== undefined && given !== undefined) return String(given) === q.typeToConfirm;
    if (given !== undefined) {
      throw new AnswerError(`${answerName(q)} must be true or false, not ${shown(given)}`, `fix it; ${SHAPE}`);
    }
    if (this.yes && !q.dangerous) return true;
    throw new NeedsAnswer(`step ${q.step} asks: ${q.message}`,
      q.dangerous
        ? `answer in the wizard, or put {"${q.step}": {"${q.key}": ${q.typeToConfirm !== undefined ? JSON.stringify(q.typeToConfirm) : 'true'}}} in --answers FILE`
        : `answer in the wizard, pass --yes, or put {"${q.step}": {"${q.key}": true}} in --answers FILE`);
  }
}
