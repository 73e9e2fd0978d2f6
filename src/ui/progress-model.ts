// What the progress screen shows, folded from engine events by a pure reducer.
import type { EngineEvent } from '../engine/index.js';

export interface TableProgress {
  table: string;
  /** What done and total count: rows unless the step says otherwise. */
  unit: string;
  done: number;
  total?: number;
  batch?: number;
  batches?: number;
  rate?: number;
  etaSeconds?: number;
  finished: boolean;
}

export interface ProgressState {
  /** The step (or "backup") being watched. */
  step: string;
  /** Tables in the order they started; the last unfinished one is current. */
  tables: TableProgress[];
  logs: { level: 'info' | 'warn' | 'error'; message: string }[];
  /** Ctrl-C was pressed once: the engine stops after the current batch. */
  stopping: boolean;
  outcome?: 'done' | 'stopped' | 'failed';
  startedAt: number;
  /** Time spent waiting for the operator's answers (not work), and since when it waits now. */
  waitedMs: number;
  waitingSince?: number;
}

export const initialProgress = (step: string, now = Date.now()): ProgressState =>
  ({ step, tables: [], logs: [], stopping: false, startedAt: now, waitedMs: 0 });

/** How long the step has been working at NOW: waits for an answer left out. */
export const workingMs = (s: ProgressState, now: number): number =>
  Math.max(0, now - s.startedAt - s.waitedMs - (s.waitingSince !== undefined ? now - s.waitingSince : 0));

const MAX_LOGS = 50;

export function progressReducer(s: ProgressState, e: EngineEvent | { type: 'stop-requested' }, now = Date.now()): ProgressState {
  switch (e.type) {
    case 'waiting':
      if (e.waiting) return s.waitingSince === undefined ? { ...s, waitingSince: now } : s;
      return s.waitingSince === undefined ? s : { ...s, waitedMs: s.waitedMs + (now - s.waitingSince), waitingSince: undefined };
    case 'stop-requested': return s.stopping ? s : { ...s, stopping: true };
    case 'step-start': return e.step === s.step ? { ...s, tables: [], outcome: undefined } : s;
    case 'progress': {
      const name = e.progress.table ?? '(rows)';
      const p = e.progress;
      const entry: TableProgress = {
        table: name, unit: p.unit ?? 'rows', done: p.done, total: p.total, batch: p.batch, batches: p.batches,
        rate: e.rate, etaSeconds: e.etaSeconds, finished: p.total !== undefined && p.done >= p.total,
      };
      const i = s.tables.findIndex((t) => t.table === name);
      const tables = s.tables.map((t) => (t.finished || t.table === name ? t : { ...t, finished: true }));
      if (i >= 0) tables[i] = entry;
      else tables.push(entry);
      return { ...s, tables };
    }
    case 'log': {
      const logs = [...s.logs, { level: e.level, message: e.message }];
      return { ...s, logs: logs.length > MAX_LOGS ? logs.slice(-MAX_LOGS) : logs };
    }
    case 'step-done': return e.step === s.step ? { ...s, outcome: 'done', tables: s.tables.map((t) => ({ ...t, finished: true })) } : s;
    case 'step-stopped': return e.step === s.step ? { ...s, outcome: 'stopped' } : s;
    case 'step-failed': return e.step === s.step ? { ...s, outcome: 'failed', logs: [...s.logs, { level: 'error', message: e.error }] } : s;
    default: return s;
  }
}

/** The table being worked on: the last one not finished, else the last one. */
export function currentTable(s: ProgressState): TableProgress | undefined {
  for (let i = s.tables.length - 1; i >= 0; i--) if (!s.tables[i]!.finished) return s.tables[i];
  return s.tables[s.tables.length - 1];
}
