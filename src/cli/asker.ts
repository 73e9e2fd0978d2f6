// Headless answers: from an answers file ({"<step>": {"<key>": value}}) and flags.
import { jsonErrorWhere, readText } from '../config.js';
import type { Asker, Question } from '../core/step.js';
import { SERVICES } from '../db/connection.js';
import { EXIT, NeedsAnswer, UserError } from '../errors.js';
import { findStep, STEPS } from '../runbook/steps.js';

export type Answers = Record<string, Record<string, unknown>>;

const SHAPE = 'its shape is {"<step>": {"<question>": <answer>}}, e.g. {"1": {"ignore-sessions": false}, "2.2": {"survivors": {"a@b.c": 12}}}';

/** Answers whose type is the same at every step that asks them; the rest are checked by their step. */
const ANSWER_TYPES: { key: RegExp; type: 'boolean' | 'text'; what: string }[] = [
  { key: /^ignore-sessions$/, type: 'boolean', what: 'true or false' },
  { key: new RegExp(`^external-backup-(${SERVICES.join('|')})$`), type: 'text', what: 'a non-empty string (where the backup is)' },
];

export function loadAnswers(file: string): Answers {
  const text = readText(file, 'answers file', 'pass the right --answers FILE');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const why = jsonErrorWhere(text, err as Error);
    throw new UserError(`answers file ${file} is not valid JSON: ${why}`, `fix it; ${SHAPE}`, EXIT.usage);
  }
  const bad = (why: string): never => { throw new UserError(`answers file ${file}: ${why}`, `fix it; ${SHAPE}`, EXIT.usage); };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('the top level must be a JSON object of step ids');
  for (const [step, answers] of Object.entries(raw as Record<string, unknown>)) {
    if (!findStep(step)) bad(`there is no step "${step}" (steps are ${STEPS.map((s) => s.id).join(', ')})`);
    if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) bad(`"${step}" must be an object of answers, like {"ignore-sessions": false}`);
    for (const [key, value] of Object.entries(answers as Record<string, unknown>)) {
      const known = ANSWER_TYPES.find((t) => t.key.test(key));
      if (!known) continue;
      const ok = known.type === 'boolean' ? typeof value === 'boolean' : typeof value === 'string' && value.trim() !== '';
      if (!ok) bad(`"${step}"."${key}" must be ${known.what}, not ${JSON.stringify(value)?.slice(0, 40) ?? String(value)}`);
    }
  }
  return raw as Answers;
}

export class HeadlessAsker implements Asker {
  readonly interactive = false;
  constructor(private readonly answers: Answers = {}, private readonly yes = false, readonly acceptSuggestions = false) {}

  answer(step: string, key: string): unknown {
    return this.answers[step]?.[key];
  }

  async confirm(q: Question): Promise<boolean> {
    const given = this.answer(q.step, q.key);
    if (typeof given === 'boolean') return given;
    if (q.typeToConfirm !== undefined && given !== undefined) return String(given) === q.typeToConfirm;
    if (given !== undefined) {
      throw new UserError(`answers file: "${q.step}"."${q.key}" must be true or false, not ${JSON.stringify(given)?.slice(0, 40)}`,
        `fix it; ${SHAPE}`, EXIT.usage);
    }
    if (this.yes && !q.dangerous) return true;
    throw new NeedsAnswer(`step ${q.step} asks: ${q.message}`,
      q.dangerous
        ? `answer in the wizard, or put {"${q.step}": {"${q.key}": ${q.typeToConfirm !== undefined ? JSON.stringify(q.typeToConfirm) : 'true'}}} in --answers FILE`
        : `answer in the wizard, pass --yes, or put {"${q.step}": {"${q.key}": true}} in --answers FILE`);
  }
}
