// The interactive wizard's entry: opens the engine's session (with the on-screen Asker),
// renders the Ink app full screen, and resolves with an exit code when the operator quits.
import { createElement } from 'react';
import { render } from 'ink';
import type { Config } from '../config.js';
import { openSession } from '../engine/open.js';
import type { RestorePlan } from '../engine/restore.js';
import { restoreBackups } from '../engine/restore-run.js';
import type { Session } from '../engine/session.js';
import { App } from './App.js';
import { UiAsker } from './asker.js';

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

export async function startWizard(config: Config, opts: { takeOver?: boolean }): Promise<number> {
  let opening: Opening | undefined;
  let takeOver = opts.takeOver;
  for (;;) {
    const ended = await wizardSession(config, takeOver, opening);
    if (!ended.restore) return ended.code;
    // The session is closed: nothing of the tool has the databases open while they are replaced.
    const lines: string[] = [];
    await restoreBackups(config, ended.restore, new UiAsker(), (l) => {
      lines.push(`✓ ${l}`);
      process.stderr.write(`snf-upgrade: ${l}\n`);
    });
    opening = { title: `Restored backup "${ended.restore.label}"`, lines };
    takeOver = false;
  }
}

type Opening = { title: string; lines: string[] };

/** One wizard session: the engine's session opened, the app shown until the operator quits or confirms a restore. */
async function wizardSession(config: Config, takeOver: boolean | undefined, opening: Opening | undefined): Promise<{ code: number; restore?: RestorePlan }> {
  let opened: Session | undefined;
  const asker = new UiAsker();
  try {
    if (process.stderr.isTTY) process.stderr.write(`snf-upgrade: opening ${config.state} and the databases…\n`);
    // One runner at a time: take the lock now, so a second wizard is told who holds it.
    const { session: backend, lockProblem } = await openSession(config, { asker, command: 'snf-upgrade wizard', lock: { takeOver } });
    opened = backend;
    const interrupted = await backend.interrupted().catch(() => undefined);

    const tty = !!process.stdout.isTTY;
    if (tty) process.stdout.write(ENTER_ALT_SCREEN);
    let hard = false;
    let restore: RestorePlan | undefined;
    const code = await new Promise<number>((resolve) => {
      const instance = render(createElement(App, {
        backend, asker, interrupted: interrupted ?? null, opening,
        onExit: (c: number, o?: { hard?: boolean }) => {
          hard = !!o?.hard;
          instance.unmount();
          resolve(c);
        },
        onRestore: (plan: RestorePlan) => {
          restore = plan;
          instance.unmount();
          resolve(0);
        },
      }), { exitOnCtrlC: false });
    });
    if (tty) process.stdout.write(LEAVE_ALT_SCREEN);
    if (restore) {
      await backend.close('paused');
      return { code, restore };
    }
    if (lockProblem && !backend.holdsLock()) {
      process.stderr.write(`snf-upgrade: not started: ${lockProblem}\n  next: wait for it to finish (snf-upgrade status shows who holds the lock), then run snf-upgrade again\n`);
      await backend.close('paused');
      return { code };
    }
    const next = backend.current();
    if (hard) {
      process.stderr.write(`snf-upgrade: quit while work was in progress; nothing half-done is kept (the running statement is canceled and its batch rolls back, a half-written backup is removed). Run snf-upgrade again to resume${next ? ` at ${next.def.id}` : ''}.\n`);
      // A step is still running: do not wait for it (that is what the second ctrl-c asked for),
      // but have the server cancel what it runs, so no open batch keeps its locks behind us.
      await Promise.race([backend.cancelRunning(), new Promise((r) => setTimeout(r, 5000).unref())]);
      process.exit(130);
    }
    process.stderr.write(next
      ? `snf-upgrade: paused; the next step is ${next.def.id} (${next.def.title}). Run snf-upgrade again to resume.\n`
      : `snf-upgrade: every step is done. snf-upgrade report prints the change record${backend.finishedAt() ? '' : '; snf-upgrade finish drops the tool\'s tables'}.\n`);
    await backend.close(next ? 'paused' : 'completed');
    return { code };
  } catch (err) {
    await opened?.close('failed').catch(() => undefined);
    throw err;
  } finally {
    asker.cancel();
  }
}
