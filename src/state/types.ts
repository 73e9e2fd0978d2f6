// Records read from and written to the state file. Timestamps are ISO-8601 UTC strings;
// JSON payloads are whatever was stored, with bigints turned into decimal strings.
import type { Service } from '../db/connection.js';
import type { Decision, DecisionSource } from '../core/step.js';

export type { Decision, DecisionSource };
/** A decision as the state file returns it: always with the time it was made. */
export type StoredDecision = Decision & { decidedAt: string };

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';
export type BeforeImageAction = 'delete' | 'update';
export type BackupKind = 'pg_dump' | 'embedded' | 'external';
export type EventLevel = 'debug' | 'info' | 'warn' | 'error';
/** completed: nothing left to do; paused: stopped at a manual step or question. */
export type RunOutcome = 'completed' | 'paused' | 'failed' | 'interrupted';

export interface RunRecord {
  id: number;
  startedAt: string;
  endedAt: string | null;
  host: string;
  pid: number;
  command: string;
  /** null while running, or if the process died without saying. */
  outcome: RunOutcome | null;
}

export interface StepRecord {
  id: string;
  status: StepStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  lastError: string | null;
  summary: unknown;
  note: string | null;
  runId: number | null;
}

export interface FindingInput {
  key: string;
  data: unknown;
}

export interface Finding extends FindingInput {
  step: string;
  kind: string;
}

export interface BatchRecord {
  step: string;
  batch: string;
  rows: number;
  committedAt: string;
  /** The service whose database's journal holds the batch (null: recorded before this was kept). */
  service: Service | null;
}

export interface BeforeImageInput {
  service: Service;
  table: string;
  /** The primary key columns, e.g. { id: 42 }. */
  pk: unknown;
  /** The whole row as it was before the change. */
  row: unknown;
  action: BeforeImageAction;
}

export interface BeforeImage extends BeforeImageInput {
  id: number;
  step: string;
  batch: string;
  recordedAt: string;
}

export interface BackupInput {
  /** The step (or phase) the backup protects. */
  step: string | null;
  service: Service;
  kind: BackupKind;
  path: string;
  bytes?: number | null;
  sha256?: string | null;
  verified?: boolean;
  note?: string | null;
  /** When it was made (default now; recover carries the original time over). */
  createdAt?: string;
}

export interface BackupRecord {
  id: number;
  step: string | null;
  service: Service;
  kind: BackupKind;
  path: string;
  bytes: number | null;
  sha256: string | null;
  verified: boolean;
  note: string | null;
  createdAt: string;
}

export interface EventRecord {
  id: number;
  at: string;
  step: string | null;
  level: EventLevel;
  message: string;
}

export interface LockHolder {
  host: string;
  pid: number;
  startedAt: string;
  command: string;
  /** When the holder's process started ("BOOT:TICKS", see processStartTime); null if not recorded. */
  processStart: string | null;
}
