// Keeps each database's own record of the upgrade up to date as the engine works: the decisions
// a step acts on go in with its batches, a finished (or undone) step into every database.
import type pg from 'pg';
import { physicalDatabase, serviceNames, type Db } from '../db/connection.js';
import { UserError } from '../errors.js';
import type { StepDef } from '../runbook/steps.js';
import type { StateFile } from '../state/index.js';
import type { DatabaseAccess } from './databases.js';
import type { DatabaseView } from './reconcile.js';

/** The steps whose decisions DEF acts on: its own, and those of the table it shows. */
const decisionSteps = (def: StepDef): string[] => [...new Set([def.id, def.decisions?.step ?? def.id])];

export class DatabaseRecords {
  /** "database|step" → the decisions stamp last written there by this process. */
  private readonly written = new Map<string, string>();

  constructor(private readonly state: StateFile, private readonly access: DatabaseAccess) {}

  /** Inside a batch of DEF on DB: its decisions, when they changed since they were last written there. */
  async inBatch(client: pg.PoolClient, db: Db, def: StepDef): Promise<void> {
    for (const step of decisionSteps(def)) {
      const where = `${physicalDatabase(db.url)}|${step}`;
      const stamp = this.state.decisionsStamp(step);
      if (this.written.get(where) === stamp) continue;
      await this.access.writeDecisions(client, step, this.state.rawDecisions(step));
      this.written.set(where, stamp);
    }
  }

  /**
   * STEP finished (AT) or was undone (AT undefined): said in every database, with its decisions as
   * they are now. Undo says it here before the state file catches up: a kill in between leaves the
   * step running there, which the start check allows.
   */
  async step(dbs: Db[], step: string, at: Date | undefined, summary?: unknown): Promise<void> {
    for (const db of dbs) await this.access.writeStep(db, step, at, summary === undefined ? undefined : JSON.stringify(summary), this.state.rawDecisions(step));
    this.written.clear();
  }

  /**
   * Makes the state file agree with the databases' journals before STEP runs again after a
   * kill: batches that committed but were never recorded (killed between the COMMIT and the
   * state-file update) are mirrored; before-images of batches that never committed (killed
   * before the COMMIT, and planned differently on resume) are dropped, since no row changed.
   */
  async mirrorJournal(dbs: Db[], step: string): Promise<void> {
    const known = new Set(this.state.batchesFor(step).map((b) => b.batch));
    const committed = new Set<string>();
    for (const db of dbs) {
      for (const b of await this.access.committedBatches(db, step)) {
        committed.add(b.batch);
        if (!known.has(b.batch)) this.state.recordBatch(step, b.batch, b.rows, db.service, b.committedAt);
      }
    }
    for (const batch of this.state.beforeImageBatches(step)) {
      if (!committed.has(batch)) this.state.deleteBeforeImages(step, batch);
    }
  }

  /** Undo of STEP restores from the before-images: refused, before anything, when a batch the journals hold that changed rows has none here. */
  async requireBeforeImages(dbs: Db[], step: string): Promise<void> {
    const missing: string[] = [];
    for (const db of dbs) {
      for (const b of await this.access.committedBatches(db, step)) {
        if (b.rows > 0 && !b.batch.startsWith('undo ') && !this.state.countBeforeImages(step, b.batch)) missing.push(b.batch);
      }
    }
    if (!missing.length) return;
    throw new UserError(`undo ${step} refused: ${missing.length} of its batch(es) in the journal have no before-images in state file ${this.state.path} (first: "${missing[0]}"; the file was rebuilt by recover, or is not the one that ran ${step}); nothing was restored or forgotten`,
      'use the state file that ran the step, or restore the backup taken before it (snf-upgrade restore)');
  }

  /** What became of STEP, which a previous run left running (killed or crashed). */
  async interruptedText(dbs: Promise<Db>[], step: string): Promise<string> {
    const committed: string[] = [];
    for (const opening of dbs) {
      try {
        const db = await opening;
        const batches = await this.access.committedBatches(db, step);
        if (batches.length) committed.push(`${batches.length} batch(es) in ${serviceNames(db)}`);
      } catch { /* unreachable database: said elsewhere */ }
    }
    return committed.length
      ? `The last session stopped during ${step}: ${committed.join(', ')} had committed; running it again continues after them.`
      : `The last session stopped during ${step} before any change committed: nothing was changed; it can simply run again.`;
  }

  /** What each database records, with the schema release of each service in it. */
  async read(dbs: Db[]): Promise<DatabaseView[]> {
    const out: DatabaseView[] = [];
    for (const db of dbs) out.push({ db, ...(await this.access.readRecord(db)) });
    return out;
  }
}

/** The state file was deleted or replaced while STEP ran: nothing more is written. */
export function stateFileGone(path: string, step: string): UserError {
  return new UserError(`state file ${path} was deleted or replaced while ${step} ran; stopped before writing more (the batches committed so far are in the databases' journals)`,
    'put the state file back and run the same command again, or rebuild it from the databases: snf-upgrade recover');
}
