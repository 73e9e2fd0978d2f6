// What the engine tells its front ends: events, views of steps, plans and the deployment.
import type { Config } from '../config.js';
import type { Check, Findings, Plan, Progress } from '../core/step.js';
import { redactUrl, SERVICES, type Service } from '../db/connection.js';
import type { StepDef } from '../runbook/steps.js';
import type { StepRecord } from '../state/index.js';

export type EngineEvent =
  | { type: 'step-start'; step: string; attempt: number }
  | { type: 'progress'; step: string; progress: Progress; rate?: number; etaSeconds?: number }
  | { type: 'log'; step: string | null; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'step-done'; step: string; summary: string[] }
  | { type: 'step-stopped'; step: string; summary: string[] }
  | { type: 'step-failed'; step: string; error: string }
  | { type: 'phase-done'; phase: string }
  /** A question of the step waits for the operator's answer (WAITING), or was answered: that time is not work. */
  | { type: 'waiting'; step: string; waiting: boolean };

export interface StepView {
  def: StepDef;
  record: StepRecord;
  implemented: boolean;
}

export interface RunOutcome {
  step: string;
  status: 'done' | 'already-done' | 'stopped';
  summary: string[];
}

export interface PlanView {
  step: string;
  title: string;
  kind: StepDef['kind'];
  findings: Findings;
  plan: Plan;
  checks?: Check[];
}

export interface DeploymentInfo {
  service: Service;
  label: string;
  version: string;
  error?: string;
  /** The exit code the error stands for (2: a URL that does not parse; 1: a database that cannot be reached; none: an embedded one another process has open). */
  errorCode?: number;
  /** The other services configured in the same physical database (a shared layout). */
  sharedWith?: Service[];
}

/** A deployment line's database: its label, and the services it shares it with. */
export const databaseLabel = (d: DeploymentInfo): string => d.sharedWith?.length ? `${d.label} (shared with ${d.sharedWith.join(', ')})` : d.label;

export const isImplemented = (def: StepDef): boolean =>
  def.kind === 'manual' ? true : !!def.module?.apply;

/** A fingerprint of the deployment a state file belongs to (the database locations). */
export function deploymentFingerprint(config: Config): string {
  return SERVICES.map((s) => `${s}=${config[s].db ? redactUrl(config[s].db!) : '-'}`).join(' ');
}
