// How long one statement of the tool may run before the server cancels it: a frozen server
// or a lock that never comes ends with one line instead of a run that waits forever.
import { UserError } from '../errors.js';

export const STATEMENT_TIMEOUT_ENV = 'SNF_UPGRADE_STATEMENT_TIMEOUT';
/** Generous: the longest batch of a national-scale run takes a few minutes. */
export const DEFAULT_STATEMENT_TIMEOUT = '15min';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The statement_timeout the tool's sessions use, in milliseconds, from SNF_UPGRADE_STATEMENT_TIMEOUT
 * (PostgreSQL's syntax: 90s, 30min, 2h; a bare number is milliseconds; 0 leaves the server's own setting).
 */
export function statementTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = (env[STATEMENT_TIMEOUT_ENV] ?? DEFAULT_STATEMENT_TIMEOUT).trim();
  const m = /^(\d+)\s*(ms|s|min|h|d)?$/.exec(text);
  if (!m) {
    throw new UserError(`${STATEMENT_TIMEOUT_ENV}="${text}" is not a duration`, `give it as PostgreSQL does, e.g. 90s, 30min or 2h (0: the server's own statement_timeout)`);
  }
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}
