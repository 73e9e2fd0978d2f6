// The interactive wizard's entry: opens the state file and the engine (with the on-screen
// Asker), renders the Ink app full screen, and resolves with an exit code when the operator quits.
import { createElement } from 'react';
import { render } from 'ink';
import type { Config } from '../config.js';
import { SERVICES } from '../db/connection.js';
import { scrubSecrets } from '../secrets.js';
import { Engine } from '../engine/index.js';
import { UserError } from '../errors.js';
import { StateFile } from '../state/index.js';
import { App } from './App.js';
import { UiAsker } from './asker.js';
import { engineBackend } from '../engine/session.js';

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

export async function startWizard(config: Config, opts: { takeOver?: boolean }): Promise<number> {
  const { VERSION } = await import('../cli/main.js');
  const urls = SERVICES.map((s) => config[s].db).filter((u): u is string => !!u);
  const state = StateFile.open(config.state, { create: true, scrub: (t) => scrubSecrets(t, urls), toolVersion: VERSION });
  let engine: Engine | undefined;
  const asker = new UiAsker();
  try {
    engine = new Engine(config, state, asker, 'snf-upgrade wizard');
    if (process.stderr.isTTY) process.stderr.write(`snf-upgrade: opening ${state.path} and the databases…\n`);
    // One runner at a time: take the lock now, so a second wizard is told who holds it.
    let lockProblem: string | undefined;
    try {
      await engine.lock({ takeOver: opts.takeOver });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      lockProblem = `${err.message} (${err.next})`;
    }
    const interrupted = await engine.interrupted().catch(() => undefined);
    const backend = engineBackend(engine, { lockProblem: () => lockProblem });

    const tty = !!process.stdout.isTTY;
    if (tty) process.stdout.write(ENTER_ALT_SCREEN);
    let hard = false;
    const code = await new Promise<number>((resolve) => {
      const instance = render(createElement(App, {
        backend, asker, interrupted: interrupted ?? null,
        onExit: (c: number, o?: { hard?: boolean }) => {
          hard = !!o?.hard;
          instance.unmount();
          resolve(c);
        },
      }), { exitOnCtrlC: false });
    });
    if (tty) process.stdout.write(LEAVE_ALT_SCREEN);
    if (lockProblem && !engine.state.holdsLock()) {
      process.stderr.write(`snf-upgrade: not started: ${lockProblem}\n  next: wait for it to finish (snf-upgrade status shows who holds the lock), then run snf-upgrade again\n`);
      await engine.close('paused');
      return code;
    }
    const next = engine.current();
    if (hard) {
      process.stderr.write(`snf-upgrade: quit while work was in progress; nothing half-done is kept (an open batch rolls back, a partial backup is removed next time). Run snf-upgrade again to resume${next ? ` at ${next.def.id}` : ''}.\n`);
      // A step is still running: do not wait for it (that is what the second ctrl-c asked for).
      process.exit(130);
    }
    process.stderr.write(next
      ? `snf-upgrade: paused; the next step is ${next.def.id} (${next.def.title}). Run snf-upgrade again to resume.\n`
      : 'snf-upgrade: every step is done. snf-upgrade report prints the change record.\n');
    await engine.close(next ? 'paused' : 'completed');
    return code;
  } catch (err) {
    await engine?.close('failed').catch(() => undefined);
    throw err;
  } finally {
    asker.cancel();
    state.close();
  }
}
