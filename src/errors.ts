// Errors meant for the operator: one line of cause, one line of what to do next.
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  needsAnswer: 3,
  checkFailed: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class UserError extends Error {
  /** Optional lines shown under the one-line cause (e.g. each failing check). */
  details: string[] = [];

  constructor(message: string, readonly next: string, readonly exitCode: ExitCode = EXIT.failed) {
    super(message);
    this.name = 'UserError';
  }

  withDetails(lines: string[]): this {
    this.details = lines;
    return this;
  }
}

/** An answer is needed from the operator and there is no terminal to ask on. */
export class NeedsAnswer extends UserError {
  constructor(message: string, next: string) {
    super(message, next, EXIT.needsAnswer);
    this.name = 'NeedsAnswer';
  }
}

export class CheckFailed extends UserError {
  constructor(message: string, next: string) {
    super(message, next, EXIT.checkFailed);
    this.name = 'CheckFailed';
  }
}
