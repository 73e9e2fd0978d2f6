// The one-line stops of a step that must not write on: services still connected, a lock lost.
import { serviceNames, type Db, type Service } from '../db/connection.js';
import type { LockHolder } from '../db/lock.js';
import { describeSession, type Session } from '../db/sessions.js';
import { UserError } from '../errors.js';

/** A session of anything but snf-upgrade on DB stopped STEP before batch BATCHNO. */
export function servicesStillUp(db: Db, sessions: Session[], step: string, batchNo: number): UserError {
  const done = batchNo > 1 ? `after ${batchNo - 1} batch(es) of this run` : 'before its first batch of this run';
  const name = serviceNames(db);
  return new UserError(`${name} has a session that is not snf-upgrade: ${describeSession(sessions[0]!)}${sessions.length > 1 ? ` and ${sessions.length - 1} more` : ''}; ${step} stopped ${done}, nothing half-done`,
    `stop that service (services stay down until phase 11), then run the same command again to resume; if it is harmless, answer {"${step}": {"ignore-sessions": true}}`)
    .withDetails(sessions.map((x) => `${name}: ${describeSession(x)}`));
}

/**
 * The line that says SESSIONS on DB are expected, when a done step started a service in DB
 * (undefined: they are not, and stop the step). A database shared with a service still stopped
 * cannot tell whose sessions they are: the line says that service must stay down.
 */
export function expectedSessions(db: Db, sessions: Session[], started: Service[]): string | undefined {
  const inDb = db.services ?? [db.service];
  const up = inDb.filter((s) => started.includes(s));
  if (!up.length) return undefined;
  const down = inDb.filter((s) => !up.includes(s));
  return `${sessions.length} session(s) of ${up.join(' and ')} (started at an earlier step) on the ${serviceNames(db)} database, expected: ${describeSession(sessions[0]!)}`
    + (down.length ? `; ${down.join(' and ')} share${down.length > 1 ? '' : 's'} this database and must still be stopped` : '');
}

/** The lock of LOST (and of every database in ALL) went during STEP: taken over by HOLDER, or its connection closed. */
export function lockLost(lost: Db, all: Db[], holder: LockHolder | undefined, step: string): UserError {
  if (holder?.connected) {
    return new UserError(`${holder.command} (process ${holder.pid} on ${holder.host}) took over the ${serviceNames(lost)} lock during ${step}; stopped before the next batch, nothing half-done`,
      'let that runner finish; snf-upgrade status shows where the upgrade stands');
  }
  const names = all.map((db) => serviceNames(db));
  const which = names.length > 1 ? `connections holding the ${names.slice(0, -1).join(', ')} and ${names.at(-1)} locks were` : `connection holding the ${serviceNames(lost)} lock was`;
  return new UserError(`the ${which} closed (a server restart or an administrator) during ${step}; stopped before the next batch, nothing half-done`,
    'check the server is up, then run the same command again to resume (committed batches are kept)');
}

/** "COMMAND, process PID on HOST since DATE TIME": who held the lock. */
export const holderText = (command: string, pid: number, host: string, at: string): string =>
  `${command}, process ${pid} on ${host} since ${at.slice(0, 19).replace('T', ' ')}`;

/** The state file's lock is held by H, a runner that may still be working. */
export function inUse(h: { pid: number; host: string; command: string; startedAt: string }): UserError {
  return new UserError(`the upgrade is in use by process ${h.pid} on ${h.host} (${h.command}) since ${h.startedAt.slice(0, 19).replace('T', ' ')}`,
    'wait for it to finish; to take over from it (it hangs, or its host is gone) run again with --take-over: its sessions are ended and its open batch rolls back');
}

/** What a runner says once it took the lock from PREVIOUS (with --take-over, or left by a run that ended). */
export const takenFrom = (previous: string, takeOver: boolean): string => (takeOver
  ? `took over from ${previous} (--take-over): its sessions were ended, its open batch rolled back`
  : `the previous session (${previous}) ended without finishing; its lock went with it`);

/** What `run` or `confirm` of a finished step answers (exit 0). */
export const alreadyDone = (step: string, finishedAt: string | null): string =>
  `step ${step} is already done${finishedAt ? ` (at ${finishedAt.slice(0, 16).replace('T', ' ')})` : ''}; nothing to do`;

/** A writing command after `snf-upgrade finish`: the databases no longer keep the tool's record. */
export const upgradeEnded = (at: string): UserError => new UserError(
  `the upgrade ended at ${at.slice(0, 16).replace('T', ' ')} (snf-upgrade finish dropped the tool's tables); nothing was written`,
  'snf-upgrade status and the report show how it ended; a new upgrade needs a new state file (--state)');
