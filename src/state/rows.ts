// The state file's rows as stored (snake_case, JSON text) and as the rest of the tool reads them.
import type { Service } from '../db/connection.js';
import { fromJson, fromJsonOrNull } from './json.js';
import type {
  BackupRecord, BatchRecord, BeforeImage, BeforeImageInput, DecisionSource, RunOutcome, RunRecord, StepRecord, StepStatus, StoredDecision,
} from './types.js';

export interface StepRow {
  id: string; status: StepStatus; attempts: number; started_at: string | null; finished_at: string | null;
  duration_ms: number | null; last_error: string | null; summary: string | null; note: string | null; run_id: number | null;
}
export interface JournalRow {
  id: number; step: string; batch: string; service: Service; table_name: string; pk: string; row: string;
  action: BeforeImageInput['action']; recorded_at: string;
}
export interface BackupRow {
  id: number; step: string | null; service: Service; kind: BackupRecord['kind']; path: string; bytes: number | null;
  sha256: string | null; verified: number; note: string | null; created_at: string;
}

export interface BatchRow { step: string; batch: string; rows: number; committed_at: string; service: Service | null }

export function batchRecord(r: BatchRow): BatchRecord {
  return { step: r.step, batch: r.batch, rows: r.rows, committedAt: r.committed_at, service: r.service };
}

export interface RunRow { id: number; started_at: string; ended_at: string | null; host: string; pid: number; command: string; outcome: RunOutcome | null }
export interface DecisionRow { value: string; source: DecisionSource; decided_at: string }

export function runRecord(r: RunRow): RunRecord {
  return { id: r.id, startedAt: r.started_at, endedAt: r.ended_at, host: r.host, pid: r.pid, command: r.command, outcome: r.outcome };
}

export function stepRecord(r: StepRow): StepRecord {
  return {
    id: r.id, status: r.status, attempts: r.attempts, startedAt: r.started_at, finishedAt: r.finished_at,
    durationMs: r.duration_ms, lastError: r.last_error, summary: fromJsonOrNull(r.summary), note: r.note, runId: r.run_id,
  };
}

export function decisionRecord(r: DecisionRow): StoredDecision {
  return { value: fromJson(r.value), source: r.source, decidedAt: r.decided_at };
}

export function beforeImageRecord(r: JournalRow): BeforeImage {
  return {
    id: r.id, step: r.step, batch: r.batch, service: r.service, table: r.table_name,
    pk: fromJson(r.pk), row: fromJson(r.row), action: r.action, recordedAt: r.recorded_at,
  };
}

export function backupRecord(r: BackupRow): BackupRecord {
  return {
    id: r.id, step: r.step, service: r.service, kind: r.kind, path: r.path, bytes: r.bytes, sha256: r.sha256,
    verified: r.verified !== 0, note: r.note, createdAt: r.created_at,
  };
}
