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
  /** The database and table the check reads, named by verify's findings ("astakos quotaholder_app_holding"). */
  where?: string;
  /** Shown, but does not block: this machine cannot judge it (e.g. another host's loopback). */
  advisory?: boolean;
  /** The shell command that fixes it, shown on a line of its own to paste. */
  command?: string;
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

export interface Findings<D = unknown> {
  /** Short lines for the operator ("37 groups, 76 users"). */
  summary: string[];
  /** Module-specific detail, stored in the state file and printed by plan --json. */
  data?: D;
}

export interface Plan<D = unknown> {
  summary: string[];
  changes: TableChange[];
  /** Decisions still open: the step cannot apply while this is non-zero. */
  open?: number;
  /** Whether applying deletes or merges data (asks for type-to-confirm). */
  destructive?: { what: string; confirmWord: string };
  /** Decisions no table of the wizard shows (a limit 0.13 would set otherwise than 0.12): one line each, with both values. */
  questions?: string[];
  data?: D;
}

/** Who made a decision: the operator (wizard), the answers file, an accepted suggestion, or a default. */
export type DecisionSource = 'operator' | 'suggested' | 'answers' | 'default';

/**
 * A decision as the state file keeps it: its value (a survivor's user id, a set decision, an
 * action on an unknown identifier…), who made it and when. The one decision shape of the tool.
 */
export interface Decision<V = unknown> {
  value: V;
  source: DecisionSource;
  /** ISO-8601 UTC; absent on a decision not stored yet. */
  decidedAt?: string;
}

/** A step's stored decisions by key (a group's or set's key, 'unknown:<identifier>', …). */
export type Decisions = ReadonlyMap<string, Decision>;

/** The value of a set decision (steps 6.1, 6.2): merge the set into one member, or delete some members' rows. */
export interface SetDecision {
  action: 'merge' | 'delete';
  /** merge: the member every other one becomes; delete: where the members left over go (if more than one is left). */
  into?: string;
  /** delete: the members whose rows are deleted (exact). */
  delete?: string[];
}

/** What the operator said outside the state file: the answers file and --accept-suggestions. */
export type Answers = Pick<Asker, 'answer' | 'acceptSuggestions'>;

/** Everything a plan decides by, read before it runs. */
export interface StepDecisions {
  /** The step being planned: the answers file is read under its id. */
  step: string;
  /** The step's stored decisions (for a step showing another step's table: that step's). */
  stored: Decisions;
  answers: Answers;
}

export interface ApplyResult {
  summary: string[];
  rows: number;
  /** True when the operator asked to stop and the step ended between batches. */
  stopped?: boolean;
}

export interface Progress {
  table?: string;
  /** What done and total count (default rows): databases, accounts, sets, owners, users. */
  unit?: string;
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

/**
 * What a done step promises the steps after it, read again before each of them runs or is
 * confirmed (things change behind the tool's back: a user registers, a VM is created).
 */
export interface StepPromise {
  /**
   * What now breaks the promise, read with the promising step's context (ctx.step is that
   * step); undefined when it holds, or no longer applies (e.g. the schema it guarded moved on).
   */
  broken(ctx: StepContext): Promise<BrokenPromise | undefined>;
}

export interface BrokenPromise {
  /** What appeared, counted: "1 group of astakos users whose emails differ only in case". */
  what: string;
  /** The first few of them, in the operator's terms (ids, emails, owners). */
  examples: string[];
  /** Whether the examples are all there is. */
  complete: boolean;
  /** What running the promising step again does about them: "removes them once decided". */
  fix: string;
}

/**
 * A step's implementation, typed by its findings data F and plan data P. `inspect` does all
 * the reading, `plan` none (no context, no database, no state file), `apply` the writing.
 */
export interface StepModule<F = unknown, P = unknown> {
  /** Read-only look at the databases (and at what the plan needs of the state file). */
  inspect?(ctx: StepContext): Promise<Findings<F>>;
  /** Pure: findings + decisions → actions with row counts. */
  plan?(findings: Findings<F>, decisions: StepDecisions): Plan<P>;
  apply?(ctx: StepContext, plan: Plan<P>): Promise<ApplyResult>;
  /** Re-checks what the step promises; for manual steps, the checks that gate `confirm`. */
  verify?(ctx: StepContext): Promise<Check[]>;
  /** Why undo is refused now, or undefined when it may run. */
  undoRefusal?(ctx: StepContext): Promise<string | undefined>;
  undo?(ctx: StepContext): Promise<ApplyResult>;
}

// ------------------------------------------------------------------ each step's data
// The findings.data and plan.data of every step, for the front ends to render (they import
// core/step.ts only). Where they live: dedup/types.ts (2.1, 2.2), remap/cyclades/types.ts
// (6.1, 6.3), remap/pithos/types.ts (6.2, 6.4), quota/* (5, 7.x, 8, 9.x).
export type {
  CycladesOwned, DedupFindings, DedupPlanData, DuplicateGroup, DuplicateUser, GroupDecision, PithosOwned, RemoveFindings,
} from './dedup/types.js';
export type {
  DuplicateSet, DuplicatesFindings, DuplicatesPlanData, MigrateFindings, MigrateInspection, MigratePlanData, Owned, SetMember,
  SettingsFileRewrite, SettingsKeyChange, SettingsRewrite, TableCounts, UnknownAction, UnknownIdentifier, UnknownKind,
} from './remap/cyclades/types.js';
export type {
  AccountHoldings, AccountSetDecision, CollisionReport, DuplicateAccountSet, MemberCaseFindings, PithosDuplicatesFindings,
  PithosDuplicatesPlanData, PithosMigrateFindings, PithosMigrateInspection, PithosMigratePlan, PithosMigratePlanData, PlannedSet,
  RevisionState, UnknownAccountDecision,
} from './remap/pithos/types.js';
export type { CascadeReach, CascadeRefusal } from './cascade.js';
export type { DefinitionsFindings } from './quota/services.js';
export type { Headroom, HeadroomRow } from './quota/headroom.js';
export type { InitialFindings, Rejection } from './quota/initial.js';
export type { SyncFindings } from './quota/effective.js';
export type { Unset, UsageFindings } from './quota/usage.js';
