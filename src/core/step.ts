// What a step implementation sees and returns. Core modules implement StepModule; the
// runbook wires them to step ids; the engine runs them. Nothing here knows about a UI.
import type pg from 'pg';
import type { Config } from '../config.js';
import type { Db, Service } from '../db/connection.js';
import type { BatchResult } from '../db/journal.js';
import type { StateFile } from '../state/index.js';

export interface Check {
  label: string;
  ok: boolean;
  detail?: string;
  /** Shown, but does not block: this machine cannot judge it (e.g. another host's loopback). */
  advisory?: boolean;
}

/** The checks that block a step: failed and not advisory. */
export const blocking = (checks: Check[]): Check[] => checks.filter((c) => !c.ok && !c.advisory);

export const checkSymbol = (c: Check): string => (c.ok ? '✓' : c.advisory ? '!' : '✗');

export interface TableChange {
  service: Service;
  table: string;
  action: 'delete' | 'update' | 'insert';
  rows: number;
}

export interface Findings {
  /** Short lines for the operator ("37 groups, 76 users"). */
  summary: string[];
  /** Module-specific detail, stored in the state file and printed by plan --json. */
  data?: unknown;
}

export interface Plan {
  summary: string[];
  changes: TableChange[];
  /** Decisions still open: the step cannot apply while this is non-zero. */
  open?: number;
  /** Whether applying deletes or merges data (asks for type-to-confirm). */
  destructive?: { what: string; confirmWord: string };
  data?: unknown;
}

export interface ApplyResult {
  summary: string[];
  rows: number;
  /** True when the operator asked to stop and the step ended between batches. */
  stopped?: boolean;
}

export interface Progress {
  table?: string;
  done: number;
  total?: number;
  batch?: number;
  batches?: number;
}

export interface BeforeImage {
  service: Service;
  table: string;
  pk: unknown;
  row: unknown;
  action: 'delete' | 'update';
}

/** A question for the operator; headless mode answers it from --answers or flags. */
export interface Question {
  step: string;
  /** Key inside the step's entry of the answers file. */
  key: string;
  message: string;
  detail?: string[];
  /** Dangerous questions are never answered by --yes, only by the operator or the answers file. */
  dangerous?: boolean;
  /** For destructive confirmations: the text the operator must type. */
  typeToConfirm?: string;
}

export interface Asker {
  readonly interactive: boolean;
  confirm(q: Question): Promise<boolean>;
  /** The answer of STEP's KEY in the answers file, as the step's parser returned it (core/answers.ts), if any. */
  answer(step: string, key: string): unknown;
  /** Whether the operator asked to accept every suggestion (--accept-suggestions or `a`). */
  readonly acceptSuggestions: boolean;
  /** A free-text answer typed by the operator (the wizard); undefined when not given. Headless askers have none. */
  ask?(q: Question): Promise<string | undefined>;
}

export interface StepContext {
  step: string;
  runId: string;
  config: Config;
  state: StateFile;
  asker: Asker;
  db(service: Service): Promise<Db>;
  progress(p: Progress): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** True once the operator asked to stop: finish the current batch, then return. */
  stopRequested(): boolean;
  /**
   * Runs WORK as one exactly-once batch of this step in SERVICE's database. Before-images
   * WORK hands to `keep` are stored in the state file before the transaction commits.
   */
  batch(service: Service, batch: string,
    work: (client: pg.PoolClient, keep: (images: BeforeImage[]) => void) => Promise<number>): Promise<BatchResult>;
}

export interface StepModule {
  /** Read-only look at the databases. */
  inspect?(ctx: StepContext): Promise<Findings>;
  /** Pure: findings + stored decisions → actions with row counts. */
  plan?(ctx: StepContext, findings: Findings): Promise<Plan>;
  apply?(ctx: StepContext, plan: Plan): Promise<ApplyResult>;
  /** Re-checks what the step promises; for manual steps, the checks that gate `confirm`. */
  verify?(ctx: StepContext): Promise<Check[]>;
  /** Why undo is refused now, or undefined when it may run. */
  undoRefusal?(ctx: StepContext): Promise<string | undefined>;
  undo?(ctx: StepContext): Promise<ApplyResult>;
}
