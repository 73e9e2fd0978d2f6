// PostgreSQL and driver errors the operator can act on (a cut connection, a timeout, a full
// disk, a deadlock), turned into one line of cause and a next step. Used by the engine for
// everything a step does, so no such error surfaces as "unexpected error".
import { UserError } from '../errors.js';
import { STATEMENT_TIMEOUT_ENV } from './timeouts.js';

export type DbFaultKind =
  | 'terminated' | 'crash' | 'starting' | 'connection-lost' | 'statement-timeout' | 'lock-timeout'
  | 'idle-timeout' | 'canceled' | 'disk-full' | 'too-many-connections' | 'deadlock' | 'serialization';

const BY_CODE: Record<string, DbFaultKind> = {
  '57P01': 'terminated', '57P02': 'crash', '57P03': 'starting', '25P03': 'idle-timeout', '55P03': 'lock-timeout',
  '53100': 'disk-full', '53300': 'too-many-connections', '40P01': 'deadlock', '40001': 'serialization',
};
const LOST_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', '08000', '08003', '08006']);
const LOST_MESSAGE = /Connection terminated|not queryable|connection error|Connection ended|server closed the connection/i;

/** What kind of database fault ERR is, or undefined for anything else (a bug, bad data). */
export function classifyDbError(err: unknown): DbFaultKind | undefined {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e || typeof e !== 'object') return undefined;
  const code = e.code ?? '';
  if (code === '57014') {
    if (/statement timeout/i.test(e.message ?? '')) return 'statement-timeout';
    if (/lock timeout/i.test(e.message ?? '')) return 'lock-timeout';
    return 'canceled';
  }
  if (BY_CODE[code]) return BY_CODE[code];
  if (LOST_CODES.has(code) || LOST_MESSAGE.test(e.message ?? '')) return 'connection-lost';
  return undefined;
}

export interface FaultPlace {
  service?: string;
  step?: string;
  /** The batch that was running; its transaction rolled back. */
  batch?: string;
  /** The statement_timeout (or lock_timeout) in force, when known. */
  setting?: string;
  /** The environment variable that sets the step's batch size, if it has one (lowering it helps a batch fit a timeout). */
  batchKnob?: string;
}

const AGAIN = 'run the same command again to resume (committed batches are kept)';

/** A UserError for ERR if it is a database fault, else undefined. */
export function databaseFault(err: unknown, place: FaultPlace): UserError | undefined {
  const kind = classifyDbError(err);
  if (!kind) return undefined;
  const db = place.service ? `the ${place.service} database` : 'a database';
  const conn = place.service ? `the connection to ${place.service}` : 'a database connection';
  const where = place.step ? ` during ${place.step}${place.batch ? `, batch ${place.batch}` : ''}` : '';
  const kept = place.batch ? '; nothing of that batch was kept' : '';
  const setting = place.setting ? ` (${place.setting})` : '';
  const knob = place.batchKnob ? ` or lower the batch size (${place.batchKnob})` : '';
  const raw = String((err as Error).message ?? err).split('\n')[0];
  const [cause, next]: [string, string] = (() => {
    switch (kind) {
      case 'terminated': return [`${conn} was closed by the server (administrator command)`, `check that nobody ends this tool's sessions and the server is up, then ${AGAIN}`];
      case 'crash': return [`${conn} was closed: the server restarted after another server process crashed`, `wait until ${db} accepts connections, then ${AGAIN}`];
      case 'starting': return [`${db} is starting up or shutting down`, `wait until it accepts connections, then ${AGAIN}`];
      case 'connection-lost': return [`${conn} was lost (${raw})`, `check the server and the network, then ${AGAIN}`];
      case 'statement-timeout': return [`a statement in ${db} ran longer than statement_timeout${setting}`,
        `raise it with ${STATEMENT_TIMEOUT_ENV} (e.g. ${STATEMENT_TIMEOUT_ENV}=2h; 0 leaves the server's own setting)${knob}, then ${AGAIN}`];
      case 'lock-timeout': return [`a statement in ${db} waited longer than lock_timeout${setting} for a lock another session holds`,
        `stop the services still connected (snf-upgrade plan 1 lists them) or raise lock_timeout, then ${AGAIN}`];
      case 'idle-timeout': return [`${conn} was closed by idle_in_transaction_session_timeout${setting}`, `raise that setting for this tool's database user, then ${AGAIN}`];
      case 'canceled': return [`a statement in ${db} was canceled by another session (pg_cancel_backend)`, `check who cancels this tool's queries, then ${AGAIN}`];
      case 'disk-full': return [`the disk of ${db}'s server is full (${raw})`, `free space on the database server, then ${AGAIN}`];
      case 'too-many-connections': return [`${db} refuses new connections (too many clients)`, `stop other clients of the server, then ${AGAIN}`];
      case 'deadlock': return [`a deadlock with another session in ${db} aborted the batch`, `stop the services still connected to it (they must be down), then ${AGAIN}`];
      case 'serialization': return [`a concurrent update in ${db} aborted the batch (serialization failure)`, `stop the services still connected to it (they must be down), then ${AGAIN}`];
    }
  })();
  return new UserError(`${cause}${where}${kept}`, next);
}
