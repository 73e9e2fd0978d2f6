// The step runner: runbook + state file + databases. Front ends (the Ink wizard, the
// headless CLI) call it and render the events it emits; it never imports a UI.
import type { Config } from '../config.js';
import { databaseGroups, databaseKey, requireDb, servicesSharing } from '../config.js';
import { blocking, type ApplyResult, type Asker, type Check, type StepContext, type StepDecisions, type TableChange } from '../core/step.js';
import { hostname } from 'node:os';
import { physicalDatabase, SERVICES, type Db, type Service } from '../db/connection.js';
import { processLiveness } from '../processes.js';
import { scrubSecrets } from '../secrets.js';
import { databaseFault, classifyDbError } from '../db/errors.js';
import type { HeldLock, LockHolder } from '../db/lock.js';
import { endPhase, takeDueBackup } from './phase-backups.js';
import { alreadyDone, expectedSessions, upgradeEnded, holderText, inUse, lockLost, servicesStillUp, takenFrom } from './stops.js';
import { CheckFailed, NeedsAnswer, UserError } from '../errors.js';
import { checkLine, checkLines, confirmedLines } from '../format.js';
import { backupAll } from '../core/preflight/services-down.js';
import { abortBackups } from '../db/backup.js';
import { deploymentSnippets, type SettingsStep, type SnippetSet } from '../runbook/settings.js';
import { STEPS, type StepDef } from '../runbook/steps.js';
import { postgres, type DatabaseAccess } from './databases.js';
import { deploymentInfo } from './deployment.js';
import { ownPromiseBroken, recheckPromises } from './promises.js';
import { TableRates } from './rates.js';
import { deploymentCheck } from './verify.js';
import { refuseDisagreements, withDisagreements, type DatabaseView, type Disagreement } from './reconcile.js';
import { DatabaseRecords, stateFileGone } from './records.js';
import { META, type BeforeImageInput, type DecisionSource, type StateFile } from '../state/index.js';

export type { DeploymentInfo, EngineEvent, PlanView, RunOutcome, StepView } from './types.js';
export { databaseLabel, deploymentFingerprint, isImplemented } from './types.js';
import { deploymentFingerprint, isImplemented, type DeploymentInfo, type EngineEvent, type PlanView, type RunOutcome, type StepView } from './types.js';

/** A batch found, inside its transaction, that this runner no longer holds the lock. */
class LockLost extends Error {
  constructor(readonly service: Service) { super(`lock on ${service} lost`); }
}

export interface EngineOptions {
  /** How the engine reaches the service databases (default: PostgreSQL). */
  databases?: DatabaseAccess;
  /** The steps it runs (default: the 0.12.5 → 0.13 runbook). */
  runbook?: readonly StepDef[];
}

export class Engine {
  /** One pool per physical database, opened for the first service configured there. */
  private readonly pools = new Map<string, Promise<Db>>();
  /** Each service's view of its database's pool (`services` names every service sharing it). */
  private readonly dbs = new Map<Service, Promise<Db>>();
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private locks: HeldLock[] = [];
  private stopping = false;
  /** Set by cancelRunning: a canceled statement is the operator's Ctrl-C, not another session's. */
  private canceled = false;
  private runId: number | null = null;
  private lockNotice: string | undefined;

  private readonly databases: DatabaseAccess;
  readonly runbook: readonly StepDef[];
  private readonly records: DatabaseRecords;

  constructor(readonly config: Config, readonly state: StateFile, readonly asker: Asker, readonly command = 'snf-upgrade', options: EngineOptions = {}) {
    this.databases = options.databases ?? postgres;
    this.runbook = options.runbook ?? STEPS;
    this.records = new DatabaseRecords(state, this.databases);
    const fingerprint = deploymentFingerprint(config);
    const recorded = state.getMeta('deployment');
    if (recorded === undefined) {
      if (!state.readonly) state.setMeta('deployment', fingerprint);
    } else if (recorded !== fingerprint) {
      throw new UserError(`state file ${state.path} belongs to another deployment (${recorded})`,
        'point --state (or SNF_UPGRADE_STATE) at this deployment\'s state file, or at a new file to start over');
    }
  }

  on(listener: (e: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: EngineEvent): void {
    if (e.type === 'log') this.state.readonly || this.state.log(e.step, e.level, e.message);
    for (const l of this.listeners) l(e);
  }

  /** The services of each physical database, in runbook order (`status`, backups). */
  databaseGroups(): Service[][] {
    return databaseGroups(this.config);
  }

  /** One service of each physical database, in runbook order (for whatever is done once per database). */
  private physicalServices(): Service[] {
    return databaseGroups(this.config).map((g) => g[0]!);
  }

  private physicalDbs(): Promise<Db[]> {
    return Promise.all(this.physicalServices().map((s) => this.db(s)));
  }

  db(service: Service): Promise<Db> {
    let p = this.dbs.get(service);
    if (!p) {
      const url = requireDb(this.config, service);
      const key = physicalDatabase(url);
      let pool = this.pools.get(key);
      if (!pool) {
        pool = this.databases.open(service, url);
        this.pools.set(key, pool);
        pool.catch(() => this.pools.delete(key));
      }
      const services = servicesSharing(this.config, service);
      p = pool.then((shared) => (services.length === 1 && shared.service === service ? shared : { ...shared, service, services }));
      this.dbs.set(service, p);
      p.catch(() => this.dbs.delete(service));
    }
    return p;
  }

  /** The lock this runner holds on SERVICE's physical database. */
  private lockOf(service: Service): HeldLock | undefined {
    const key = databaseKey(this.config, service);
    return this.locks.find((l) => physicalDatabase(l.db.url) === key);
  }

  /** Each database's location and schema release, for the home screen and `status`. */
  deployment(): Promise<DeploymentInfo[]> {
    return deploymentInfo(this.config, (s) => this.db(s));
  }

  steps(): StepView[] {
    return this.runbook.map((def) => ({ def, record: this.state.getStep(def.id), implemented: isImplemented(def) }));
  }

  /** The first step that is neither done nor skipped. */
  current(): StepView | undefined {
    return this.steps().find((s) => s.record.status !== 'done' && s.record.status !== 'skipped');
  }

  /** What happened to a step a previous run left in "running" (killed or crashed). */
  async interrupted(): Promise<{ step: string; text: string } | undefined> {
    const view = this.steps().find((s) => s.record.status === 'running');
    if (!view) return undefined;
    // Still running in another live process (the lock line names it), not interrupted.
    const h = this.state.lockHolder();
    if (h && !this.state.holdsLock() && (h.host !== hostname() || processLiveness(h.pid, h.processStart).alive)) return undefined;
    return { step: view.def.id, text: await this.records.interruptedText(this.physicalServices().map((x) => this.db(x)), view.def.id) };
  }

  def(stepId: string): StepDef {
    const def = this.runbook.find((s) => s.id === stepId);
    if (!def) {
      throw new UserError(`there is no step "${stepId}"`, `steps are ${this.runbook.map((s) => s.id).join(', ')}`, 2);
    }
    return def;
  }

  /** Why STEP cannot run yet (earlier steps not done), or an empty list. */
  unmetNeeds(def: StepDef): string[] {
    return def.needs
      .map((id) => this.state.getStep(id))
      .filter((r) => r.status !== 'done' && r.status !== 'skipped')
      .map((r) => `${r.id} (${this.def(r.id).title}) is ${r.status}`);
  }

  context(def: StepDef): StepContext {
    const rates = new TableRates();
    const runId = String(this.runId ?? 0);
    let batchNo = 0;
    return {
      step: def.id,
      runId,
      config: this.config,
      state: this.state,
      asker: rates.timed(this.asker, (waiting) => this.emit({ type: 'waiting', step: def.id, waiting })),
      db: (s) => this.db(s),
      progress: (p) => this.emit({ type: 'progress', step: def.id, progress: p, ...rates.of(p) }),
      log: (level, message) => this.emit({ type: 'log', step: def.id, level, message }),
      stopRequested: () => this.stopping,
      batch: async (service, batch, work) => {
        await this.assertLocked(def.id);
        const db = await this.db(service);
        const place = { service, step: def.id, batch: `${++batchNo} ("${batch}")` };
        try {
          await this.assertNoServices(db, def.id, batchNo);
          const images: BeforeImageInput[] = [];
          const lock = this.lockOf(service)!;
          const result = await this.databases.runBatch(db, {
            step: def.id, batch, runId,
            guard: async (client) => {
              if (!(await this.databases.lockStillHeld(client, lock.backendPid))) throw new LockLost(service);
              await this.records.inBatch(client, db, def);
            },
            beforeCommit: () => {
              // A batch that ran before and rolled back may have left images: replace them.
              this.state.transaction(() => {
                this.state.deleteBeforeImages(def.id, batch);
                if (images.length) this.state.addBeforeImages(def.id, batch, images);
              });
            },
          }, (client) => work(client, (more) => { images.push(...more); }));
          if (!result.skipped) this.state.recordBatch(def.id, batch, result.rows, service);
          return result;
        } catch (err) {
          if (err instanceof UserError) throw err;
          const lockGone = err instanceof LockLost || this.locks.some((l) => l.lost());
          const holder = lockGone || classifyDbError(err) ? await this.databases.lockHolder(db).catch(() => undefined) : undefined;
          if (holder?.connected && !this.locks.some((l) => l.backendPid === holder.backendPid)) {
            throw new UserError(`${holder.command} (process ${holder.pid} on ${holder.host}) took over the ${service} lock during ${def.id}, batch ${place.batch}; nothing of that batch was kept`,
              'let that runner finish; snf-upgrade status shows where the upgrade stands');
          }
          const fault = await this.translate(err, place);
          if (fault) throw fault;
          if (lockGone) {
            throw new UserError(`lost the lock on the ${service} database during ${def.id}, batch ${place.batch}; nothing of that batch was kept`,
              'run the same command again to resume (snf-upgrade status shows who holds the lock)');
          }
          throw err;
        }
      },
    };
  }

  /**
   * Services must stay down while a step writes: a session of anything but snf-upgrade on
   * DB (gunicorn, a dispatcher, psql) stops the step before its next batch, unless the
   * operator said to go on anyway ({"STEP": {"ignore-sessions": true}}). Sessions of a service
   * a done step started (astakos after 4) are expected: said once per step, not blocking.
   */
  private async assertNoServices(db: Db, step: string, batchNo: number): Promise<void> {
    if (db.embedded) return; // one backend serves every client: there is no session to see
    const sessions = await this.databases.otherSessions(db);
    if (!sessions.length || this.asker.answer(step, 'ignore-sessions') === true) return;
    const started = this.runbook.filter((d) => this.state.getStep(d.id).status === 'done').flatMap((d) => d.starts ?? []);
    const expected = expectedSessions(db, sessions, started);
    if (!expected) throw servicesStillUp(db, sessions, step, batchNo);
    if (batchNo === 1) this.emit({ type: 'log', step, level: 'info', message: expected });
  }

  /** A database fault as a UserError naming the database, the step and the batch. */
  private async translate(err: unknown, place: { service?: Service; step?: string; batch?: string }): Promise<UserError | undefined> {
    const kind = classifyDbError(err);
    if (!kind) return undefined;
    if (kind === 'canceled' && this.canceled) {
      const where = place.step ? ` during ${place.step}${place.batch ? `, batch ${place.batch}` : ''}` : '';
      return new UserError(`stopped by a second Ctrl-C${where}: the statement waiting on ${place.service ?? 'the database'} was canceled${place.batch ? '; nothing of that batch was kept' : ''}`,
        'run the same command again to resume (committed batches are kept)');
    }
    let setting: string | undefined;
    if ((kind === 'statement-timeout' || kind === 'lock-timeout') && place.service) {
      const name = kind === 'statement-timeout' ? 'statement_timeout' : 'lock_timeout';
      try {
        const r = await (await this.db(place.service)).pool.query<Record<string, string>>(`SHOW ${name}`);
        setting = `${r.rows[0]![name]}`;
      } catch { /* the value is only a help */ }
    }
    const batchKnob = place.step ? this.runbook.find((s) => s.id === place.step)?.batchKnob : undefined;
    return databaseFault(err, { ...place, setting, ...(batchKnob ? { batchKnob } : {}) });
  }

  /**
   * Takes the state-file lock and one advisory lock per physical database (for commands that
   * write), then refuses when the state file disagrees with what the databases record (unless
   * TRUSTDATABASES: recover, which rebuilds it from them).
   */
  async lock(opts: { takeOver?: boolean; trustDatabases?: boolean } = {}): Promise<void> {
    if (this.locks.length) return;
    const ended = this.state.getMeta(META.finishedAt);
    if (ended) throw upgradeEnded(ended);
    const before = this.state.lockHolder();
    // An embedded database a live process has open refuses here, before anything is taken over.
    if (opts.takeOver) for (const service of SERVICES) await this.db(service);
    try {
      this.state.acquireLock({ command: this.command, force: opts.takeOver });
    } catch (err) {
      const h = this.state.lockHolder();
      if (!(err instanceof UserError) || !h || !/ is in use by /.test(err.message)) throw err;
      throw inUse(h);
    }
    let previous = before ? holderText(before.command, before.pid, before.host, before.startedAt) : undefined;
    try {
      for (const service of this.physicalServices()) {
        const db = await this.db(service);
        const held = await this.databases.lock(db, this.command, opts);
        this.locks.push(held);
        const p = held.previous;
        if (p && !previous) previous = holderText(p.command, p.pid, p.host, p.since.toISOString());
        await this.databases.ensureJournal(db);
      }
      if (!opts.trustDatabases) refuseDisagreements((await this.databaseViews()).disagreements);
    } catch (err) {
      await this.unlock();
      throw (await this.translate(err, {})) ?? err;
    }
    this.runId = this.state.startRun({ command: this.command });
    if (previous) this.lockNotice = takenFrom(previous, !!opts.takeOver);
  }

  /** What each physical database records of the upgrade, and what of it the state file disagrees with (reconcile.ts). */
  async databaseViews(): Promise<{ views: DatabaseView[]; disagreements: Disagreement[] }> {
    return withDisagreements(this.state, this.config.state, this.runbook, await this.records.read(await this.physicalDbs()));
  }

  /** For a write outside a step's batches (a token, a sandbox simulation): this runner holds every lock, or it throws. */
  async holdLock(step: string): Promise<void> {
    await this.lockAndAnnounce();
    await this.assertLocked(step);
  }

  /** Says once, to whoever listens by now, that the lock was taken from a run that had not finished. */
  private async lockAndAnnounce(): Promise<void> {
    await this.lock();
    if (this.lockNotice) this.emit({ type: 'log', step: null, level: 'warn', message: this.lockNotice });
    this.lockNotice = undefined;
  }

  /** Refuses to write once a database lock was lost (a second runner took over). */
  private async assertLocked(step: string): Promise<void> {
    if (!this.locks.length) throw new UserError('this run holds no lock; nothing was written', 'run the same command again');
    if (!this.state.stillAtPath()) throw stateFileGone(this.state.path, step);
    if (!this.state.holdsLock()) {
      const h = this.state.lockHolder();
      throw new UserError(`${h ? `${h.command} (process ${h.pid} on ${h.host})` : 'another runner'} took over the state file during ${step}; stopped before the next batch, nothing half-done`,
        'let that runner finish; snf-upgrade status shows where the upgrade stands');
    }
    const lost = this.locks.find((l) => l.lost());
    if (!lost) return;
    const holder = await this.databases.lockHolder(lost.db).catch(() => undefined);
    throw lockLost(lost.db, this.locks.filter((l) => l.lost()).map((l) => l.db), holder, step);
  }

  async unlock(outcome: 'completed' | 'paused' | 'failed' = 'completed'): Promise<void> {
    for (const l of this.locks) await l.release();
    this.locks = [];
    if (this.runId !== null) this.state.endRun(this.runId, outcome);
    this.runId = null;
    if (this.state.holdsLock()) this.state.releaseLock();
  }

  /** Who holds each physical database's lock, for a second runner and the home screen (SERVICES: every service in it). */
  async lockHolders(): Promise<{ service: Service; services: Service[]; holder?: LockHolder }[]> {
    const out: { service: Service; services: Service[]; holder?: LockHolder }[] = [];
    for (const service of this.physicalServices()) {
      const services = servicesSharing(this.config, service);
      try { out.push({ service, services, holder: await this.databases.lockHolder(await this.db(service)) }); } catch { out.push({ service, services }); }
    }
    return out;
  }

  /** Asks the running step to stop after its current batch. */
  requestStop(): void {
    this.stopping = true;
  }

  /**
   * Stops now (a second Ctrl-C while a statement hangs): cancels what the databases are
   * running, so the open batch rolls back and the step ends with one line, and ends a running
   * pg_dump (its half-written file removed). Returns how many sessions were asked.
   */
  async cancelRunning(): Promise<number> {
    this.stopping = true;
    this.canceled = true;
    abortBackups();
    let asked = 0;
    for (const p of this.pools.values()) {
      const db = await p.catch(() => undefined);
      if (db) asked += await this.databases.cancelRunning(db).catch(() => 0);
    }
    return asked;
  }

  /** Findings and planned actions of STEP, with nothing written to the databases. */
  async plan(stepId: string): Promise<PlanView> {
    const def = this.def(stepId);
    const ctx = this.context(def);
    const base = { step: def.id, title: def.title, kind: def.kind };
    if (def.kind === 'manual') {
      const checks = def.module?.verify ? await def.module.verify(ctx) : [];
      return {
        ...base, checks,
        findings: { summary: checkLines(checks) },
        plan: { summary: ['manual step: do it on the hosts, then confirm'], changes: [] },
      };
    }
    if (!def.module?.inspect) return { ...base, findings: { summary: ['not implemented yet'] }, plan: { summary: [], changes: [] } };
    const findings = await def.module.inspect(ctx);
    const plan = def.module.plan ? def.module.plan(findings, this.decisions(def)) : { summary: [], changes: [] };
    return { ...base, findings, plan };
  }

  /**
   * A settings step's lines to paste, with this deployment's values (undefined: STEP has none).
   * The quotaholder token is made only when GENERATE, and only under the runner lock (taken
   * here when this session has not got it yet); otherwise a token not made yet stays a
   * placeholder (`pending`) and nothing is written.
   */
  async snippets(stepId: string, opts: { generate: boolean }): Promise<SnippetSet | undefined> {
    const def = this.def(stepId);
    if (!def.snippets) return undefined;
    const step = def.id as SettingsStep;
    const astakos = this.config.astakos.db ? (await this.db('astakos')).pool : undefined;
    const dirs = { astakos: this.config.astakos.settings, cyclades: this.config.cyclades.settings, pithos: this.config.pithos.settings };
    const set = await deploymentSnippets(step, astakos, dirs, { generate: false });
    if (!set.pending || !opts.generate) return set;
    await this.holdLock(def.id);
    return deploymentSnippets(step, astakos, dirs, { generate: true });
  }

  /** Records the operator's decisions for STEP in one transaction: only the runner holding the lock writes them. */
  decide(step: string, items: { key: string; value: unknown; source: DecisionSource }[]): void {
    if (!this.state.holdsLock()) {
      throw new UserError(`this session does not hold the runner lock: the decisions for ${step} were not recorded`,
        'snf-upgrade status shows who holds it; decide once this session has it');
    }
    this.state.transaction(() => {
      for (const d of items) this.state.setDecision(step, d.key, d.value, d.source);
    });
  }

  /** What DEF's plan decides by: its stored decisions (those of the table it shows), the answers, --accept-suggestions. */
  private decisions(def: StepDef): StepDecisions {
    return { step: def.id, stored: this.state.getDecisions(def.decisions?.step ?? def.id), answers: this.asker };
  }

  /** The checks that gate a manual step (or verify a finished one). */
  async checks(stepId: string): Promise<Check[]> {
    const def = this.def(stepId);
    const own = def.module?.verify ? await def.module.verify(this.context(def)) : [];
    return def.verifiesDeployment ? [...own, await deploymentCheck(this.runbook, this.state, (d) => this.context(d))] : own;
  }

  private async requireReady(def: StepDef, verb: 'run' | 'be confirmed'): Promise<void> {
    const unmet = this.unmetNeeds(def);
    if (unmet.length) throw new CheckFailed(`step ${def.id} cannot run yet: ${unmet.join('; ')}`, `finish ${def.needs.join(', ')} first (snf-upgrade status shows where the upgrade stands)`);
    await recheckPromises(this.runbook, this.state, (d) => this.context(d), def, verb);
  }

  /** Runs one step (not a manual one: those are confirmed). */
  async run(stepId: string): Promise<RunOutcome> {
    const def = this.def(stepId);
    const record = this.state.getStep(def.id);
    if (record.status === 'done' && !(await ownPromiseBroken(this.state, (d) => this.context(d), def))) {
      return { step: def.id, status: 'already-done', summary: [alreadyDone(def.id, record.finishedAt)] };
    }
    if (def.kind === 'manual') {
      throw new NeedsAnswer(`step ${def.id} (${def.title}) is manual`,
        `do it on the hosts (snf-upgrade plan ${def.id} shows the commands), then run: snf-upgrade confirm ${def.id}`);
    }
    if (!isImplemented(def)) {
      throw new UserError(`step ${def.id} (${def.title}) is not implemented yet in this version of snf-upgrade`,
        'perform it with the upstream commands of the guide, then continue from the next step with this tool');
    }
    await this.requireReady(def, 'run');
    await this.lockAndAnnounce();
    await takeDueBackup(this, def);
    await this.records.mirrorJournal(await this.physicalDbs(), def.id);
    if (record.status === 'done') await this.records.step(await this.physicalDbs(), def.id, undefined); // run again (its promise broke): not finished now
    this.stopping = false;
    const ctx = this.context(def);
    this.state.markRunning(def.id, this.runId);
    this.emit({ type: 'step-start', step: def.id, attempt: this.state.getStep(def.id).attempts });
    try {
      const module = def.module!;
      const findings = module.inspect ? await module.inspect(ctx) : { summary: [] };
      this.state.putFindings(def.id, 'summary', [{ key: 'findings', data: findings }]);
      const plan = module.plan ? module.plan(findings, this.decisions(def)) : { summary: [], changes: [] };
      if (plan.open) {
        throw new NeedsAnswer(`step ${def.id} has ${plan.open} undecided item(s)`,
          `decide them in the wizard, or give them in --answers FILE, or pass --accept-suggestions`);
      }
      if (plan.destructive) {
        const ok = await this.asker.confirm({
          step: def.id, key: 'confirm', dangerous: true, message: plan.destructive.what,
          detail: plan.changes.map((c) => `${c.service}.${c.table} ${c.action} ${c.rows}`),
          typeToConfirm: plan.destructive.confirmWord,
        });
        if (!ok) throw new UserError(`step ${def.id} was not confirmed; nothing changed`, `run it again and confirm when ready`);
      }
      const result: ApplyResult = await module.apply!(ctx, plan);
      if (result.stopped) {
        this.state.resetStep(def.id);
        this.emit({ type: 'step-stopped', step: def.id, summary: result.summary });
        return { step: def.id, status: 'stopped', summary: result.summary };
      }
      await this.refreshStatistics(plan.changes);
      const checks = module.verify ? await module.verify(ctx) : [];
      const failed = blocking(checks);
      if (failed.length) {
        throw new CheckFailed(`step ${def.id} ran but ${failed.length} of its checks failed (first: ${failed[0]!.label})`,
          'look at the report (snf-upgrade report), fix the cause, and run the step again').withDetails(checkLines(failed));
      }
      const summary = [...result.summary, ...checks.map((c) => checkLine(c, 'label'))];
      await this.finishStep(def, summary);
      return { step: def.id, status: 'done', summary };
    } catch (caught) {
      const err = caught instanceof UserError ? caught : (await this.translate(caught, { step: def.id })) ?? caught;
      const message = err instanceof UserError ? err.message : scrubSecrets((err as Error).message ?? String(err), SERVICES.map((x) => this.config[x].db).filter((u): u is string => !!u));
      // A runner that was taken over from leaves the step's record to the new one.
      const ours = !this.locks.length || this.state.holdsLock();
      if (ours && err instanceof NeedsAnswer) this.state.resetStep(def.id);
      else if (ours) this.state.markFailed(def.id, message);
      this.emit({ type: 'step-failed', step: def.id, error: message });
      throw err;
    }
  }

  /** Fresh planner statistics for the tables CHANGES wrote, before verify and the next steps read them. */
  private async refreshStatistics(changes: TableChange[]): Promise<void> {
    const byService = new Map<Service, string[]>();
    for (const c of changes) if (c.rows > 0) byService.set(c.service, [...(byService.get(c.service) ?? []), c.table.split('.')[0]!]);
    for (const [service, tables] of byService) await this.databases.analyzeTables(await this.db(service), tables);
  }

  /** Marks DEF done in the state file, then in every database (a kill between leaves a done step the databases have not seen finish: harmless). */
  private async finishStep(def: StepDef, summary: string[]): Promise<void> {
    if (!this.state.stillAtPath()) throw stateFileGone(this.state.path, def.id);
    this.state.markDone(def.id, summary);
    await this.records.step(await this.physicalDbs(), def.id, new Date(this.state.getStep(def.id).finishedAt!), summary);
    this.emit({ type: 'step-done', step: def.id, summary });
    const next = this.runbook[this.runbook.indexOf(def) + 1];
    if (!next || next.phase !== def.phase) this.emit({ type: 'phase-done', phase: def.phase });
    await endPhase(this, def, summary);
  }

  /** Marks a manual step done once its checks pass. */
  async confirm(stepId: string): Promise<Check[]> {
    const def = this.def(stepId);
    if (def.kind !== 'manual') {
      throw new UserError(`step ${def.id} is not a manual step`, `run it with: snf-upgrade run ${def.id}`, 2);
    }
    if (this.state.getStep(def.id).status === 'done') return [];
    await this.requireReady(def, 'be confirmed');
    await this.lockAndAnnounce();
    await takeDueBackup(this, def);
    const checks = await this.checks(def.id);
    const failed = blocking(checks);
    if (failed.length) {
      throw new CheckFailed(`step ${def.id} is not done yet: ${failed.length} of ${checks.length} checks fail (first: ${failed[0]!.label})`,
        `finish it on the hosts (snf-upgrade plan ${def.id} shows the commands), then confirm again`).withDetails(checkLines(failed));
    }
    await this.finishStep(def, confirmedLines(checks, def.word));
    return checks;
  }

  /** Runs every step up to and including THROUGH (default: all), stopping at manual steps. */
  async runThrough(through?: string): Promise<RunOutcome[]> {
    const last = through ? this.runbook.indexOf(this.def(through)) : this.runbook.length - 1;
    const out: RunOutcome[] = [];
    for (const def of this.runbook.slice(0, last + 1)) {
      const status = this.state.getStep(def.id).status;
      if (status === 'done' || status === 'skipped') continue;
      const r = await this.run(def.id);
      out.push(r);
      if (r.status === 'stopped') break;
    }
    return out;
  }

  async undo(stepId: string): Promise<ApplyResult> {
    const def = this.def(stepId);
    if (!def.module?.undo) throw new UserError(`step ${def.id} cannot be undone`, 'restore the backup taken before it instead: snf-upgrade restore (--print shows the commands)', 2);
    const ctx = this.context(def);
    const refusal = await def.module.undoRefusal?.(ctx);
    if (refusal) throw new UserError(`undo ${def.id} refused: ${refusal}`, 'restore the backup taken before it instead: snf-upgrade restore (--print shows the commands)');
    this.state.checkBeforeImages();
    await this.lockAndAnnounce();
    await this.records.requireBeforeImages(await this.physicalDbs(), def.id);
    this.state.markRunning(def.id, this.runId);
    let result: ApplyResult;
    try {
      result = await def.module.undo(ctx);
      await this.records.step(await this.physicalDbs(), def.id, undefined);
    } catch (err) {
      this.state.markFailed(def.id, err instanceof Error ? err.message : String(err));
      throw err;
    }
    this.state.transaction(() => { this.state.resetStep(def.id); this.state.forgetBatches(def.id); });
    this.emit({ type: 'log', step: def.id, level: 'info', message: `undone: ${result.summary.join('; ')}` });
    return result;
  }

  /** A fresh backup of every database, recorded as LABEL; in the context of STEP (default: the step that backs up), holding no dump older than NOTBEFORE. */
  async backup(label: string, opts: { step?: StepDef; notBefore?: string } = {}): Promise<string[]> {
    await this.lockAndAnnounce();
    const def = opts.step ?? this.runbook.find((s) => s.backsUp)!;
    return backupAll({ ...this.context(def), step: label }, label, def.id, opts.notBefore);
  }

  async close(outcome: 'completed' | 'paused' | 'failed' = 'completed'): Promise<void> {
    await this.unlock(outcome);
    for (const p of this.pools.values()) await (await p.catch(() => undefined))?.close();
    this.pools.clear();
    this.dbs.clear();
  }
}

