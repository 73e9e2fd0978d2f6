// Opens what a front end works on: the config's state file, the engine over it and its
// session. The wizard and the headless commands both start here.
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config.js';
import type { Asker } from '../core/step.js';
import { SERVICES } from '../db/connection.js';
import { scrubSecrets } from '../secrets.js';
import { UserError } from '../errors.js';
import { StateFile } from '../state/index.js';
import { VERSION } from '../version.js';
import { deploymentFingerprint, Engine } from './index.js';
import { requireEmbeddedDatabases } from './preflight.js';
import { StateDisagrees } from './reconcile.js';
import { engineBackend, type Session } from './session.js';

export interface OpenSessionOptions {
  /** The Asker, or what makes it (called once the embedded databases are known to exist). */
  asker: Asker | (() => Asker);
  /** What the lock and the run record name this runner ("snf-upgrade run 2.2"). */
  command: string;
  /** Open an existing state file for reading only (commands that write nothing). */
  readonly?: boolean;
  /** Take the runner lock now (the wizard: a second one is told who holds it). */
  lock?: { takeOver?: boolean };
}

export interface OpenedSession {
  session: Session;
  /** Why the lock could not be taken at start (opts.lock), with what to do: the wizard shows it. */
  lockProblem?: string;
}

/**
 * The state file of CONFIG (created when missing unless READONLY), the engine and its session.
 * Closing the session closes the state file too, and removes a state file this session
 * created when it ends in failure without having recorded anything.
 */
export async function openSession(config: Config, opts: OpenSessionOptions): Promise<OpenedSession> {
  requireEmbeddedDatabases(config);
  const asker = typeof opts.asker === 'function' ? opts.asker() : opts.asker;
  const existed = existsSync(config.state);
  const folderExisted = existsSync(dirname(config.state));
  const urls = SERVICES.map((s) => config[s].db).filter((u): u is string => !!u);
  const readonly = !!opts.readonly && existed;
  const options = { scrub: (t: string) => scrubSecrets(t, urls), toolVersion: VERSION, deployment: deploymentFingerprint(config) };
  // A read-only command never creates (and so never binds) a state file: without one it reads a blank record.
  const state = opts.readonly && !existed ? StateFile.inMemory(options) : StateFile.open(config.state, { readonly, create: !readonly, ...options });
  const finish = async (engine: Engine | undefined, outcome: 'completed' | 'paused' | 'failed'): Promise<void> => {
    let blank = false;
    try {
      await engine?.close(outcome);
      blank = !existed && !state.inMemory && outcome !== 'completed' && state.isBlank();
    } finally {
      state.close();
      // A state file this session created and then failed before recording anything is removed again.
      if (blank) removeStateFile(config.state, !folderExisted);
    }
  };
  let engine: Engine;
  try {
    engine = new Engine(config, state, asker, opts.command);
  } catch (err) {
    await finish(undefined, 'failed');
    throw err;
  }
  let lockProblem: string | undefined;
  const session = engineBackend(engine, { lockProblem: () => lockProblem });
  session.close = (outcome = 'completed') => finish(engine, outcome);
  if (opts.lock) {
    try {
      await engine.lock({ takeOver: opts.lock.takeOver });
    } catch (err) {
      // A state file that disagrees with the databases is no lock problem: the wizard does not start on it.
      if (!(err instanceof UserError) || err instanceof StateDisagrees) {
        await session.close('failed').catch(() => undefined);
        throw err;
      }
      lockProblem = `${err.message} (${err.next})`;
    }
  }
  return { session, lockProblem };
}

function removeStateFile(path: string, folderToo: boolean): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  if (folderToo) try { rmdirSync(dirname(path)); } catch { /* not empty: keep it */ }
}
