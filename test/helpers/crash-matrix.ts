// The crash matrix: a generated sandbox taken through the whole upgrade once without
// interruption (the baseline, with a snapshot of the databases and local files before every
// migrating step), then trials that each restore the snapshot before one step, run that step
// in a real CLI process killed with SIGKILL at a chosen point (inside a batch's transaction,
// between the PostgreSQL commit and the state-file update, during step 1's backup, or after a
// random delay), restart it (maybe killing it again), finish the upgrade and compare the three
// databases table by table with the baseline, and the state file with the databases.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { main, type Io } from '../../src/cli/main.js';
import { closeAllEmbedded, openDb, SERVICES, type Service } from '../../src/db/connection.js';
import { STEPS } from '../../src/runbook/steps.js';
import { createSandbox, SIMULATED_STEPS, simulateStep, type SimulatedStep } from '../../src/sandbox/index.js';
import { copyStateFile, removeStateFile, serverUrl, spawnCli, testDbName } from '../support.js';
import { deploymentHashes, hashDifferences, type Hashes } from './db-hash.js';
import { stateDisagreements } from './state-agreement.js';

/** Steps a trial can interrupt: every migrating step, and step 1 (its backups). */
export const TARGETS = ['1', '2.2', '5', '6.1', '6.2', '6.3', '6.4', '7.1', '7.2', '8', '9.1', '9.2'] as const;
export type Target = (typeof TARGETS)[number];

export type KillKind = 'before-commit' | 'after-commit' | 'backup' | 'timed';
export const KILL_KINDS: readonly KillKind[] = ['before-commit', 'after-commit', 'backup', 'timed'];

export interface Kill { kind: KillKind; hit?: number; delayMs?: number }
/** After the kills, before the restart: the state file is lost, or replaced by the copy taken before the step. */
export type StateFault = 'lost' | 'stale';
export interface TrialPlan { n: number; step: Target; kills: Kill[]; stateFault?: StateFault }

/** Small batches, so that every step has many (the same in the baseline and every trial). */
export const BATCH_ENV: NodeJS.ProcessEnv = {
  SNF_UPGRADE_USERS_BATCH: '4',
  SNF_UPGRADE_REMAP_BATCH: '20',
  SNF_UPGRADE_PITHOS_BATCH: '40',
  SNF_UPGRADE_PITHOS_CHUNK: '3',
};

const UUID_SALT = 'crash-matrix';
const STEP_TIMEOUT_MS = 180_000;

export const describeKill = (k: Kill): string =>
  k.kind === 'timed' ? `SIGKILL after ${k.delayMs} ms` : `${k.kind}#${k.hit}`;
export const describePlan = (p: TrialPlan): string =>
  `trial ${p.n}: step ${p.step}: ${p.kills.map(describeKill).join(', then ')}${p.stateFault ? `, then the state file ${p.stateFault === 'lost' ? 'lost' : 'replaced by its copy from before the step'}` : ''}`;

/** mulberry32: a small seeded PRNG, so that a seed replays the same trials. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const slug = (step: string): string => `s${step.replace('.', '_')}`;

export interface Baseline {
  hashes: Hashes;
  /** Batches each step committed (how often its batch fault points are reached). */
  batches: Record<string, number>;
  /** Its journal rows, "service step batch rows" (named in a mismatch's details). */
  journal: string[];
  /** How long after its `run` process starts each target step ends (start-up included). */
  ms: Record<string, number>;
}

interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** One sandbox, its live databases and files, and the snapshots taken before each target. */
export class CrashSandbox {
  readonly live: string;
  readonly config: string;
  readonly state: string;
  readonly answers: string;
  urls!: Record<Service, string>;
  private readonly server = serverUrl();
  private readonly snapshots = new Set<string>();
  private olds = 0;
  private dropping: Promise<unknown> = Promise.resolve();

  constructor(readonly root: string, readonly name: string, readonly seed: number, private readonly log: (s: string) => void = () => undefined) {
    this.live = join(root, 'live');
    this.config = join(this.live, 'snf-upgrade.json');
    this.state = join(this.live, `${name}-state.db`);
    this.answers = join(root, 'answers.json');
  }

  private snapDir = (step: string): string => join(this.root, `snap-${slug(step)}`);
  private snapDb = (step: string, s: Service): string => `${this.name}_${slug(step)}_${s}`;

  async create(): Promise<void> {
    mkdirSync(this.live, { recursive: true });
    const r = await createSandbox({
      name: this.name, scale: 'tiny', seed: this.seed, configPath: this.config,
      ...(this.server ? { pg: this.server } : { embedded: join(this.live, 'db') }),
    });
    this.urls = r.urls;
    // every dangerous question of every step answered yes, as an operator who read the plans
    const answers: Record<string, Record<string, unknown>> = { 1: { 'ignore-sessions': true } };
    for (const def of STEPS) if (def.kind !== 'manual') answers[def.id] = { ...answers[def.id], confirm: true };
    writeFileSync(this.answers, JSON.stringify(answers));
  }

  private async admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: this.server, application_name: 'snf-upgrade crash test' });
    await c.connect();
    try { return await fn(c); } finally { await c.end(); }
  }

  /** Copies the live databases and files (nothing may have them open). */
  async snapshot(step: string): Promise<void> {
    await closeAllEmbedded();
    const dir = this.snapDir(step);
    rmSync(dir, { recursive: true, force: true });
    cpSync(this.live, dir, { recursive: true });
    if (this.server) {
      await this.admin(async (c) => {
        for (const s of SERVICES) {
          await c.query(`DROP DATABASE IF EXISTS "${this.snapDb(step, s)}"`);
          await c.query(`CREATE DATABASE "${this.snapDb(step, s)}" TEMPLATE "${this.name}_${s}"`);
        }
      });
    }
    this.snapshots.add(step);
  }

  /**
   * Puts the live databases and files back as they were before STEP (lastUse: and drops that
   * snapshot). On a server the used databases are renamed away and dropped in the background
   * (a DROP DATABASE takes about half a second).
   */
  async restore(step: string, opts: { lastUse?: boolean } = {}): Promise<void> {
    if (!this.snapshots.has(step)) throw new Error(`no snapshot before step ${step}`);
    await closeAllEmbedded();
    rmSync(this.live, { recursive: true, force: true });
    cpSync(this.snapDir(step), this.live, { recursive: true });
    if (opts.lastUse) rmSync(this.snapDir(step), { recursive: true, force: true });
    if (this.server) {
      const used: string[] = [];
      await this.admin(async (c) => {
        for (const s of SERVICES) {
          const old = `${this.name}_old${++this.olds}_${s}`;
          await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [`${this.name}_${s}`]);
          await c.query(`ALTER DATABASE "${this.name}_${s}" RENAME TO "${old}"`);
          used.push(old);
          await c.query(`CREATE DATABASE "${this.name}_${s}" TEMPLATE "${this.snapDb(step, s)}"`);
          if (opts.lastUse) used.push(this.snapDb(step, s));
        }
      });
      this.dropping = this.dropping.then(() => this.admin(async (c) => {
        for (const db of used) await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      })).catch(() => undefined); // what is left is dropped by drop()
    }
    if (opts.lastUse) this.snapshots.delete(step);
  }

  async drop(): Promise<void> {
    await closeAllEmbedded();
    await this.dropping;
    if (this.server) {
      await this.admin(async (c) => {
        const olds = (await c.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [`${this.name}_old`])).rows.map((r) => r.datname as string);
        for (const s of SERVICES) {
          await c.query(`DROP DATABASE IF EXISTS "${this.name}_${s}" WITH (FORCE)`);
          for (const step of this.snapshots) await c.query(`DROP DATABASE IF EXISTS "${this.snapDb(step, s)}" WITH (FORCE)`);
        }
        for (const db of olds) await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      });
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  /** `snf-upgrade ARGS` in a real child process; killed after killAfterMs if given. */
  cli(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs?: number): Promise<RunResult> {
    return new Promise((resolve) => {
      const t0 = Date.now();
      const child = spawnCli([...args, '--config', this.config], { ...BATCH_ENV, ...env });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => { stdout += d; });
      child.stderr!.on('data', (d) => { stderr += d; });
      const killer = killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
      const stuck = setTimeout(() => { stderr += '\n(crash test: no exit after the time limit, killed)'; child.kill('SIGKILL'); }, STEP_TIMEOUT_MS);
      child.on('close', (code, signal) => {
        clearTimeout(killer);
        clearTimeout(stuck);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
      });
    });
  }

  /** Runs STEP to the end in one process and fails loudly otherwise. */
  async runStep(step: string, args = [step]): Promise<RunResult> {
    const r = await this.cli(['run', ...args, '--answers', this.answers, '--accept-suggestions', '--yes']);
    if (r.code !== 0) throw new Error(`run ${args.join(' ')} exited ${r.code ?? r.signal}: ${lastLines(r.stderr + r.stdout)}`);
    return r;
  }

  /** A manual step: its effect simulated on the sandbox (where there is one), then confirmed. */
  async manualStep(step: string): Promise<void> {
    if ((SIMULATED_STEPS as readonly string[]).includes(step)) {
      const live = (s: Service) => join(this.live, `${this.name}-settings`, s);
      await simulateStep(step as SimulatedStep, this.urls, {
        uuidSalt: UUID_SALT, settings: { astakos: live('astakos'), cyclades: live('cyclades'), pithos: live('pithos') },
      });
    }
    let err = '';
    const io: Io = { out: () => undefined, err: (s) => { err += `${s}\n`; }, isTTY: false };
    const code = await main(['confirm', step, '--config', this.config], io);
    if (code !== 0) throw new Error(`confirm ${step} exited ${code}: ${lastLines(err)}`);
  }

  /**
   * Takes the upgrade from step index FROM to the end: manual steps simulated and confirmed,
   * the others run, one process per stretch between manual steps and the steps in BREAKS.
   * BEFORE runs ahead of each of those processes and manual steps; RAN after each process.
   */
  async walk(from: number, opts: { breaks?: ReadonlySet<string>; before?: (step: string) => Promise<void>; ran?: (steps: string[], r: RunResult) => void } = {}): Promise<void> {
    for (let i = from; i < STEPS.length;) {
      const def = STEPS[i]!;
      await opts.before?.(def.id);
      if (def.kind === 'manual') {
        await this.manualStep(def.id);
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < STEPS.length && STEPS[j + 1]!.kind !== 'manual' && !opts.breaks?.has(STEPS[j + 1]!.id)) j++;
      const r = await this.runStep(def.id, j === i ? [def.id] : ['--through', STEPS[j]!.id]);
      opts.ran?.(STEPS.slice(i, j + 1).map((s) => s.id), r);
      i = j + 1;
    }
  }

  /**
   * The uninterrupted run, with a snapshot before each step of SNAPSHOTS; figures for the
   * trial planner: batches per step, and how long after its process started each step ends.
   */
  async baseline(snapshots: ReadonlySet<string>): Promise<Baseline> {
    const spawns: { steps: string[]; start: number }[] = [];
    await this.walk(0, {
      breaks: snapshots,
      before: async (step) => { if (snapshots.has(step)) await this.snapshot(step); },
      ran: (steps, r) => { spawns.push({ steps, start: Date.now() - r.ms }); },
    });
    const problems = await stateDisagreements(this.state, this.urls);
    if (problems.length) throw new Error(`the uninterrupted run's state file disagrees with its databases:\n${problems.join('\n')}`);
    const batches: Record<string, number> = {};
    const journal = await this.journal();
    for (const b of journal) batches[b.step] = (batches[b.step] ?? 0) + 1;
    // when each step would end in a process of its own: that process's start-up, then the step
    const sqlite = new Database(this.state, { readonly: true });
    const times = new Map((sqlite.prepare('SELECT id, started_at, finished_at FROM steps').all() as { id: string; started_at: string; finished_at: string }[])
      .map((r) => [r.id, { start: Date.parse(r.started_at), end: Date.parse(r.finished_at) }]));
    sqlite.close();
    const ms: Record<string, number> = {};
    for (const sp of spawns) {
      const startup = times.get(sp.steps[0]!)!.start - sp.start;
      for (const id of sp.steps) ms[id] = startup + times.get(id)!.end - times.get(id)!.start;
    }
    this.log(`baseline: ${spawns.length} processes; each step ends after ${JSON.stringify(ms)} ms`);
    return { hashes: await deploymentHashes(this.urls), batches, ms, journal: journal.map(journalLine) };
  }

  /** The snf_upgrade_journal rows of the three databases. */
  async journal(): Promise<{ service: Service; step: string; batch: string; rows: string }[]> {
    const out: { service: Service; step: string; batch: string; rows: string }[] = [];
    for (const service of SERVICES) {
      const db = await openDb(service, this.urls[service], { max: 1, application: 'snf-upgrade crash test' });
      try {
        const r = await db.pool.query('SELECT step, batch, rows_changed::text AS rows FROM snf_upgrade_journal ORDER BY step, batch');
        out.push(...r.rows.map((row) => ({ service, ...row })));
      } finally {
        await db.close();
      }
    }
    return out;
  }
}

/** The steps of COUNT trials from SEED: round-robin over the targets from a random start. */
export function trialSteps(seed: number, count: number): Target[] {
  const start = Math.floor(prng(seed)() * TARGETS.length);
  return Array.from({ length: count }, (_, n) => TARGETS[(start + n) % TARGETS.length]!);
}

/** Trial plans from SEED: the steps of trialSteps, then the kills from the same random stream. */
export function planTrials(seed: number, count: number, base: Baseline): TrialPlan[] {
  const rnd = prng(seed);
  rnd(); // the draw trialSteps made
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  return trialSteps(seed, count).map((step, i) => {
    const batches = base.batches[step] ?? 0;
    const kinds: KillKind[] = step === '1' ? ['backup', 'timed'] : batches > 0 ? ['before-commit', 'after-commit', 'timed'] : ['timed'];
    const kills: Kill[] = [];
    const times = rnd() < 0.3 ? 2 : 1;
    for (let k = 0; k < times; k++) {
      // step 1's first kill is always during a backup: the one point only it has
      const kind = step === '1' && k === 0 ? 'backup' : kinds[int(0, kinds.length - 1)]!;
      if (kind === 'timed') kills.push({ kind, delayMs: int(300, Math.max(400, base.ms[step] ?? 2000)) });
      else kills.push({ kind, hit: int(1, kind === 'backup' ? SERVICES.length : batches) });
    }
    const fault = rnd();
    return { n: i + 1, step, kills, ...(fault < 0.4 ? { stateFault: fault < 0.2 ? 'lost' as const : 'stale' as const } : {}) };
  });
}

export interface TrialResult {
  plan: TrialPlan;
  /** How many of the planned kills landed (the others found the step already past that point). */
  landed: number;
  resumed: boolean;
  problems: string[];
  ms: number;
}

const FAULT: Record<Exclude<KillKind, 'timed'>, string> = {
  'before-commit': 'batch:before-commit',
  'after-commit': 'batch:after-commit',
  backup: 'backup:written',
};

/**
 * Runs one trial on SANDBOX (its baseline already taken) and compares the outcome; lastUse:
 * no later trial starts from this step, so its snapshot can go.
 */
export async function runTrial(sb: CrashSandbox, base: Baseline, plan: TrialPlan, opts: { lastUse?: boolean } = {}): Promise<TrialResult> {
  const t0 = Date.now();
  await sb.restore(plan.step, opts);
  const problems: string[] = [];
  let landed = 0;
  const args = ['run', plan.step, '--answers', sb.answers, '--accept-suggestions', '--yes'];
  const stale = join(sb.root, 'stale-state.db');
  if (plan.stateFault === 'stale') copyStateFile(sb.state, stale);
  for (const kill of plan.kills) {
    const r = kill.kind === 'timed'
      ? await sb.cli(args, {}, kill.delayMs)
      : await sb.cli(args, { SNF_UPGRADE_FAULT: `${FAULT[kill.kind]}#${kill.hit}:kill` });
    if (r.signal === 'SIGKILL') landed++;
    else if (r.code !== 0) problems.push(`a run with ${describeKill(kill)} planned exited ${r.code}: ${lastLines(r.stderr + r.stdout)}`);
  }
  // the restart runs the step and the ones after it up to the next manual step, as an operator would
  let end = STEPS.findIndex((s) => s.id === plan.step);
  while (end + 1 < STEPS.length && STEPS[end + 1]!.kind !== 'manual') end++;
  if (plan.stateFault === 'lost') removeStateFile(sb.state);
  if (plan.stateFault === 'stale') copyStateFile(stale, sb.state);
  let resumed = false;
  if (!problems.length) {
    let r = await sb.cli(['run', '--through', STEPS[end]!.id, ...args.slice(2)]);
    // a state file that disagrees with the databases is refused; the operator rebuilds it, then resumes
    if (plan.stateFault && r.code === 4 && /snf-upgrade recover/.test(r.stderr)) {
      const rec = await sb.cli(['recover', '--yes']);
      if (rec.code !== 0) problems.push(`recover after the state file was ${plan.stateFault} exited ${rec.code}: ${lastLines(rec.stderr + rec.stdout)}`);
      else r = await sb.cli(['run', '--through', STEPS[end]!.id, ...args.slice(2)]);
    }
    resumed = r.code === 0;
    if (!resumed) problems.push(`resume of ${plan.step} exited ${r.code ?? r.signal}: ${lastLines(r.stderr + r.stdout)}`);
  }
  if (resumed) {
    try {
      await sb.walk(end + 1);
      const differences = hashDifferences(base.hashes, await deploymentHashes(sb.urls));
      problems.push(...differences);
      if (differences.some((d) => /^\w+\.snf_upgrade_journal:/.test(d))) {
        const now = (await sb.journal()).map(journalLine);
        problems.push(`journal rows only in the uninterrupted run: ${base.journal.filter((l) => !now.includes(l)).join('; ')}`,
          `journal rows only in this trial: ${now.filter((l) => !base.journal.includes(l)).join('; ')}`);
      }
      problems.push(...await stateDisagreements(sb.state, sb.urls));
    } catch (err) {
      problems.push(`finishing the upgrade after ${plan.step}: ${(err as Error).message}`);
    }
  }
  return { plan, landed, resumed, problems, ms: Date.now() - t0 };
}

const journalLine = (b: { service: string; step: string; batch: string; rows: string }): string => `${b.service} ${b.step} ${b.batch} ${b.rows}`;

export function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** The figures of a set of trials: per kind of the first kill, and per step. */
export function summaryTable(results: TrialResult[]): string {
  const rows: string[][] = [];
  const line = (label: string, rs: TrialResult[]) => [label, String(rs.length),
    String(rs.reduce((n, r) => n + r.landed, 0)), String(rs.filter((r) => r.resumed).length),
    String(rs.filter((r) => r.problems.length > 0).length)];
  for (const kind of KILL_KINDS) {
    const rs = results.filter((r) => r.plan.kills[0]!.kind === kind);
    if (rs.length) rows.push(line(kind, rs));
  }
  for (const fault of ['lost', 'stale'] as const) {
    const rs = results.filter((r) => r.plan.stateFault === fault);
    if (rs.length) rows.push(line(`+ state file ${fault}`, rs));
  }
  rows.push(line('all', results));
  const steps: string[][] = TARGETS.map((t) => results.filter((r) => r.plan.step === t)).filter((rs) => rs.length)
    .map((rs) => line(`step ${rs[0]!.plan.step}`, rs));
  const head = ['fault kind', 'trials', 'kills landed', 'resumed OK', 'mismatches'];
  return [render(head, rows), '', render(['step', ...head.slice(1)], steps)].join('\n');
}

function render(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [fmt(head), `|${w.map((n, i) => (i === 0 ? `:${'-'.repeat(n + 1)}` : `${'-'.repeat(n + 1)}:`)).join('|')}|`, ...rows.map(fmt)].join('\n');
}

/** A database or folder name for the crash sandboxes (SNF_TEST_DB_PREFIX first). */
export const crashName = (suffix: string): string => testDbName(`crash_${suffix}`);
