// The wizard's Asker: the engine's questions become a confirmation screen (yes / no, or a
// typed word) or a free-text question; the promise it returns settles when the operator
// answers there (or cancels with Esc).
import type { Asker, Question } from '../core/step.js';

export interface PendingQuestion {
  question: Question;
  /** 'text': a free-text answer is wanted (reply); 'confirm': yes / no (answer). */
  kind: 'confirm' | 'text';
  answer(ok: boolean): void;
  /** The operator's text (trimmed), or undefined: not answered. */
  reply(text: string | undefined): void;
}

export class UiAsker implements Asker {
  readonly interactive = true;
  private accepting: string | undefined;
  private pending: PendingQuestion | undefined;
  private readonly listeners = new Set<(p: PendingQuestion | undefined) => void>();

  /**
   * True only while a step the operator pressed `A` on plans or runs: its modules then take
   * their suggestion for every open item. Other steps (and later runs) are not affected.
   */
  get acceptSuggestions(): boolean {
    return this.accepting !== undefined;
  }

  /** Accept every suggestion of STEP from now on (undefined: of no step). */
  acceptingFor(step: string | undefined): void {
    this.accepting = step;
  }

  /** The step whose suggestions are being accepted, if any. */
  acceptingStep(): string | undefined {
    return this.accepting;
  }

  answer(_step: string, _key: string): unknown {
    return undefined;
  }

  confirm(question: Question): Promise<boolean> {
    // A question nobody can see on screen is a no: nothing happens without an answer.
    if (this.listeners.size === 0) return Promise.resolve(false);
    return this.put<boolean>(question, 'confirm', (v) => v === true);
  }

  /** A free-text question (e.g. where an external backup is); undefined when not answered. */
  ask(question: Question): Promise<string | undefined> {
    if (this.listeners.size === 0) return Promise.resolve(undefined);
    return this.put<string | undefined>(question, 'text', (v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined));
  }

  private put<T>(question: Question, kind: PendingQuestion['kind'], settle: (v: boolean | string | undefined) => T): Promise<T> {
    this.pending?.answer(false);
    return new Promise<T>((resolve) => {
      const done = (v: boolean | string | undefined) => {
        if (this.pending !== p) return;
        this.pending = undefined;
        this.emit(undefined);
        resolve(settle(v));
      };
      const p: PendingQuestion = { question, kind, answer: done, reply: done };
      this.pending = p;
      this.emit(p);
    });
  }

  /** The question waiting for an answer, if any. */
  current(): PendingQuestion | undefined {
    return this.pending;
  }

  subscribe(listener: (p: PendingQuestion | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Answers "no" to a waiting question (the wizard is closing). */
  cancel(): void {
    this.pending?.answer(false);
  }

  private emit(p: PendingQuestion | undefined): void {
    for (const l of this.listeners) l(p);
  }
}
