// Command line: picks the interactive wizard or a headless command; maps errors to exit codes.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, requireDeployment, type Config } from '../config.js';
import type { Asker } from '../core/step.js';
import { abortBackups } from '../db/backup.js';
import { closeAllEmbedded } from '../db/connection.js';
import type { EngineEvent, StepView } from '../engine/index.js';
import { reportJsonLines } from '../engine/report.js';
import { openSession } from '../engine/open.js';
import { findingLine, verdictLines, writtenTarget, type Session } from '../engine/session.js';
import { recoveryLines, writeRecovery } from '../engine/recover.js';
import { restoreLines, restoreQuestion } from '../engine/restore.js';
import { restoreBackups } from '../engine/restore-run.js';
import { restoreCommands } from '../db/restore.js';
import { CheckFailed, EXIT, NeedsAnswer, UserError } from '../errors.js';
import { alreadyDone } from '../engine/stops.js';
import { confirmedLines, describeError, formatEta, rate } from '../format.js';
import { isSettingsStep, SETTINGS_STEPS, type SnippetSet } from '../runbook/settings.js';
import { findStep, phaseBacksUp, phaseTitle } from '../runbook/steps.js';
import { VERSION } from '../version.js';
import { HeadlessAsker, loadAnswers } from './asker.js';
import { commandHelp, overview } from './help.js';
import { renderStatus, renderPlan, renderSnippets, snippetView } from './render.js';

export { VERSION };

/** The overview, or COMMAND's page; an unknown command is a usage error. */
function help(command: string | undefined, io: Io): number {
  if (command === undefined) { io.out(overview()); return EXIT.ok; }
  const page = commandHelp(command);
  if (!page) throw new UserError(`no command "${command}"`, 'snf-upgrade help lists the commands', EXIT.usage);
  io.out(page);
  return EXIT.ok;
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

const defaultIo = (): Io => ({
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  isTTY: !!(process.stdin.isTTY && process.stdout.isTTY),
});

const OPTIONS = {
  config: { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
  format: { type: 'string' },
  answers: { type: 'string' },
  'accept-suggestions': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  through: { type: 'string' },
  'take-over': { type: 'boolean' },
  'no-color': { type: 'boolean' },
  reveal: { type: 'boolean' },
  write: { type: 'boolean' },
  dir: { type: 'string' },
  scale: { type: 'string' },
  layout: { type: 'string' },
  backup: { type: 'string' },
  print: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

let signalsHandled = false;

/**
 * SIGTERM and SIGHUP (a shutdown, a closed SSH session) end the tool with what it started:
 * a running pg_dump / pg_restore is stopped and its half-written backup removed. An open batch
 * rolls back with the connection that the exit closes.
 */
function endWithSignals(io: Io): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      abortBackups();
      io.err(`snf-upgrade: ended by ${signal}; nothing half-done is kept (an open batch rolls back, a half-written backup was removed)`);
      process.exit(code);
    });
  }
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  endWithSignals(io);
  try {
    if (argv[0] === 'sandbox') {
      const { sandboxCommand } = await import('../sandbox/command.js');
      return await sandboxCommand(argv.slice(1), io);
    }
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      // Node appends advice about '--' to unknown options; the option is all the operator needs.
      throw new UserError((err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''), 'see snf-upgrade help', EXIT.usage);
    }
    const flags = parsed.values as Flags;
    // The screens read NO_COLOR (https://no-color.org); the flag says the same for this run.
    if (flags['no-color']) process.env.NO_COLOR = '1';
    const [command, ...rest] = parsed.positionals;
    if (flags.help || command === 'help') return help(command === 'help' ? rest[0] : command, io);
    if (flags.version) { io.out(VERSION); return EXIT.ok; }
    return await dispatch(command, rest, flags, io);
  } catch (err) {
    return fail(err, io);
  } finally {
    await closeAllEmbedded();
  }
}

function fail(err: unknown, io: Io): number {
  const e = describeError(err, 'the batch that was running rolled back; run `snf-upgrade status` to see where the upgrade stands, and `snf-upgrade report` if it repeats');
  io.err(`snf-upgrade: ${e.text}`);
  for (const line of e.details) io.err(`  ${line}`);
  io.err(`  next: ${e.next}`);
  return err instanceof UserError ? err.exitCode : EXIT.failed;
}

function asker(flags: Flags): Asker {
  return new HeadlessAsker(flags.answers ? loadAnswers(flags.answers) : {}, !!flags.yes, !!flags['accept-suggestions']);
}

/**
 * For commands that write: the step whose release expectations the databases must meet
 * (undefined: any release), checked before any lock is taken or anything is written.
 */
export type Preflight = (session: Session) => string | undefined;

export async function withSession<T>(config: Config, flags: Flags, command: string, fn: (s: Session) => Promise<T>, readonly = false, preflight?: Preflight): Promise<T> {
  const { session } = await openSession(config, { asker: () => asker(flags), command, readonly });
  let outcome: 'completed' | 'paused' | 'failed' = 'completed';
  try {
    // A state file that lacks what the databases record (lost, stale, another's) is said before the steps it would mislead.
    if (!readonly) await session.requireAgreement();
    if (preflight) {
      const id = preflight(session);
      // A finished step answers "already done" whatever the schema is now.
      if (!(id && session.steps().find((v) => v.def.id === id)?.record.status === 'done')) await session.checkDatabases(id);
    }
    if (flags['take-over']) await session.takeOver();
    return await fn(session);
  } catch (err) {
    outcome = err instanceof UserError && err.exitCode === EXIT.needsAnswer ? 'paused' : 'failed';
    throw err;
  } finally {
    await session.close(outcome);
  }
}

const noSnippets = (message: string): UserError =>
  new UserError(message, `give one of ${SETTINGS_STEPS.join(', ')} (e.g. snf-upgrade snippets ${SETTINGS_STEPS[0]})`, EXIT.usage);

/** A settings step's snippets (it has them: the caller checked). */
async function stepSnippets(session: Session, step: string, generate: boolean): Promise<SnippetSet> {
  return (await session.snippets(step, { generate }))!;
}

async function dispatch(command: string | undefined, args: string[], flags: Flags, io: Io): Promise<number> {
  if (command !== 'demo') {
    for (const k of ['dir', 'scale', 'layout'] as const) {
      if (flags[k] !== undefined) throw new UserError(`--${k} applies only to "snf-upgrade demo"`, 'see snf-upgrade help', EXIT.usage);
    }
  }
  if (command !== 'snippets' && (flags.reveal || flags.write)) throw new UserError(`--${flags.reveal ? 'reveal' : 'write'} applies only to "snf-upgrade snippets"`, 'see snf-upgrade help', EXIT.usage);
  if (command !== 'restore') {
    for (const k of ['backup', 'print'] as const) {
      if (flags[k] !== undefined) throw new UserError(`--${k} applies only to "snf-upgrade restore"`, 'see snf-upgrade help', EXIT.usage);
    }
  }
  const loadCfg = () => {
    const config = loadConfig(flags.config);
    if (flags.state) config.state = flags.state;
    return config;
  };
  const json = (v: unknown) => io.out(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2));
  const step = (required: boolean) => {
    if (args.length > 1) throw new UserError(`too many arguments: ${args.join(' ')}`, 'see snf-upgrade help', EXIT.usage);
    if (required && !args[0]) throw new UserError(`${command} needs a STEP (e.g. ${command} 3.2)`, 'snf-upgrade status lists the steps', EXIT.usage);
    return args[0];
  };
  /** An argument the command does not use is still a step the engine knows (or a usage error). */
  const known = (session: Session, id: string | undefined): void => { if (id !== undefined) session.step(id); };

  switch (command) {
    case undefined:
    case 'wizard': {
      const config = loadCfg();
      requireDeployment(config);
      if (!io.isTTY) {
        throw new UserError('the wizard needs a terminal, and this is not one',
          'use the headless commands: snf-upgrade status | plan | run | confirm | report (see --help)', EXIT.needsAnswer);
      }
      const { startWizard } = await import('../ui/start.js');
      return startWizard(config, { takeOver: !!flags['take-over'] });
    }
    case 'demo': {
      if (args.length) throw new UserError(`unexpected argument "${args[0]}"`, 'see snf-upgrade help', EXIT.usage);
      const { startDemo } = await import('./demo.js');
      return startDemo(io, { takeOver: !!flags['take-over'], dir: flags.dir, scale: flags.scale, layout: flags.layout });
    }
    case 'status': {
      const arg = step(false);
      return withSession(loadCfg(), flags, 'snf-upgrade status', async (session) => {
        known(session, arg);
        const deployment = await session.deployment();
        const interrupted = await session.interrupted();
        const locks = await session.locks();
        const disagree = await session.disagreements().catch(() => []);
        if (flags.json) {
          json({
            state: session.statePath, deployment, interrupted: interrupted ?? null,
            locks: locks.map(({ where, services, host, pid, at, command, alive, why }) => ({ where, ...(services ? { services } : {}), host, pid, since: at, command, alive, why })),
            current: session.current()?.def.id ?? null,
            steps: session.steps().map(stepJson),
            disagreements: disagree,
          });
        } else {
          io.out(renderStatus(session.statePath, deployment, session.steps(), session.current()?.def.id, interrupted?.text, locks, session.finishedAt()));
          if (disagree.length) {
            io.out(['', 'the databases and the state file disagree: nothing can be written until they agree', ...disagree.map((l) => `  ! ${l}`),
              '  next: snf-upgrade recover rebuilds the state file from the databases (it shows what it would write first)'].join('\n'));
          }
        }
        // What could be read is shown; a configured database that cannot be reached still fails the command.
        const unreachable = deployment.filter((d) => d.errorCode !== undefined);
        if (unreachable.length) {
          io.err(`snf-upgrade: ${unreachable[0]!.error}${unreachable.length > 1 ? ` (and the ${unreachable.slice(1).map((d) => d.service).join(', ')} database${unreachable.length > 2 ? 's' : ''})` : ''}`);
          io.err('  next: check the "db" URL in the config file, that the server runs, and the password (~/.pgpass), then run snf-upgrade status again');
          return unreachable.some((d) => d.errorCode === EXIT.usage) ? EXIT.usage : EXIT.failed;
        }
        return EXIT.ok;
      }, true);
    }
    case 'plan': {
      const id = step(false);
      return withSession(loadCfg(), flags, 'snf-upgrade plan', async (session) => {
        const target = id ?? session.current()?.def.id;
        if (!target) { io.out('every step is done; nothing to plan'); return EXIT.ok; }
        const view = await session.plan(target);
        // Settings steps: the wizard's snippets, tokens hidden; a token not made yet stays unmade.
        const set = await session.snippets(target, { generate: false });
        const snippets = set ? snippetView(target, set, false) : undefined;
        if (flags.json) json({ ...view, ...(view.findings.data && typeof view.findings.data === 'object' ? view.findings.data : {}), ...(snippets ? { snippets } : {}) });
        else io.out(renderPlan(session.step(target), view) + (snippets ? `\n\n${renderSnippets(snippets)}` : ''));
        return EXIT.ok;
      }, true);
    }
    case 'snippets': {
      const arg = args[0];
      if (arg !== undefined && !isSettingsStep(arg)) throw noSnippets(findStep(arg) ? `step ${arg} has no settings snippets` : `there is no step "${arg}"`);
      let target = step(false);
      // Nothing in the state file unless the quotaholder token is made: that is a write to
      // astakos, done under the runner lock; the databases are checked first, as for writing commands.
      return withSession(loadCfg(), flags, `snf-upgrade snippets ${target ?? ''}`.trim(), async (session) => {
        if (flags.write) {
          io.out(['written (0600; the tokens are inside):', ...(await session.writeSnippets(target!)).map((w) => `  ${w.path} → ${writtenTarget(w)}`)].join('\n'));
          return EXIT.ok;
        }
        const v = snippetView(target!, await stepSnippets(session, target!, true), !!flags.reveal);
        if (flags.json) json(v);
        else io.out(renderSnippets(v));
        return EXIT.ok;
      }, false, (session) => {
        if (!target) {
          const current = session.current()?.def.id;
          if (!isSettingsStep(current)) throw noSnippets(current ? `the current step, ${current}, has no settings snippets` : 'every step is done: there is no current step');
          target = current;
        }
        return target;
      });
    }
    case 'run': {
      const id = step(false);
      if (id && flags.through) throw new UserError('give either STEP or --through STEP, not both', 'see snf-upgrade help', EXIT.usage);
      return withSession(loadCfg(), flags, `snf-upgrade run ${id ?? (flags.through ? `--through ${flags.through}` : '')}`.trim(), async (session) => {
        const stopOnSignal = () => {
          session.requestStop();
          io.err('stopping after the current batch (Ctrl-C again to stop now: the running statement is canceled, the open batch rolls back)');
          process.once('SIGINT', () => {
            // The step ends with the canceled statement's line; a server too hung to answer the
            // cancel, or a third Ctrl-C, quits without waiting (the open batch rolls back all the same).
            process.once('SIGINT', () => process.exit(130));
            setTimeout(() => process.exit(130), 15_000).unref();
            void session.cancelRunning();
          });
        };
        process.once('SIGINT', stopOnSignal);
        session.on(printEvent(io, !!flags.json));
        try {
          let outcomes;
          if (id) outcomes = [await session.run(id)];
          else if (flags.through) outcomes = await session.runThrough(flags.through);
          else {
            const next = session.current();
            outcomes = next ? [await session.run(next.def.id)] : [];
            if (!next) io.err('every step is done');
          }
          if (flags.json) json({ outcomes, steps: session.steps().map(stepJson) });
          else for (const o of outcomes) io.out(`${o.step}: ${o.status}\n${o.summary.map((l) => `  ${l}`).join('\n')}`);
          return outcomes.some((o) => o.status === 'stopped') ? EXIT.failed : EXIT.ok;
        } finally {
          process.removeListener('SIGINT', stopOnSignal);
        }
      }, false, (session) => {
        known(session, flags.through);
        return id ?? session.current()?.def.id;
      });
    }
    case 'confirm': {
      const id = step(true)!;
      return withSession(loadCfg(), flags, `snf-upgrade confirm ${id}`, async (session) => {
        const before = session.steps().find((v) => v.def.id === id)?.record;
        if (before?.status === 'done') {
          if (flags.json) json({ step: id, status: 'already-done', checks: [] });
          else io.out(`${id}: already-done\n  ${alreadyDone(id, before.finishedAt)}`);
          return EXIT.ok;
        }
        session.on(printEvent(io, !!flags.json));
        const checks = await session.confirm(id);
        if (flags.json) json({ step: id, status: 'done', checks });
        else io.out([`${id}: done`, ...confirmedLines(checks, session.steps().find((v) => v.def.id === id)?.def.word).map((l) => `  ${l}`)].join('\n'));
        return EXIT.ok;
      }, false, () => id);
    }
    case 'undo': {
      const id = step(true)!;
      return withSession(loadCfg(), flags, `snf-upgrade undo ${id}`, async (session) => {
        const r = await session.undo(id);
        if (flags.json) json({ step: id, ...r });
        else io.out([`${id}: undone`, ...r.summary.map((l) => `  ${l}`)].join('\n'));
        return EXIT.ok;
      }, false, () => id);
    }
    case 'backup': {
      const arg = step(false);
      return withSession(loadCfg(), flags, 'snf-upgrade backup', async (session) => {
        session.on(printEvent(io, !!flags.json));
        const lines = await session.backup(`manual-${new Date().toISOString().slice(0, 10)}`);
        if (flags.json) json({ backups: lines });
        else io.out(lines.join('\n'));
        return EXIT.ok;
      }, false, (session) => { known(session, arg); return undefined; });
    }
    case 'report': {
      const arg = step(false);
      const format = flags.format ?? (flags.json ? 'json' : 'md');
      if (format !== 'md' && format !== 'json') throw new UserError(`unknown report format "${format}"`, 'use --format md or --format json', EXIT.usage);
      return withSession(loadCfg(), flags, 'snf-upgrade report', async (session) => {
        known(session, arg);
        if (format === 'json') for (const l of reportJsonLines(await session.reportData())) io.out(l);
        else io.out(await session.report());
        return EXIT.ok;
      }, true);
    }
    case 'restore': {
      const config = loadCfg();
      const label = flags.backup ?? '1';
      const plan = await withSession(config, flags, 'snf-upgrade restore', async (session) => {
        const live = (await session.locks()).filter((l) => l.alive);
        if (live.length) throw new UserError(`the upgrade is in use by ${live[0]!.command} (process ${live[0]!.pid} on ${live[0]!.host}); nothing was restored`, 'let it finish or end it, then restore');
        return session.restorePlan(args, label);
      }, true);
      if (flags.print) {
        io.out(['# run these on the database host, with every service stopped:', ...plan.targets.flatMap((t) => restoreCommands(t))].join('\n'));
        return EXIT.ok;
      }
      io.out([`restoring backup "${label}":`, ...restoreLines(plan)].join('\n'));
      const ok = await asker(flags).confirm(restoreQuestion(plan));
      if (!ok) throw new UserError('the restore was not confirmed; nothing was restored', 'run it again and confirm when ready');
      await restoreBackups(config, plan, asker(flags), io.out);
      return withSession(config, flags, 'snf-upgrade restore', async (session) => {
        io.out(renderStatus(session.statePath, await session.deployment(), session.steps(), session.current()?.def.id, undefined, []));
        return EXIT.ok;
      }, true);
    }
    case 'verify': {
      if (args.length) throw new UserError(`unexpected argument "${args[0]}"`, 'see snf-upgrade help', EXIT.usage);
      return withSession(loadCfg(), flags, 'snf-upgrade verify', async (session) => {
        const verdict = await session.verify();
        if (flags.json) json({ ...verdict, lines: verdict.findings.map(findingLine) });
        else io.out(verdictLines(verdict).join('\n'));
        return verdict.findings.length ? EXIT.checkFailed : EXIT.ok;
      }, true);
    }
    case 'recover': {
      step(false);
      if (args.length) throw new UserError(`unexpected argument "${args[0]}"`, 'see snf-upgrade help', EXIT.usage);
      const config = loadCfg();
      const exists = existsSync(config.state);
      const plan = await withSession(config, flags, 'snf-upgrade recover', async (session) => {
        const live = (await session.locks()).filter((l) => l.alive);
        if (live.length) throw new UserError(`the upgrade is in use by ${live[0]!.command} (process ${live[0]!.pid} on ${live[0]!.host}); nothing was written`, 'let it finish or end it, then run snf-upgrade recover again');
        const p = await session.recoveryPlan();
        io.out(recoveryLines(p, config.state, exists).join('\n'));
        return p;
      }, true);
      if (!flags.yes) throw new NeedsAnswer('nothing was written yet', 'to write this state file run: snf-upgrade recover --yes');
      const replaced = writeRecovery(config, plan);
      return withSession(config, flags, 'snf-upgrade recover', async (session) => {
        const left = await session.disagreements();
        if (left.length) throw new CheckFailed(`the rebuilt state file still disagrees with the databases: ${left[0]}`, 'snf-upgrade status shows both; report this');
        io.out(`state file ${config.state} rebuilt from the databases${replaced ? `; the file it replaced is ${replaced}` : ''}`);
        io.out(renderStatus(session.statePath, await session.deployment(), session.steps(), session.current()?.def.id, (await session.interrupted())?.text, []));
        return EXIT.ok;
      }, true);
    }
    case 'finish': {
      step(false);
      if (args.length) throw new UserError(`unexpected argument "${args[0]}"`, 'see snf-upgrade help', EXIT.usage);
      return withSession(loadCfg(), flags, 'snf-upgrade finish', async (session) => {
        const plan = await session.finishPlan();
        if (plan.refusal) throw new CheckFailed(`finish refused: ${plan.refusal}`, 'finish the upgrade first (snf-upgrade status shows where it stands), then run snf-upgrade finish --yes');
        if (!flags.yes) {
          io.out([`would write the report to ${plan.reportFile}, then drop:`,
            ...plan.databases.map((d) => `  ${d.services.join(' and ')}: ${d.tables.join(', ') || 'no tool table left'}`)].join('\n'));
          throw new NeedsAnswer('nothing was dropped yet', 'to drop them run: snf-upgrade finish --yes');
        }
        io.out((await session.finish()).join('\n'));
        return EXIT.ok;
      });
    }
    default:
      throw new UserError(`unknown command "${command}"`, 'see snf-upgrade help', EXIT.usage);
  }
}

export function stepJson(s: StepView) {
  return {
    id: s.def.id, title: s.def.title, kind: s.def.kind, phase: s.def.phase, phaseTitle: phaseTitle(s.def.phase),
    status: s.record.status, attempts: s.record.attempts, finishedAt: s.record.finishedAt,
    lastError: s.record.lastError, implemented: s.implemented,
  };
}

/** Progress and logs go to stderr so stdout stays one JSON document with --json. */
function printEvent(io: Io, quiet: boolean): (e: EngineEvent) => void {
  let lastProgress = 0;
  return (e) => {
    switch (e.type) {
      case 'progress': {
        if (Date.now() - lastProgress < 1000 && e.progress.done !== e.progress.total) return;
        lastProgress = Date.now();
        const p = e.progress;
        const total = p.total !== undefined ? ` / ${p.total}` : '';
        const unit = p.unit ?? 'rows';
        const speed = e.rate ? ` ${rate(e.rate).replace('/s', ` ${unit}/s`)}` : '';
        const eta = e.etaSeconds !== undefined ? ` ETA ${formatEta(e.etaSeconds)}` : '';
        io.err(`  ${e.step} ${p.table ?? ''}: ${p.done}${total} ${unit}${speed}${eta}`);
        return;
      }
      case 'log': if (!quiet || e.level !== 'info') io.err(`  ${e.level}: ${e.message}`); return;
      case 'step-start': io.err(`▶ ${e.step} (attempt ${e.attempt})`); return;
      // The cause follows once, as the command's own last line with its next step.
      case 'step-failed': io.err(`✗ ${e.step} failed`); return;
      case 'step-stopped': io.err(`■ ${e.step} stopped between batches; run again to continue`); return;
      case 'phase-done': io.err(`phase ${e.phase} done${phaseBacksUp(e.phase) ? '' : '; a fresh backup is advised: snf-upgrade backup'}`); return;
      default: return;
    }
  };
}
