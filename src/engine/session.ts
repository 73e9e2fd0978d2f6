// The one door to the engine for both front ends: everything the wizard's screens and the
// headless commands need, behind one object. engineBackend() adapts an open Engine; openSession
// (./open.ts) opens config, state file and engine for a front end; tests drive the wizard's
// screens with a plain object implementing Backend.
import type { Config } from '../config.js';
import { findAstakosUser, UUID_SHAPE, type AstakosUser } from '../core/remap/uuids.js';
import type { ApplyResult, Check } from '../core/step.js';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { writeSnippetFiles, type WrittenSnippet } from '../core/settings/snippets.js';
import { SERVICES, isEmbeddedUrl, type Service } from '../db/connection.js';
import { processLiveness } from '../processes.js';
import type { LockHolder } from '../db/lock.js';
import { buildReport, reportMarkdown, type Report } from './report.js';
import { UserError } from '../errors.js';
import type { DeploymentInfo, Engine, EngineEvent, PlanView, RunOutcome, StepView } from './index.js';
import { checkDatabases } from './preflight.js';
import { finish, finishPlan, type FinishPlan } from './finish.js';
import { planRecovery, type RecoveryPlan } from './recover.js';
import { planRestore, restoreChoices, type RestoreChoice, type RestorePlan } from './restore.js';
import { refuseDisagreements } from './reconcile.js';
import { verifyDeployment, type DeploymentVerdict } from './verify.js';
import type { SnippetSet } from '../runbook/settings.js';
import { findStep, type StepDef } from '../runbook/steps.js';
import type { Decision, DecisionSource, LockHolder as StateLockHolder } from '../state/index.js';
import { META } from '../state/index.js';
import { when } from '../format.js';

export interface DecisionInput { key: string; value: unknown; source: DecisionSource }

export interface RunOptions {
  /** Every open item of this step takes its suggestion (the `A` key). */
  acceptSuggestions?: boolean;
}

/** An Asker that can accept suggestions for one step at a time (UiAsker). */
interface StepAccepting { acceptingFor(step: string | undefined): void }
const canAccept = (a: unknown): a is StepAccepting => typeof (a as StepAccepting | undefined)?.acceptingFor === 'function';

export interface Backend {
  statePath: string;
  /** An embedded sandbox deployment: manual steps can be performed in it. */
  sandbox: boolean;
  steps(): StepView[];
  current(): StepView | undefined;
  deployment(): Promise<DeploymentInfo[]>;
  interrupted(): Promise<{ step: string; text: string } | undefined>;
  /** When `snf-upgrade finish` dropped the tool's tables (undefined: not yet). */
  finishedAt(): string | undefined;
  /** Where the state file disagrees with what the databases record (each a line; empty: they agree). */
  disagreements(): Promise<string[]>;
  /** Refuses (exit 4, nothing written) while the databases record what the state file lacks: the first thing a writing command checks. */
  requireAgreement(): Promise<void>;
  /** What `snf-upgrade recover` would write, read from the databases (RESTORED: just restored from the backup made at AT, during STEP). */
  recoveryPlan(restored?: { at: string; step?: string }): Promise<RecoveryPlan>;
  /** What `snf-upgrade restore` would put back: the backups LABEL of SERVICES (none: all), checked. */
  restorePlan(services: string[], label: string): Promise<RestorePlan>;
  /** Each backup label recorded (step 1's, a phase's, a manual one), oldest first. */
  restoreChoices(): RestoreChoice[];
  /** What `snf-upgrade finish` would drop, and why it is refused (finish.ts). */
  finishPlan(): Promise<FinishPlan>;
  /** Writes the report beside the state file, then drops the tool's tables; what was removed, a line each. */
  finish(): Promise<string[]>;
  /** One line about the runner lock ("held by this session", or who else holds it). */
  lockLine(): Promise<string>;
  /** Who holds the runner lock when this session could not take it at start (undefined: this session holds it). */
  lockConflict(): Promise<LockConflict | undefined>;
  /** Takes the runner lock from its holder (--take-over), after the operator confirmed. */
  takeOver(): Promise<void>;
  /** ACCEPT: plan as if the operator accepted every suggestion of this step. */
  plan(id: string, opts?: RunOptions): Promise<PlanView>;
  run(id: string, opts?: RunOptions): Promise<RunOutcome>;
  confirm(id: string): Promise<Check[]>;
  checks(id: string): Promise<Check[]>;
  /** The deployment checked as a whole (snf-upgrade verify): reads only. */
  verify(): Promise<DeploymentVerdict>;
  /** Whether step ID can be undone (false for anything that is no step: the wizard's own questions). */
  canUndo(id: string): boolean;
  undo(id: string): Promise<ApplyResult>;
  backup(label: string): Promise<string[]>;
  /** A line about the latest backup, for the destructive confirmation. */
  latestBackup(): string | undefined;
  requestStop(): void;
  on(listener: (e: EngineEvent) => void): () => void;
  decisions(step: string): ReadonlyMap<string, Decision>;
  decide(step: string, items: DecisionInput[]): void;
  report(): Promise<string>;
  /** Performs manual step ID on the sandbox's data; returns what it did. */
  simulate(id: string): Promise<string[]>;
  /** Step 6.3: the astakos user a typed uuid or email names, or undefined (a UserError when it is neither). */
  findUser(query: string): Promise<AstakosUser | undefined>;
  /**
   * Steps 3.3–3.6: the settings to paste, with this deployment's values (secrets included: show
   * only on screen). Makes the quotaholder token once, under the runner lock, unless GENERATE is false.
   */
  snippets(id: string, opts?: { generate?: boolean }): Promise<SnippetSet | undefined>;
  /** Steps 3.3–3.6: the lines written to a file per host and settings file (0600) beside the state file; a line per file. */
  writeSnippets(id: string): Promise<WrittenSnippet[]>;
}

/** What the headless commands need besides the wizard's calls, and the session's end. */
export interface Session extends Backend {
  /** STEP's definition; a usage error (exit 2) listing the steps when there is no such step. */
  step(id: string): StepDef;
  /**
   * Every recorded holder of the runner lock (state file and each physical database, named by
   * every service living in it), judged alive or stale (status).
   */
  locks(): Promise<LockHolderView[]>;
  /** Every step up to and including THROUGH (default: all), stopping at manual steps. */
  runThrough(through?: string): Promise<RunOutcome[]>;
  /** The report as data (report --format json); report() is its text. */
  reportData(): Promise<Report>;
  /**
   * Before a command that writes takes its locks: STEP exists, the settings parse and every
   * database is its service's, at a release STEP can work on (undefined: any release).
   */
  checkDatabases(step: string | undefined): Promise<void>;
  /** Stops now: cancels the statements the databases are running (their batches roll back) and a running pg_dump. */
  cancelRunning(): Promise<number>;
  /** Whether this session holds the runner lock (it can lose it to a take-over). */
  holdsLock(): boolean;
  /** Ends the session: releases the lock, records how the run ended, closes the databases. */
  close(outcome?: 'completed' | 'paused' | 'failed'): Promise<void>;
}

/** One holder of the runner lock: the state file's, or a database's. */
export interface LockHolderView {
  /** 'state file', or the services of the database holding it ("astakos and cyclades" when shared). */
  where: string;
  /** A database's holder: every service living in that database. */
  services?: Service[];
  host: string;
  pid: number;
  /** When it took the lock, for the screen (see at). */
  since: string;
  /** The same, as an ISO timestamp. */
  at: string;
  command: string;
  /** What this machine can tell: state file: running | gone | other host; database: connected | gone (its session). */
  status: string;
  /** Whether the holder is still running: it holds a database lock, or it is this machine's process that recorded it. */
  alive: boolean;
  /** Why it is judged alive or stale, in a few words. */
  why: string;
}

export interface LockConflict {
  /** Why this session could not take the lock (message and next action). */
  problem: string;
  holders: LockHolderView[];
  /** Whether the holder looks gone, and why. */
  stale: boolean;
  verdict: string;
}

/**
 * Every recorded holder of the runner lock, each judged: a database's holder is alive only
 * while its session holds the advisory lock (pg_locks); the state file's while one of its
 * database sessions does, or while its process runs on this machine with the start time it
 * recorded (a pid the kernel gave to another process is not the holder; the embedded demo,
 * whose database lives and dies with the process, relies on this).
 */
export function judgeLockHolders(file: StateLockHolder | undefined, dbs: { service: Service; services?: readonly Service[]; holder?: LockHolder }[], here: string): LockHolderView[] {
  const views: LockHolderView[] = [];
  const where = (d: { service: Service; services?: readonly Service[] }): string => (d.services ?? [d.service]).join(' and ');
  const held = dbs.filter((d) => d.holder?.connected);
  if (file) {
    const mine = held.filter((d) => d.holder!.host === file.host && d.holder!.pid === file.pid).map(where);
    const process = file.host === here ? processLiveness(file.pid, file.processStart) : undefined;
    const alive = mine.length > 0 || !!process?.alive;
    const why = mine.length ? `its session on ${mine.join(', ')} holds the database lock`
      : process ? process.why
      : `it ran on ${file.host} and holds no database lock`;
    views.push({ where: 'state file', host: file.host, pid: file.pid, since: when(file.startedAt), at: file.startedAt, command: file.command,
      status: process ? (process.alive ? 'running' : 'gone') : 'other host', alive, why });
  }
  for (const d of dbs) {
    const { holder } = d;
    if (!holder) continue;
    views.push({ where: where(d), services: [...(d.services ?? [d.service])], host: holder.host, pid: holder.pid, since: when(holder.since.toISOString()), at: holder.since.toISOString(), command: holder.command,
      status: holder.connected ? 'connected' : 'gone', alive: holder.connected,
      why: holder.connected ? `its session (backend ${holder.backendPid}) holds the advisory lock` : `no session holds the advisory lock (backend ${holder.backendPid} is gone)` });
  }
  return views;
}

/** Whether the holders look alive (one of them is, see judgeLockHolders) or the lock looks stale. */
export function lockVerdict(holders: LockHolderView[]): { stale: boolean; verdict: string } {
  const connected = holders.filter((h) => h.where !== 'state file' && h.alive);
  if (connected.length) return { stale: false, verdict: `it looks alive: its session on ${connected.map((h) => h.where).join(', ')} is still connected` };
  const local = holders.find((h) => h.where === 'state file' && h.alive);
  if (local) return { stale: false, verdict: `it looks alive: ${local.why} on this machine` };
  const remote = holders.find((h) => h.status === 'other host');
  const file = holders.find((h) => h.where === 'state file');
  return {
    stale: true,
    verdict: remote
      ? `it looks stale: none of its database sessions is connected (it ran on ${remote.host}: check there if you can)`
      : `it looks stale: ${file && file.status === 'gone' ? file.why.replace(/^process \d+ /, 'its process ') : 'its process is gone'} and none of its database sessions is connected`,
  };
}

export type { AstakosUser, DeploymentVerdict, WrittenSnippet };
export { writtenTarget } from '../core/settings/snippets.js';
export { findingLine, verdictLines, type VerifyFinding } from './verify.js';
// What the wizard shows, re-exported so that src/ui reaches nothing below the engine.
/** What an astakos uuid looks like (the wizard checks what the operator types). */
export { UUID_SHAPE };


/** A sandbox: every database embedded (pglite:), or the demo's config under state/demo/. */
export function isSandbox(config: Config): boolean {
  const urls = SERVICES.map((s) => config[s].db);
  if (urls.every((u) => !!u && isEmbeddedUrl(u))) return true;
  return !!config.file && config.file.replace(/\\/g, '/').includes('/state/demo/');
}

type SimulateStep = (step: string, urls: Record<Service, string>, opts?: { settings?: Partial<Record<Service, string>> }) => Promise<unknown>;

async function loadSimulate(): Promise<SimulateStep> {
  // Resolved at run time (the sandbox is only loaded when used); index first, as documented.
  for (const spec of ['../sandbox/index.js', '../sandbox/simulate.js']) {
    try {
      const mod = (await import(spec)) as { simulateStep?: SimulateStep };
      if (typeof mod.simulateStep === 'function') return mod.simulateStep;
    } catch { /* try the next */ }
  }
  throw new UserError('this build of snf-upgrade has no sandbox simulation', 'perform the step on the hosts, then confirm it with c');
}

/** What the simulation says it did ({done: [...]}, {summary: [...]} or lines). */
export function simulatedLines(result: unknown, id: string): string[] {
  if (Array.isArray(result)) return result.map(String);
  if (result && typeof result === 'object') {
    for (const k of ['done', 'summary']) {
      const v = (result as Record<string, unknown>)[k];
      if (Array.isArray(v) && v.length) return v.map(String);
    }
  }
  return [`step ${id} performed in the sandbox`];
}

export interface EngineBackendOptions {
  sandbox?: boolean;
  /** Why this session could not take the runner lock at start, if it could not. */
  lockProblem?: () => string | undefined;
}

/** The session over an open ENGINE; closing it closes the engine (not its state file). */
export function engineBackend(engine: Engine, opts: EngineBackendOptions = {}): Session {
  const config = engine.config;
  const asker = engine.asker;
  async function withAccept<T>(id: string, o: RunOptions | undefined, work: () => Promise<T>): Promise<T> {
    if (!o?.acceptSuggestions) return work();
    if (!canAccept(asker)) throw new UserError('this session cannot accept suggestions on the operator\'s behalf', `run: snf-upgrade run ${id} --accept-suggestions`);
    asker.acceptingFor(id);
    try {
      return await work();
    } finally {
      asker.acceptingFor(undefined);
    }
  }
  const reportData = async (): Promise<Report> => buildReport(engine.state, await engine.deployment(), engine.config);
  return {
    statePath: engine.state.inMemory ? `${engine.config.state} (does not exist)` : engine.state.path,
    sandbox: opts.sandbox ?? isSandbox(config),
    steps: () => engine.steps(),
    current: () => engine.current(),
    deployment: () => engine.deployment(),
    interrupted: () => engine.interrupted(),
    finishedAt: () => engine.state.getMeta(META.finishedAt),
    disagreements: async () => (await engine.databaseViews()).disagreements.map((d) => d.line),
    async requireAgreement() {
      // Another runner at work explains what its batches add: its lock is what to say first (the lock step does).
      if (judgeLockHolders(engine.state.lockHolder(), await engine.lockHolders(), hostname()).some((h) => h.alive)) return;
      // A database behind the file (restored) is said by the preflight's schema check or, failing that, when the lock is taken.
      refuseDisagreements((await engine.databaseViews()).disagreements.filter((d) => d.kind === 'ahead'));
    },
    recoveryPlan: (restored) => planRecovery(engine, restored),
    restorePlan: (services, label) => planRestore(engine, services, label),
    restoreChoices: () => restoreChoices(engine),
    async lockLine() {
      if (engine.state.holdsLock()) return 'lock: held by this session';
      const problem = opts.lockProblem?.();
      if (problem) return `lock: ${problem}`;
      const holders = await engine.lockHolders();
      const held = holders.find((h) => h.holder?.connected);
      if (held) {
        const h = held.holder!;
        return `lock: held by ${h.host} pid ${h.pid} since ${when(h.since.toISOString())}`;
      }
      return 'lock: free';
    },
    async lockConflict() {
      if (engine.state.holdsLock()) return undefined;
      const problem = opts.lockProblem?.();
      if (!problem) return undefined;
      const holders = judgeLockHolders(engine.state.lockHolder(), await engine.lockHolders(), hostname());
      return { problem, holders, ...lockVerdict(holders) };
    },
    async takeOver() {
      await engine.lock({ takeOver: true });
    },
    plan: (id, o) => withAccept(id, o, () => engine.plan(id)),
    run: (id, o) => withAccept(id, o, () => engine.run(id)),
    confirm: (id) => engine.confirm(id),
    checks: (id) => engine.checks(id),
    verify: () => verifyDeployment(engine.runbook, engine.state, (d) => engine.context(d)),
    canUndo: (id) => !!engine.runbook.find((d) => d.id === id)?.module?.undo,
    undo: (id) => engine.undo(id),
    backup: (label) => engine.backup(label),
    latestBackup() {
      // One backup per physical database: a shared database's file is recorded for each of its services.
      const groups = engine.databaseGroups();
      const latest = groups.map((g) => engine.state.latestBackup(g[0]!)).filter((b) => !!b);
      if (!latest.length) return undefined;
      const newest = latest.reduce((a, b) => (a!.createdAt > b!.createdAt ? a : b))!;
      const sums = latest.map((b) => b!.sha256).filter((s): s is string => !!s);
      return `A backup from ${when(newest.createdAt)} exists (${latest.length} of ${groups.length} databases${sums.length ? `, sha256 ${sums[0]!.slice(0, 4)}…` : ''}).`;
    },
    step: (id) => engine.def(id),
    runThrough: (through) => engine.runThrough(through),
    locks: async () => judgeLockHolders(engine.state.lockHolder(), await engine.lockHolders(), hostname()),
    checkDatabases: (step) => checkDatabases(engine, step),
    holdsLock: () => engine.state.holdsLock(),
    finishPlan: () => finishPlan(engine),
    finish: () => finish(engine),
    close: (outcome) => engine.close(outcome),
    requestStop: () => engine.requestStop(),
    cancelRunning: () => engine.cancelRunning(),
    on: (listener) => engine.on(listener),
    decisions: (step) => engine.state.getDecisions(step),
    decide: (step, items) => engine.decide(step, items),
    reportData,
    report: async () => reportMarkdown(await reportData()),
    async findUser(query) {
      return findAstakosUser((await engine.db('astakos')).pool, query);
    },
    async snippets(id, o) {
      if (!findStep(id)?.snippets) return undefined;
      return engine.snippets(id, { generate: o?.generate ?? true });
    },
    async writeSnippets(id) {
      const set = await engine.snippets(id, { generate: true });
      if (!set) throw new UserError(`step ${id} has no settings to write`, 'the settings steps are 3.3–3.6');
      return writeSnippetFiles(set, join(dirname(engine.config.state), 'settings', `step${id}`), id);
    },
    async simulate(id) {
      if (!findStep(id)?.simulate) return [`step ${id} changes nothing in the databases: nothing to simulate`];
      const urls = {} as Record<Service, string>;
      for (const s of SERVICES) {
        const u = config[s].db;
        if (!u) throw new Error(`no database configured for ${s}`);
        urls[s] = u;
      }
      const settings: Partial<Record<Service, string>> = {};
      for (const s of SERVICES) if (config[s].settings) settings[s] = config[s].settings;
      const simulateStep = await loadSimulate();
      await engine.holdLock(id);
      return simulatedLines(await simulateStep(id, urls, { settings }), id);
    },
  };
}
