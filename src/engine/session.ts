// What the wizard's screens need from the engine, as one small interface: the real Engine
// is adapted by engineBackend(); tests drive the screens with a plain object.
import type { Config } from '../config.js';
import { findAstakosUser, type AstakosUser } from '../core/remap/uuids.js';
import type { ApplyResult, Check } from '../core/step.js';
import { hostname } from 'node:os';
import { processAlive, SERVICES, isEmbeddedUrl, type Service } from '../db/connection.js';
import { buildReport, reportMarkdown } from './report.js';
import { UserError } from '../errors.js';
import type { DeploymentInfo, Engine, EngineEvent, PlanView, RunOutcome, StepView } from './index.js';
import type { SnippetSet } from '../core/settings/snippets.js';
import { deploymentSnippets, isSettingsStep } from '../runbook/settings.js';
import type { DecisionSource } from '../state/index.js';
import type { Decisions } from '../ui/conflicts/types.js';
import { when } from '../ui/format.js';

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
  canUndo(id: string): boolean;
  undo(id: string): Promise<ApplyResult>;
  backup(label: string): Promise<string[]>;
  /** A line about the latest backup, for the destructive confirmation. */
  latestBackup(): string | undefined;
  requestStop(): void;
  on(listener: (e: EngineEvent) => void): () => void;
  decisions(step: string): Decisions;
  decide(step: string, items: DecisionInput[]): void;
  report(): Promise<string>;
  /** Performs manual step ID on the sandbox's data; returns what it did. */
  simulate(id: string): Promise<string[]>;
  /** Step 6.3: the astakos user a typed uuid or email names, or undefined (a UserError when it is neither). */
  findUser(query: string): Promise<AstakosUser | undefined>;
  /** Steps 3.3–3.6: the settings to paste, with this deployment's values (secrets included: show only on screen). */
  snippets(id: string): Promise<SnippetSet | undefined>;
}

/** One holder of the runner lock: the state file's, or a database's. */
export interface LockHolderView {
  where: 'state file' | Service;
  host: string;
  pid: number;
  since: string;
  command: string;
  /** What this machine can tell: state file: running | gone | other host; database: connected | gone (its session). */
  status: string;
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
 * Whether the holders look alive: a database session of theirs still connected, or their
 * process running on this machine. Otherwise the lock looks stale.
 */
export function lockVerdict(holders: LockHolderView[], here: string, alive: (pid: number) => boolean): { stale: boolean; verdict: string } {
  const connected = holders.filter((h) => h.where !== 'state file' && h.status === 'connected');
  if (connected.length) return { stale: false, verdict: `it looks alive: its session on ${connected.map((h) => h.where).join(', ')} is still connected` };
  const local = holders.find((h) => h.host === here && alive(h.pid));
  if (local) return { stale: false, verdict: `it looks alive: process ${local.pid} is running on this machine` };
  const remote = holders.find((h) => h.host !== here);
  return {
    stale: true,
    verdict: remote
      ? `it looks stale: none of its database sessions is connected (it ran on ${remote.host}: check there if you can)`
      : 'it looks stale: its process is gone and none of its database sessions is connected',
  };
}

export type { AstakosUser };

export { isSettingsStep };

/** Steps the sandbox can simulate on the data (the others change nothing in the databases). */
export const SIMULATED_STEPS = new Set(['3.2', '3.3', '3.4', '3.5', '3.6', '4']);

/** A sandbox: every database embedded (pglite:), or the demo's config under state/demo/. */
export function isSandbox(config: Config): boolean {
  const urls = SERVICES.map((s) => config[s].db);
  if (urls.every((u) => !!u && isEmbeddedUrl(u))) return true;
  return !!config.file && config.file.replace(/\\/g, '/').includes('/state/demo/');
}

type SimulatedId = '3.2' | '3.3' | '3.4' | '3.5' | '3.6' | '4';
type SimulateStep = (step: SimulatedId, urls: Record<Service, string>, opts?: { settings?: Partial<Record<Service, string>> }) => Promise<unknown>;

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

export function engineBackend(engine: Engine, opts: EngineBackendOptions = {}): Backend {
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
  return {
    statePath: engine.state.path,
    sandbox: opts.sandbox ?? isSandbox(config),
    steps: () => engine.steps(),
    current: () => engine.current(),
    deployment: () => engine.deployment(),
    interrupted: () => engine.interrupted(),
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
      const here = hostname();
      const holders: LockHolderView[] = [];
      const file = engine.state.lockHolder();
      if (file) {
        holders.push({ where: 'state file', host: file.host, pid: file.pid, since: when(file.startedAt), command: file.command,
          status: file.host === here ? (processAlive(file.pid) ? 'running' : 'gone') : 'other host' });
      }
      for (const { service, holder } of await engine.lockHolders()) {
        if (!holder) continue;
        holders.push({ where: service, host: holder.host, pid: holder.pid, since: when(holder.since.toISOString()), command: holder.command,
          status: holder.connected ? 'connected' : 'gone' });
      }
      return { problem, holders, ...lockVerdict(holders, here, processAlive) };
    },
    async takeOver() {
      await engine.lock({ takeOver: true });
    },
    plan: (id, o) => withAccept(id, o, () => engine.plan(id)),
    run: (id, o) => withAccept(id, o, () => engine.run(id)),
    confirm: (id) => engine.confirm(id),
    checks: (id) => engine.checks(id),
    canUndo: (id) => !!engine.def(id).module?.undo,
    undo: (id) => engine.undo(id),
    backup: (label) => engine.backup(label),
    latestBackup() {
      const latest = SERVICES.map((s) => engine.state.latestBackup(s)).filter((b) => !!b);
      if (!latest.length) return undefined;
      const newest = latest.reduce((a, b) => (a!.createdAt > b!.createdAt ? a : b))!;
      const sums = latest.map((b) => b!.sha256).filter((s): s is string => !!s);
      return `A backup from ${when(newest.createdAt)} exists (${latest.length} of ${SERVICES.length} databases${sums.length ? `, sha256 ${sums[0]!.slice(0, 4)}…` : ''}).`;
    },
    requestStop: () => engine.requestStop(),
    on: (listener) => engine.on(listener),
    decisions: (step) => engine.state.getDecisions(step),
    decide(step, items) {
      engine.state.transaction(() => {
        for (const d of items) engine.state.setDecision(step, d.key, d.value, d.source);
      });
    },
    async report() {
      return reportMarkdown(buildReport(engine.state, await engine.deployment()));
    },
    async findUser(query) {
      return findAstakosUser((await engine.db('astakos')).pool, query);
    },
    async snippets(id) {
      if (!isSettingsStep(id)) return undefined;
      const astakos = config.astakos.db ? (await engine.db('astakos')).pool : undefined;
      return deploymentSnippets(id, astakos, { astakos: config.astakos.settings, cyclades: config.cyclades.settings, pithos: config.pithos.settings });
    },
    async simulate(id) {
      if (!SIMULATED_STEPS.has(id)) return [`step ${id} changes nothing in the databases: nothing to simulate`];
      const urls = {} as Record<Service, string>;
      for (const s of SERVICES) {
        const u = config[s].db;
        if (!u) throw new Error(`no database configured for ${s}`);
        urls[s] = u;
      }
      const settings: Partial<Record<Service, string>> = {};
      for (const s of SERVICES) if (config[s].settings) settings[s] = config[s].settings;
      const simulateStep = await loadSimulate();
      return simulatedLines(await simulateStep(id as SimulatedId, urls, { settings }), id);
    },
  };
}
