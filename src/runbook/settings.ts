// The settings steps of the runbook (those with snippets), by step id: which they are, and
// their checks and snippets (the work is in core/settings; the step says which settings).
import type pg from 'pg';
import type { Check } from '../core/step.js';
import { checkSettings as checkPart, type CheckOptions, type SettingsPart } from '../core/settings/checks.js';
import type { SettingsDirs } from '../core/settings/quota.js';
import {
  deploymentSnippets as partSnippets, settingsSnippets as partLines, type SettingsSnippet, type SnippetOptions, type SnippetSet,
} from '../core/settings/snippets.js';
import { findStep, STEPS } from './steps.js';

export type { SettingsSnippet, SnippetSet };

/** The id of a step that checks settings and shows snippets. */
export type SettingsStep = string;

export const SETTINGS_STEPS: readonly SettingsStep[] = STEPS.filter((s) => s.snippets).map((s) => s.id);

export const isSettingsStep = (id: string | undefined): id is SettingsStep => id !== undefined && !!findStep(id)?.snippets;

function partOf(step: SettingsStep): SettingsPart {
  const part = findStep(step)?.snippets;
  if (!part) throw new Error(`step ${step} has no settings (settings steps: ${SETTINGS_STEPS.join(', ')})`);
  return part;
}

/** The checks of settings step STEP over the configured folders. */
export const checkSettings = (step: SettingsStep, dirs: SettingsDirs, options: CheckOptions = {}): Promise<Check[]> =>
  checkPart(partOf(step), dirs, options);

/** The lines settings step STEP asks for, with TOKEN (or a placeholder) and OPTIONS filled in. */
export const settingsSnippets = (step: SettingsStep, token: string, options: SnippetOptions = {}): SettingsSnippet[] =>
  partLines(partOf(step), token, options);

/** Settings step STEP's snippets for this deployment (see core/settings/snippets.ts). */
export const deploymentSnippets = (step: SettingsStep, astakos: pg.Pool | undefined, dirs: SettingsDirs,
  opts: { generate?: boolean } = {}): Promise<SnippetSet> => partSnippets({ step, part: partOf(step) }, astakos, dirs, opts);
