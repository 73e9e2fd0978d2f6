// Headless answers: from an answers file ({"<step>": {"<key>": value}}) and flags.
import { existsSync, readFileSync } from 'node:fs';
import type { Asker, Question } from '../core/step.js';
import { EXIT, NeedsAnswer, UserError } from '../errors.js';

export type Answers = Record<string, Record<string, unknown>>;

export function loadAnswers(file: string): Answers {
  if (!existsSync(file)) throw new UserError(`answers file ${file} does not exist`, 'pass the right --answers FILE', EXIT.usage);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`answers file ${file} is not valid JSON: ${(err as Error).message.split('\n')[0]}`,
      'fix it; its shape is {"<step>": {"<question>": <answer>}}, e.g. {"2.2": {"survivors": {"a@b.c": 12}}}', EXIT.usage);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)
      || Object.values(raw).some((v) => typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw new UserError(`answers file ${file} must map step ids to objects`,
      'e.g. {"1": {"ignore-sessions": false}, "2.2": {"survivors": {"a@b.c": 12}}}', EXIT.usage);
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
    if (this.yes && !q.dangerous) return true;
    throw new NeedsAnswer(`step ${q.step} asks: ${q.message}`,
      q.dangerous
        ? `answer in the wizard, or put {"${q.step}": {"${q.key}": ${q.typeToConfirm !== undefined ? JSON.stringify(q.typeToConfirm) : 'true'}}} in --answers FILE`
        : `answer in the wizard, pass --yes, or put {"${q.step}": {"${q.key}": true}} in --answers FILE`);
  }
}
