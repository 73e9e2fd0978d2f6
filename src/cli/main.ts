// Command line: picks the interactive wizard or a headless command; maps errors to exit codes.
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.js';
import { checkSymbol, type Asker } from '../core/step.js';
import { closeAllEmbedded, SERVICES } from '../db/connection.js';
import { scrubSecrets } from '../secrets.js';
import { buildReport, reportMarkdown } from '../engine/report.js';
import { deploymentFingerprint, Engine, type EngineEvent, type StepView } from '../engine/index.js';
import { EXIT, UserError } from '../errors.js';
import type { SnippetSet } from '../core/settings/snippets.js';
import { deploymentSnippets, isSettingsStep, SETTINGS_STEPS, type SettingsStep } from '../runbook/settings.js';
import { findStep, phaseTitle, STEPS } from '../runbook/steps.js';
import { StateFile } from '../state/index.js';
import { HeadlessAsker, loadAnswers } from './asker.js';
import { checkDatabases, requireEmbeddedDatabases } from './preflight.js';
import { renderStatus, renderPlan, formatEta, renderSnippets, snippetView } from './render.js';

export const VERSION = '0.1.0';

const USAGE = `usage: snf-upgrade [COMMAND] [options]

  (no command)            the interactive wizard (needs a terminal)
  demo [--dir DIR] [--scale tiny|small|medium|large|N]
                          the wizard on an embedded sandbox deployment (no server needed;
                          built once under state/demo, or DIR, at scale small unless given)
  status                  where the upgrade stands
  plan [STEP]             what a step found and would change (writes nothing); on 3.3–3.6
                          the settings to paste, tokens hidden
  snippets [STEP] [--reveal]   the settings to paste on each host for 3.3, 3.4, 3.5 or 3.6
                          (default: the current step); makes the quotaholder token once.
                          Tokens show as <hidden sha256:…>; --reveal prints them: the only
                          way the headless commands show a secret
  run [STEP | --through STEP]   run the next step, one step, or every step up to one
  confirm STEP            mark a manual step done once its checks pass
  undo STEP               undo a reversible step
  backup                  a fresh backup of every database
  report                  everything found, decided and changed
  sandbox create|drop|simulate ...   test deployments (see README)

options: --config FILE  --state FILE  --json  --format md|json  --answers FILE
         --accept-suggestions  --yes  --through STEP  --take-over  --reveal  --help  --version`;

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
  reveal: { type: 'boolean' },
  dir: { type: 'string' },
  scale: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
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
      throw new UserError((err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''), 'see snf-upgrade --help', EXIT.usage);
    }
    const flags = parsed.values as Flags;
    const [command, ...rest] = parsed.positionals;
    if (flags.help) { io.out(USAGE); return EXIT.ok; }
    if (flags.version) { io.out(VERSION); return EXIT.ok; }
    return await dispatch(command, rest, flags, io);
  } catch (err) {
    return fail(err, io);
  } finally {
    await closeAllEmbedded();
  }
}

function fail(err: unknown, io: Io): number {
  if (err instanceof UserError) {
    io.err(`snf-upgrade: ${scrubSecrets(err.message)}`);
    for (const line of err.details) io.err(`  ${scrubSecrets(line)}`);
    io.err(`  next: ${err.next}`);
    return err.exitCode;
  }
  const message = scrubSecrets((err as Error)?.message ?? String(err)).split('\n')[0];
  io.err(`snf-upgrade: unexpected error: ${message}`);
  io.err('  next: the batch that was running rolled back; run `snf-upgrade status` to see where the upgrade stands, and `snf-upgrade report` if it repeats');
  return EXIT.failed;
}

function openState(config: Config, readonly: boolean): StateFile {
  const urls = SERVICES.map((s) => config[s].db).filter((u): u is string => !!u);
  return StateFile.open(config.state, {
    readonly, create: !readonly, scrub: (t) => scrubSecrets(t, urls), toolVersion: VERSION, deployment: deploymentFingerprint(config),
  });
}

function asker(flags: Flags): Asker {
  return new HeadlessAsker(flags.answers ? loadAnswers(flags.answers) : {}, !!flags.yes, !!flags['accept-suggestions']);
}

/**
 * For commands that write: the step whose release expectations the databases must meet
 * (undefined: any release), checked before any lock is taken or anything is written.
 */
export type Preflight = (engine: Engine) => string | undefined;

export async function withEngine<T>(config: Config, flags: Flags, command: string, fn: (e: Engine) => Promise<T>, readonly = false, preflight?: Preflight): Promise<T> {
  requireEmbeddedDatabases(config);
  const answers = asker(flags);
  const existed = existsSync(config.state);
  const folderExisted = existsSync(dirname(config.state));
  const state = openState(config, readonly && existed);
  let engine: Engine | undefined;
  let outcome: 'completed' | 'paused' | 'failed' = 'completed';
  let blank = false;
  try {
    engine = new Engine(config, state, answers, command);
    if (preflight) await checkDatabases(engine, preflight(engine));
    if (flags['take-over']) await engine.lock({ takeOver: true });
    return await fn(engine);
  } catch (err) {
    outcome = err instanceof UserError && err.exitCode === EXIT.needsAnswer ? 'paused' : 'failed';
    throw err;
  } finally {
    try {
      await engine?.close(outcome);
      blank = !existed && outcome !== 'completed' && state.isBlank();
    } finally {
      state.close();
      // A state file this command created and then failed before recording anything is removed again.
      if (blank) removeStateFile(config.state, !folderExisted);
    }
  }
}

function removeStateFile(path: string, folderToo: boolean): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  if (folderToo) try { rmdirSync(dirname(path)); } catch { /* not empty: keep it */ }
}

const noSnippets = (message: string): UserError =>
  new UserError(message, `give one of ${SETTINGS_STEPS.join(', ')} (e.g. snf-upgrade snippets ${SETTINGS_STEPS[0]})`, EXIT.usage);

/** STEP's snippets from the wizard's source; GENERATE: false reads the quotaholder token only if it exists. */
async function stepSnippets(engine: Engine, step: SettingsStep, generate: boolean): Promise<SnippetSet> {
  const c = engine.config;
  const astakos = c.astakos.db ? (await engine.db('astakos')).pool : undefined;
  return deploymentSnippets(step, astakos, { astakos: c.astakos.settings, cyclades: c.cyclades.settings, pithos: c.pithos.settings }, { generate });
}

/** A step id from the command line, or a usage error listing the real ones. */
function knownStep(id: string | undefined): string | undefined {
  if (id !== undefined && !findStep(id)) {
    throw new UserError(`there is no step "${id}"`, `steps are ${STEPS.map((s) => s.id).join(', ')}`, EXIT.usage);
  }
  return id;
}

async function dispatch(command: string | undefined, args: string[], flags: Flags, io: Io): Promise<number> {
  if (command !== 'demo') {
    for (const k of ['dir', 'scale'] as const) {
      if (flags[k] !== undefined) throw new UserError(`--${k} applies only to "snf-upgrade demo"`, 'see snf-upgrade --help', EXIT.usage);
    }
  }
  if (command !== 'snippets' && flags.reveal) throw new UserError('--reveal applies only to "snf-upgrade snippets"', 'see snf-upgrade --help', EXIT.usage);
  const loadCfg = () => {
    const config = loadConfig(flags.config);
    if (flags.state) config.state = flags.state;
    return config;
  };
  const json = (v: unknown) => io.out(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2));
  const step = (required: boolean) => {
    if (args.length > 1) throw new UserError(`too many arguments: ${args.join(' ')}`, 'see snf-upgrade --help', EXIT.usage);
    if (required && !args[0]) throw new UserError(`${command} needs a STEP (e.g. ${command} 3.2)`, 'snf-upgrade status lists the steps', EXIT.usage);
    return knownStep(args[0]);
  };

  switch (command) {
    case undefined:
    case 'wizard': {
      if (!io.isTTY) {
        throw new UserError('the wizard needs a terminal, and this is not one',
          'use the headless commands: snf-upgrade status | plan | run | confirm | report (see --help)', EXIT.needsAnswer);
      }
      const { startWizard } = await import('../ui/start.js');
      return startWizard(loadCfg(), { takeOver: !!flags['take-over'] });
    }
    case 'demo': {
      if (args.length) throw new UserError(`unexpected argument "${args[0]}"`, 'see snf-upgrade --help', EXIT.usage);
      const { startDemo } = await import('./demo.js');
      return startDemo(io, { takeOver: !!flags['take-over'], dir: flags.dir, scale: flags.scale });
    }
    case 'status':
      step(false);
      return withEngine(loadCfg(), flags, 'snf-upgrade status', async (engine) => {
        const deployment = await engine.deployment();
        const interrupted = await engine.interrupted();
        const locks = await engine.lockHolders();
        if (flags.json) {
          json({
            state: engine.state.path, deployment, interrupted: interrupted ?? null,
            locks: locks.map((l) => ({ service: l.service, holder: l.holder ?? null })),
            current: engine.current()?.def.id ?? null,
            steps: engine.steps().map(stepJson),
          });
        } else {
          io.out(renderStatus(engine.state.path, deployment, engine.steps(), engine.current()?.def.id, interrupted?.text, locks));
        }
        return EXIT.ok;
      }, true);
    case 'plan': {
      const id = step(false);
      return withEngine(loadCfg(), flags, 'snf-upgrade plan', async (engine) => {
        const target = id ?? engine.current()?.def.id;
        if (!target) { io.out('every step is done; nothing to plan'); return EXIT.ok; }
        const view = await engine.plan(target);
        // Settings steps: the wizard's snippets, tokens hidden; a token not made yet stays unmade.
        const snippets = isSettingsStep(target) ? snippetView(target, await stepSnippets(engine, target, false), false) : undefined;
        if (flags.json) json({ ...view, ...(view.findings.data && typeof view.findings.data === 'object' ? view.findings.data : {}), ...(snippets ? { snippets } : {}) });
        else io.out(renderPlan(engine.def(target), view) + (snippets ? `\n\n${renderSnippets(snippets)}` : ''));
        return EXIT.ok;
      }, true);
    }
    case 'snippets': {
      const arg = args[0];
      if (arg !== undefined && !isSettingsStep(arg)) throw noSnippets(findStep(arg) ? `step ${arg} has no settings snippets` : `there is no step "${arg}"`);
      const id = step(false) as SettingsStep | undefined;
      let target: SettingsStep | undefined = id;
      // No runner lock and nothing in the state file: it may only add the token row to astakos
      // (as the wizard's screen does), so the databases are checked first, as for writing commands.
      return withEngine(loadCfg(), flags, `snf-upgrade snippets ${id ?? ''}`.trim(), async (engine) => {
        const v = snippetView(target!, await stepSnippets(engine, target!, true), !!flags.reveal);
        if (flags.json) json(v);
        else io.out(renderSnippets(v));
        return EXIT.ok;
      }, true, (engine) => {
        if (!target) {
          const current = engine.current()?.def.id;
          if (!isSettingsStep(current)) throw noSnippets(current ? `the current step, ${current}, has no settings snippets` : 'every step is done: there is no current step');
          target = current;
        }
        return target;
      });
    }
    case 'run': {
      const id = step(false);
      if (id && flags.through) throw new UserError('give either STEP or --through STEP, not both', 'see snf-upgrade --help', EXIT.usage);
      knownStep(flags.through);
      return withEngine(loadCfg(), flags, `snf-upgrade run ${id ?? (flags.through ? `--through ${flags.through}` : '')}`.trim(), async (engine) => {
        const stopOnSignal = () => {
          engine.requestStop();
          io.err('stopping after the current batch (Ctrl-C again to quit now: the open batch rolls back)');
          process.once('SIGINT', () => process.exit(130));
        };
        process.once('SIGINT', stopOnSignal);
        engine.on(printEvent(io, !!flags.json));
        try {
          let outcomes;
          if (id) outcomes = [await engine.run(id)];
          else if (flags.through) outcomes = await engine.runThrough(flags.through);
          else {
            const next = engine.current();
            outcomes = next ? [await engine.run(next.def.id)] : [];
            if (!next) io.err('every step is done');
          }
          if (flags.json) json({ outcomes, steps: engine.steps().map(stepJson) });
          else for (const o of outcomes) io.out(`${o.step}: ${o.status}\n${o.summary.map((l) => `  ${l}`).join('\n')}`);
          return outcomes.some((o) => o.status === 'stopped') ? EXIT.failed : EXIT.ok;
        } finally {
          process.removeListener('SIGINT', stopOnSignal);
        }
      }, false, (engine) => id ?? engine.current()?.def.id);
    }
    case 'confirm': {
      const id = step(true)!;
      if (findStep(id)!.kind !== 'manual') throw new UserError(`step ${id} is not a manual step`, `run it with: snf-upgrade run ${id}`, EXIT.usage);
      return withEngine(loadCfg(), flags, `snf-upgrade confirm ${id}`, async (engine) => {
        const checks = await engine.confirm(id);
        if (flags.json) json({ step: id, status: 'done', checks });
        else io.out([`${id}: done`, ...checks.map((c) => `  ${checkSymbol(c)} ${c.label}${c.detail ? `: ${c.detail}` : ''}`)].join('\n'));
        return EXIT.ok;
      }, false, () => id);
    }
    case 'undo': {
      const id = step(true)!;
      return withEngine(loadCfg(), flags, `snf-upgrade undo ${id}`, async (engine) => {
        const r = await engine.undo(id);
        if (flags.json) json({ step: id, ...r });
        else io.out([`${id}: undone`, ...r.summary.map((l) => `  ${l}`)].join('\n'));
        return EXIT.ok;
      }, false, () => id);
    }
    case 'backup':
      step(false);
      return withEngine(loadCfg(), flags, 'snf-upgrade backup', async (engine) => {
        engine.on(printEvent(io, !!flags.json));
        const lines = await engine.backup(`manual-${new Date().toISOString().slice(0, 10)}`);
        if (flags.json) json({ backups: lines });
        else io.out(lines.join('\n'));
        return EXIT.ok;
      }, false, () => undefined);
    case 'report': {
      step(false);
      const format = flags.format ?? (flags.json ? 'json' : 'md');
      if (format !== 'md' && format !== 'json') throw new UserError(`unknown report format "${format}"`, 'use --format md or --format json', EXIT.usage);
      return withEngine(loadCfg(), flags, 'snf-upgrade report', async (engine) => {
        const report = buildReport(engine.state, await engine.deployment());
        if (format === 'json') json(report);
        else io.out(reportMarkdown(report));
        return EXIT.ok;
      }, true);
    }
    default:
      throw new UserError(`unknown command "${command}"`, 'see snf-upgrade --help', EXIT.usage);
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
        const rate = e.rate ? ` ${Math.round(e.rate)}/s` : '';
        const eta = e.etaSeconds !== undefined ? ` ETA ${formatEta(e.etaSeconds)}` : '';
        io.err(`  ${e.step} ${p.table ?? ''} ${p.done}${total}${rate}${eta}`);
        return;
      }
      case 'log': if (!quiet || e.level !== 'info') io.err(`  ${e.level}: ${e.message}`); return;
      case 'step-start': io.err(`▶ ${e.step} (attempt ${e.attempt})`); return;
      case 'step-failed': io.err(`✗ ${e.step}: ${e.error}`); return;
      case 'step-stopped': io.err(`■ ${e.step} stopped between batches; run again to continue`); return;
      case 'phase-done': io.err(`phase ${e.phase} done; a fresh backup is advised: snf-upgrade backup`); return;
      default: return;
    }
  };
}
