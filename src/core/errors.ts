// Operator-facing errors that several migration modules raise.
import { UserError } from '../errors.js';
import type { Service } from '../db/connection.js';

/**
 * Rows changed under a batch while it ran (a service or a person still writing to SERVICE's
 * database). The batch rolled back; WHAT says which rows, in the operator's terms.
 */
export function changedWhileRunning(service: Service, what: string): UserError {
  return new UserError(`${what} changed while this batch ran, so the batch was rolled back and nothing of it was kept`,
    `make sure nothing else writes to the ${service} database (its services stay stopped until step 11), then run the step again`);
}
