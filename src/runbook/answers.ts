// Which answers-file keys each step of the runbook accepts, and their parsers.
import { COMMON_ANSWERS, yesNo, type AnswerParser } from '../core/answers.js';
import { findStep } from './steps.js';

/** Commands outside the runbook that ask before they act: {"restore": {"confirm": true}}. */
const COMMAND_ANSWERS: Record<string, Record<string, AnswerParser>> = { restore: { confirm: yesNo } };

/** Every key STEP (or a command of COMMAND_ANSWERS) accepts, with its parser (undefined when there is no such step). */
export function answerKeys(step: string): Readonly<Record<string, AnswerParser>> | undefined {
  const def = findStep(step);
  return def ? { ...COMMON_ANSWERS, ...def.answers } : COMMAND_ANSWERS[step];
}

/** The parser of STEP's KEY, or undefined when the step does not read that key. */
export const answerParser = (step: string, key: string): AnswerParser | undefined => answerKeys(step)?.[key];
