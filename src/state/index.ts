// The local SQLite state file: what the wizard has done, found, been told and journalled,
// so an upgrade can be resumed days later. Synchronous (better-sqlite3). Never stores secrets;
// free text (errors, log messages, notes) goes through the `scrub` option first.
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import type { Service } from '../db/connection.js';
import { processLiveness, processStartTime } from '../processes.js';
import { UserError } from '../errors.js';
import { fromJson, toJson } from './json.js';
import { checkBeforeImages, openStateDatabase, translateRuntime } from './open.js';
import { applyMigrations, schemaVersion } from './schema.js';
import {
  backupRecord, batchRecord, beforeImageRecord, decisionRecord, runRecord, stepRecord,
  type BackupRow, type BatchRow, type DecisionRow, type JournalRow, type RunRow, type StepRow,
} from './rows.js';
import type {
  BackupInput, BackupRecord, BatchRecord, BeforeImage, BeforeImageInput, DecisionSource, StoredDecision,
  EventLevel, EventRecord, Finding, FindingInput, LockHolder, RunOutcome, RunRecord, StepRecord, StepStatus,
} from './types.js';

export * from './types.js';
export { toJson, fromJson, fromJsonOrNull } from './json.js';
export { APPLICATION_ID, LATEST_SCHEMA, MIGRATIONS, applyMigrations, type Migration } from './schema.js';

export interface StateFileOptions {
  /** Create the file if it does not exist (default true). */
  create?: boolean;
  /** Open for reading only: no migrations, no writes. */
  readonly?: boolean;
  /** Removes secrets from free text (errors, event messages, notes) before it is stored. */
  scrub?: (text: string) => string;
  /** Recorded as meta tool_version when the file is opened for writing. */
  toolVersion?: string;
  /**
   * The deployment this file must belong to (meta "deployment"): a file recorded for another
   * one is refused before anything is written to it.
   */
  deployment?: string;
  /** Source of timestamps (tests). */
  clock?: () => Date;
  /** Who this process says it is in runs and the lock (tests). */
  identity?: { host: string; pid: number; processStart?: string | null };
}

export interface AcquireLockOptions {
  /** Take the lock even from a live holder or one on another host (--take-over). */
  force?: boolean;
  /** What to show a second wizard about the holder; default 'snf-upgrade'. */
  command?: string;
}

/** Well-known meta keys. */
export const META = {
  deploymentFingerprint: 'deployment_fingerprint',
  /** The database locations the record belongs to (written by the engine). */
  deployment: 'deployment',
  createdAt: 'created_at',
  toolVersion: 'tool_version',
  /** When `snf-upgrade finish` dropped the tool's tables from the databases. */
  finishedAt: 'finished_at',
} as const;

const BEFORE_IMAGE_PAGE = 1000;

interface GuardedStatement {
  run(...params: unknown[]): Database.RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface LockRow { host: string; pid: number; started_at: string; command: string; token: string; process_start: string | null }

export class StateFile {
  private readonly statements = new Map<string, GuardedStatement>();
  private readonly scrubText: (text: string) => string;
  private readonly clock: () => Date;
  private readonly host: string;
  private readonly pid: number;
  private readonly processStart: string | null;
  /** Identifies this instance's lock row, so a second StateFile in the same process is refused too. */
  private readonly lockToken = randomUUID();
  /** The file this instance opened (device and inode), to notice it deleted or replaced while in use. */
  private readonly fileId: string | undefined;

  private constructor(private readonly db: Database.Database, readonly path: string, readonly readonly: boolean, options: StateFileOptions) {
    this.scrubText = options.scrub ?? ((text) => text);
    this.clock = options.clock ?? (() => new Date());
    this.host = options.identity?.host ?? hostname();
    this.pid = options.identity?.pid ?? process.pid;
    const start = options.identity?.processStart;
    this.processStart = start !== undefined ? start : processStartTime(this.pid) ?? null;
    this.fileId = path === MEMORY ? undefined : fileIdentity(path);
  }

  /**
   * A blank record kept in memory only, for the read-only commands when there is no state file:
   * they show what the databases record without creating or binding a file.
   */
  static inMemory(options: StateFileOptions = {}): StateFile {
    const db = new Database(MEMORY);
    applyMigrations(db);
    return new StateFile(db, MEMORY, false, options);
  }

  /** Whether this is the in-memory record of inMemory() (no state file exists). */
  get inMemory(): boolean {
    return this.path === MEMORY;
  }

  /** Whether the file at the path is still the one this instance opened (not deleted, moved or replaced). */
  stillAtPath(): boolean {
    return this.fileId === undefined || fileIdentity(this.path) === this.fileId;
  }

  /**
   * Opens the state file at PATH, creating it (mode 0600) and bringing its schema up to date.
   * Throws UserError for a missing (create: false), damaged, foreign or newer file; such a
   * file is left exactly as it was.
   */
  static open(path: string, options: StateFileOptions = {}): StateFile {
    const db = openStateDatabase(path, { create: options.create, readonly: options.readonly });
    const state = new StateFile(db, path, options.readonly ?? false, options);
    try {
      const recorded = state.getMeta(META.deployment);
      if (options.deployment !== undefined && recorded !== undefined && recorded !== options.deployment) {
        throw new UserError(`state file ${path} belongs to another deployment (${recorded})`,
          'point --state (or SNF_UPGRADE_STATE) at this deployment\'s state file, or at a new file to start over');
      }
      if (options.toolVersion && !state.readonly && state.getMeta(META.toolVersion) !== options.toolVersion) {
        state.setMeta(META.toolVersion, options.toolVersion);
      }
    } catch (err) {
      db.close();
      throw err;
    }
    return state;
  }

  /** Releases the lock if this instance holds it, then closes the file. */
  close(): void {
    if (!this.db.open) return;
    try {
      if (!this.readonly) this.releaseLock();
    } finally {
      this.db.close();
    }
  }

  /** True while the file records nothing but its own meta rows (no run, step, backup or event). */
  isBlank(): boolean {
    const tables = ['runs', 'steps', 'findings', 'decisions', 'batches', 'journal', 'backups', 'events'];
    const existing = new Set((this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    return tables.filter((t) => existing.has(t)).every((t) => !this.db.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get());
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  /** Runs FN in one transaction (a savepoint when nested); rolls back if it throws. */
  transaction<T>(fn: () => T): T {
    return this.guard(() => this.db.transaction(fn)());
  }

  // ------------------------------------------------------------------ meta

  getMeta(key: string): string | undefined {
    const row = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  // ------------------------------------------------------------------ runs

  /** Records the start of an invocation (host, pid, now); returns its id. */
  startRun(run: { command: string }): number {
    const info = this.stmt('INSERT INTO runs (started_at, host, pid, command) VALUES (?, ?, ?, ?)')
      .run(this.now(), this.host, this.pid, this.scrubText(run.command));
    return Number(info.lastInsertRowid);
  }

  endRun(id: number, outcome: RunOutcome): void {
    this.stmt('UPDATE runs SET ended_at = ?, outcome = ? WHERE id = ?').run(this.now(), outcome, id);
  }

  getRun(id: number): RunRecord | undefined {
    const row = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && runRecord(row);
  }

  listRuns(): RunRecord[] {
    return (this.stmt('SELECT * FROM runs ORDER BY id').all() as RunRow[]).map(runRecord);
  }

  // ------------------------------------------------------------------ steps

  /** The step's record; a step never touched is pending with 0 attempts. */
  getStep(id: string): StepRecord {
    const row = this.stmt('SELECT * FROM steps WHERE id = ?').get(id) as StepRow | undefined;
    return row ? stepRecord(row) : {
      id, status: 'pending', attempts: 0, startedAt: null, finishedAt: null, durationMs: null,
      lastError: null, summary: null, note: null, runId: null,
    };
  }

  /** Every step that has a record, in runbook order (2.2 before 2.10). */
  listSteps(): StepRecord[] {
    const rows = this.stmt('SELECT * FROM steps').all() as StepRow[];
    return rows.map(stepRecord).sort((a, b) => compareStepIds(a.id, b.id));
  }

  /** A new attempt starts: status running, attempts + 1, started now (last_error is kept until done). */
  markRunning(id: string, runId: number | null): void {
    this.stmt(`INSERT INTO steps (id, status, attempts, started_at, run_id) VALUES (?, 'running', 1, ?, ?)
      ON CONFLICT (id) DO UPDATE SET status = 'running', attempts = attempts + 1, started_at = excluded.started_at,
        finished_at = NULL, duration_ms = NULL, note = NULL, run_id = excluded.run_id`)
      .run(id, this.now(), runId);
  }

  /** Adds LINES to done step ID's summary, its finish time kept (what it did once done: its phase backup). */
  appendSummary(id: string, lines: string[]): void {
    const was = this.getStep(id).summary;
    const prev = Array.isArray(was) ? was : was == null ? [] : [was];
    this.stmt('UPDATE steps SET summary = ? WHERE id = ?').run(toJson([...prev, ...lines]), id);
  }

  markDone(id: string, summary?: unknown): void {
    this.finish(id, 'done', { lastError: null, summary: summary === undefined ? null : toJson(summary), note: null });
  }

  /** ERROR is scrubbed before it is stored. */
  markFailed(id: string, error: string): void {
    this.finish(id, 'failed', { lastError: this.scrubText(error) });
  }

  markSkipped(id: string, reason: string): void {
    this.finish(id, 'skipped', { note: this.scrubText(reason), lastError: null });
  }

  /** Sets a step as the databases record it (recover): done at AT, or running (interrupted), with NOTE. */
  restoreStep(id: string, status: 'done' | 'running', at: string | null, summary: unknown, note: string): void {
    this.stmt(`INSERT INTO steps (id, status, attempts, started_at, finished_at, summary, note) VALUES (?, ?, 1, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, started_at = excluded.started_at, finished_at = excluded.finished_at,
        summary = excluded.summary, note = excluded.note`)
      .run(id, status, at, status === 'done' ? at : null, summary === null || summary === undefined ? null : toJson(summary), this.scrubText(note));
  }

  /** Back to pending (attempts are kept, everything else about the last attempt is cleared). */
  resetStep(id: string): void {
    this.stmt(`UPDATE steps SET status = 'pending', started_at = NULL, finished_at = NULL, duration_ms = NULL,
      last_error = NULL, summary = NULL, note = NULL, run_id = NULL WHERE id = ?`).run(id);
  }

  private finish(id: string, status: StepStatus, fields: { lastError?: string | null; summary?: string | null; note?: string | null }): void {
    const now = this.clock();
    const current = this.getStep(id);
    const duration = current.startedAt && current.status === 'running' ? now.getTime() - Date.parse(current.startedAt) : null;
    const keep = (value: string | null | undefined, old: string | null): string | null => (value === undefined ? old : value);
    this.stmt(`INSERT INTO steps (id, status, attempts, finished_at, duration_ms, last_error, summary, note)
        VALUES (@id, @status, 0, @finishedAt, @duration, @lastError, @summary, @note)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at,
        duration_ms = excluded.duration_ms, last_error = excluded.last_error, summary = excluded.summary, note = excluded.note`)
      .run({
        id, status, finishedAt: now.toISOString(), duration,
        lastError: keep(fields.lastError, current.lastError),
        summary: keep(fields.summary, current.summary === null ? null : toJson(current.summary)),
        note: keep(fields.note, current.note),
      });
  }

  // ------------------------------------------------------------------ findings

  /** Replaces every finding of STEP and KIND with ITEMS, in one transaction. Keys must be unique. */
  putFindings(step: string, kind: string, items: Iterable<FindingInput>): void {
    this.transaction(() => {
      this.stmt('DELETE FROM findings WHERE step = ? AND kind = ?').run(step, kind);
      this.addFindings(step, kind, items);
    });
  }

  /** Adds ITEMS to the findings of STEP and KIND (for lists written a chunk at a time). */
  addFindings(step: string, kind: string, items: Iterable<FindingInput>): void {
    const insert = this.stmt('INSERT INTO findings (step, kind, key, data) VALUES (?, ?, ?, ?)');
    this.transaction(() => {
      for (const item of items) insert.run(step, kind, item.key, toJson(item.data));
    });
  }

  /** Findings of STEP (of one KIND if given), in the order they were put. */
  getFindings(step: string, kind?: string): Finding[] {
    const rows = (kind === undefined
      ? this.stmt('SELECT step, kind, key, data FROM findings WHERE step = ? ORDER BY id').all(step)
      : this.stmt('SELECT step, kind, key, data FROM findings WHERE step = ? AND kind = ? ORDER BY id').all(step, kind)
    ) as { step: string; kind: string; key: string; data: string }[];
    return rows.map((r) => ({ step: r.step, kind: r.kind, key: r.key, data: fromJson(r.data) }));
  }

  // ------------------------------------------------------------------ decisions

  /** Sets (or replaces) the answer to question KEY of STEP. */
  setDecision(step: string, key: string, value: unknown, source: DecisionSource): void {
    this.stmt(`INSERT INTO decisions (step, key, value, source, decided_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (step, key) DO UPDATE SET value = excluded.value, source = excluded.source, decided_at = excluded.decided_at`)
      .run(step, key, toJson(value), source, this.now());
  }

  getDecision(step: string, key: string): StoredDecision | undefined {
    const row = this.stmt('SELECT value, source, decided_at FROM decisions WHERE step = ? AND key = ?').get(step, key) as DecisionRow | undefined;
    return row && decisionRecord(row);
  }

  /** Every decision of STEP by key, in key order. */
  getDecisions(step: string): Map<string, StoredDecision> {
    const rows = this.stmt('SELECT key, value, source, decided_at FROM decisions WHERE step = ? ORDER BY key').all(step) as (DecisionRow & { key: string })[];
    return new Map(rows.map((r) => [r.key, decisionRecord(r)]));
  }

  /** STEP's decisions as stored (VALUE as JSON text), for the copy kept in the databases. */
  rawDecisions(step: string): { key: string; value: string; source: string; decidedAt: string }[] {
    return (this.stmt('SELECT key, value, source, decided_at FROM decisions WHERE step = ? ORDER BY key').all(step) as (DecisionRow & { key: string })[])
      .map((r) => ({ key: r.key, value: r.value, source: r.source, decidedAt: r.decided_at }));
  }

  /** Changes whenever STEP's decisions change (cheap: for copying them to the databases only then). */
  decisionsStamp(step: string): string {
    const r = this.stmt('SELECT count(*) AS n, max(decided_at) AS at, total(length(value)) AS len FROM decisions WHERE step = ?').get(step) as { n: number; at: string | null; len: number };
    return `${r.n}|${r.at ?? ''}|${r.len}`;
  }

  /** Sets a decision as recorded elsewhere (VALUE as JSON text, its time kept): recover. */
  restoreDecision(step: string, d: { key: string; value: string; source: string; decidedAt: string }): void {
    this.stmt(`INSERT INTO decisions (step, key, value, source, decided_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (step, key) DO UPDATE SET value = excluded.value, source = excluded.source, decided_at = excluded.decided_at`)
      .run(step, d.key, d.value, d.source, d.decidedAt);
  }

  clearDecisions(step: string): void {
    this.stmt('DELETE FROM decisions WHERE step = ?').run(step);
  }

  // ------------------------------------------------------------------ batches

  /** Mirrors a batch committed in SERVICE's database (idempotent); AT: when it committed (default now). */
  recordBatch(step: string, batch: string, rows: number, service?: Service, at?: Date): void {
    this.stmt(`INSERT INTO batches (step, batch, rows, committed_at, service) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (step, batch) DO UPDATE SET rows = excluded.rows, service = coalesce(excluded.service, service)`)
      .run(step, batch, rows, at ? at.toISOString() : this.now(), service ?? null);
  }

  batchesFor(step: string): BatchRecord[] {
    return (this.stmt('SELECT step, batch, rows, committed_at, service FROM batches WHERE step = ? ORDER BY id').all(step) as BatchRow[]).map(batchRecord);
  }

  /** Every batch recorded, in the order they were recorded. */
  allBatches(): BatchRecord[] {
    return (this.stmt('SELECT step, batch, rows, committed_at, service FROM batches ORDER BY id').all() as BatchRow[]).map(batchRecord);
  }

  /** Forgets STEP's batches (after undo, whose last transaction forgot them in the databases). */
  forgetBatches(step: string): void {
    this.stmt('DELETE FROM batches WHERE step = ?').run(step);
  }

  // ------------------------------------------------------------------ before-images

  /** Journals the rows BATCH of STEP is about to delete or rewrite, in one transaction. */
  addBeforeImages(step: string, batch: string, images: Iterable<BeforeImageInput>): void {
    const insert = this.stmt(`INSERT INTO journal (step, batch, service, table_name, pk, "row", action, recorded_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const now = this.now();
    this.transaction(() => {
      for (const image of images) {
        insert.run(step, batch, image.service, image.table, toJson(image.pk), toJson(image.row), image.action, now);
      }
    });
  }

  /** SQLite's quick check of the before-images, which opening the file leaves out: undo runs it first. */
  checkBeforeImages(): void {
    checkBeforeImages(this.db, this.path);
  }

  /**
   * The before-images of STEP (of one BATCH if given) in the order they were recorded.
   * Reads page by page, so memory stays bounded and the file is free between pages.
   */
  *beforeImages(step: string, batch?: string): Generator<BeforeImage, void, undefined> {
    const page = batch === undefined
      ? this.stmt('SELECT * FROM journal WHERE step = ? AND id > ? ORDER BY id LIMIT ?')
      : this.stmt('SELECT * FROM journal WHERE step = ? AND batch = ? AND id > ? ORDER BY id LIMIT ?');
    let after = 0;
    for (;;) {
      const rows = (batch === undefined ? page.all(step, after, BEFORE_IMAGE_PAGE) : page.all(step, batch, after, BEFORE_IMAGE_PAGE)) as JournalRow[];
      for (const row of rows) yield beforeImageRecord(row);
      if (rows.length < BEFORE_IMAGE_PAGE) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** The batches of STEP that have before-images. */
  beforeImageBatches(step: string): string[] {
    return (this.stmt('SELECT DISTINCT batch FROM journal WHERE step = ? ORDER BY batch').all(step) as { batch: string }[]).map((r) => r.batch);
  }

  countBeforeImages(step: string, batch?: string): number {
    const row = (batch === undefined
      ? this.stmt('SELECT count(*) AS n FROM journal WHERE step = ?').get(step)
      : this.stmt('SELECT count(*) AS n FROM journal WHERE step = ? AND batch = ?').get(step, batch)) as { n: number };
    return row.n;
  }

  /** Deletes the before-images of STEP (of one BATCH if given); returns how many. */
  deleteBeforeImages(step: string, batch?: string): number {
    const info = batch === undefined
      ? this.stmt('DELETE FROM journal WHERE step = ?').run(step)
      : this.stmt('DELETE FROM journal WHERE step = ? AND batch = ?').run(step, batch);
    return info.changes;
  }

  // ------------------------------------------------------------------ backups

  addBackup(backup: BackupInput): number {
    const info = this.stmt(`INSERT INTO backups (step, service, kind, path, bytes, sha256, verified, note, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      backup.step, backup.service, backup.kind, backup.path, backup.bytes ?? null, backup.sha256 ?? null,
      backup.verified ? 1 : 0, backup.note == null ? null : this.scrubText(backup.note), backup.createdAt ?? this.now());
    return Number(info.lastInsertRowid);
  }

  setBackupVerified(id: number, verified: boolean): void {
    this.stmt('UPDATE backups SET verified = ? WHERE id = ?').run(verified ? 1 : 0, id);
  }

  listBackups(): BackupRecord[] {
    return (this.stmt('SELECT * FROM backups ORDER BY id').all() as BackupRow[]).map(backupRecord);
  }

  /** The newest backup of SERVICE, verified or not. */
  latestBackup(service: Service): BackupRecord | undefined {
    const row = this.stmt('SELECT * FROM backups WHERE service = ? ORDER BY created_at DESC, id DESC LIMIT 1').get(service) as BackupRow | undefined;
    return row && backupRecord(row);
  }

  // ------------------------------------------------------------------ events

  /** Appends to the log; MESSAGE is scrubbed first. */
  log(step: string | null, level: EventLevel, message: string): void {
    this.stmt('INSERT INTO events (at, step, level, message) VALUES (?, ?, ?, ?)').run(this.now(), step, level, this.scrubText(message));
  }

  /** Every event, oldest first. */
  allEvents(): EventRecord[] {
    return this.stmt('SELECT * FROM events ORDER BY id').all() as EventRecord[];
  }

  /** The last N events, oldest first. */
  recentEvents(n: number): EventRecord[] {
    const rows = this.stmt('SELECT * FROM (SELECT * FROM events ORDER BY id DESC LIMIT ?) ORDER BY id').all(n) as EventRecord[];
    return rows;
  }

  // ------------------------------------------------------------------ lock

  /**
   * Makes this process the one runner of the state file. A holder on this host whose process
   * is gone (or whose pid now belongs to a process that started at another time) is replaced
   * (and logged); a live holder, or one on another host, is replaced only with FORCE.
   * Otherwise throws a UserError naming the holder.
   */
  acquireLock(options: AcquireLockOptions = {}): LockHolder {
    const mine: LockRow = {
      host: this.host, pid: this.pid, started_at: this.now(),
      command: this.scrubText(options.command ?? 'snf-upgrade'), token: this.lockToken, process_start: this.processStart,
    };
    const take = this.db.transaction(() => {
      const holder = this.stmt('SELECT host, pid, started_at, command, token, process_start FROM lock WHERE id = 1').get() as LockRow | undefined;
      if (holder && holder.token === this.lockToken) return;
      if (holder) {
        const sameHost = holder.host === this.host;
        const liveness = sameHost ? processLiveness(holder.pid, holder.process_start) : undefined;
        const who = `process ${holder.pid} on ${holder.host} (since ${holder.started_at}, ${holder.command})`;
        if (liveness && !liveness.alive) {
          this.log(null, 'warn', `took over the state file lock from ${who}, which is no longer running: ${liveness.why}`);
        } else if (options.force) {
          this.log(null, 'warn', `took over the state file lock from ${who} (--take-over)`);
        } else {
          throw new UserError(`state file ${this.path} is in use by process ${holder.pid} on ${holder.host} since ${holder.started_at}`,
            'wait for it, or run with --take-over if that process is gone');
        }
      }
      this.stmt(`INSERT OR REPLACE INTO lock (id, host, pid, started_at, command, token, process_start)
        VALUES (1, @host, @pid, @started_at, @command, @token, @process_start)`).run(mine);
    });
    this.guard(() => take.immediate());
    return this.lockHolder()!;
  }

  /** Gives the lock up if this instance holds it. */
  releaseLock(): void {
    this.stmt('DELETE FROM lock WHERE id = 1 AND token = ?').run(this.lockToken);
  }

  /** Whether this instance still holds the lock (false once another process took it over). */
  holdsLock(): boolean {
    return this.stmt('SELECT 1 FROM lock WHERE id = 1 AND token = ?').get(this.lockToken) !== undefined;
  }

  lockHolder(): LockHolder | undefined {
    const row = this.stmt('SELECT host, pid, started_at, command, process_start FROM lock WHERE id = 1').get() as LockRow | undefined;
    return row && { host: row.host, pid: row.pid, startedAt: row.started_at, command: row.command, processStart: row.process_start };
  }

  // ------------------------------------------------------------------ helpers

  private now(): string {
    return this.clock().toISOString();
  }

  /** A cached prepared statement whose disk or file failures surface as UserErrors. */
  private stmt(sql: string): GuardedStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      const prepared = this.db.prepare(sql);
      statement = {
        run: (...params) => this.guard(() => prepared.run(...params)),
        get: (...params) => this.guard(() => prepared.get(...params)),
        all: (...params) => this.guard(() => prepared.all(...params)),
      };
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translateRuntime(err, this.path);
    }
  }
}

const MEMORY = ':memory:';

/** "device:inode" of the file at PATH, or undefined when there is none. */
function fileIdentity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Orders runbook ids numerically part by part: 2 < 2.2 < 2.10 < 10. */
export function compareStepIds(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = Number(x);
    const ny = Number(y);
    const diff = Number.isInteger(nx) && Number.isInteger(ny) ? nx - ny : x.localeCompare(y);
    if (diff !== 0) return diff;
  }
  return 0;
}
