// Rate and ETA per table, from the time spent on that table: a table's clock starts where the
// table before it stopped, and the time a question waits for the operator's answer is left out
// (of every rate, and of the wizard's running timer, told by 'waiting' events).
import type { Asker, Progress } from '../core/step.js';

export class TableRates {
  private waited = 0;
  private last: number;
  private readonly starts = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {
    this.last = clock();
  }

  /** The time spent working: the clock less every wait for an answer. */
  private active(): number {
    return this.clock() - this.waited;
  }

  /** ASKER whose questions' waits are left out of the rates; WAITING is told when a wait starts and ends. */
  timed(asker: Asker, waiting: (on: boolean) => void): Asker {
    const wait = async <T>(answer: () => Promise<T>): Promise<T> => {
      const t0 = this.clock();
      waiting(true);
      try {
        return await answer();
      } finally {
        this.waited += this.clock() - t0;
        waiting(false);
      }
    };
    const ask = asker.ask?.bind(asker);
    return {
      get interactive() { return asker.interactive; },
      get acceptSuggestions() { return asker.acceptSuggestions; },
      answer: (step, key) => asker.answer(step, key),
      confirm: (q) => wait(() => asker.confirm(q)),
      ...(ask ? { ask: (q) => wait(() => ask(q)) } : {}),
    };
  }

  /** P's table's rate (its unit per second since the table started) and the time left at that rate. */
  of(p: Progress): { rate?: number; etaSeconds?: number } {
    const now = this.active();
    const key = p.table ?? '';
    const start = this.starts.get(key) ?? this.last;
    this.starts.set(key, start);
    this.last = now;
    const seconds = (now - start) / 1000;
    const rate = seconds > 0 && p.done > 0 ? p.done / seconds : undefined;
    return { ...(rate ? { rate } : {}), ...(rate && p.total !== undefined ? { etaSeconds: Math.max(0, (p.total - p.done) / rate) } : {}) };
  }
}
