// `snf-upgrade sandbox create|drop|simulate|report …`
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { closeAllEmbedded, SERVICES } from '../db/connection.js';
import { scrubSecrets } from '../secrets.js';
import { EXIT, UserError } from '../errors.js';
import { createSandbox, dropSandbox, readSandboxConfig, SANDBOX_LAYOUTS, sandboxPaths, type SandboxLayout } from './create.js';
import { parseScale } from './params.js';
import { hardCaseReport, sandboxInvariants } from './report.js';
import { loadConfig } from '../config.js';
import { SIMULATED_STEPS, simulateStep, type SimulatedStep } from './simulate.js';

export interface SandboxIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const SANDBOX_USAGE = `usage:
  snf-upgrade sandbox create --name NAME [--pg URL | --embedded DIR] [--scale tiny|small|medium|large|USERS]
                             [--seed N] [--layout separate|shared] [--config FILE]
  snf-upgrade sandbox drop --name NAME [--pg URL | --embedded DIR] [--config FILE]
  snf-upgrade sandbox simulate STEP --name NAME [--config FILE]     STEP: ${SIMULATED_STEPS.join(', ')}
  snf-upgrade sandbox report --name NAME [--config FILE]

  --pg URL        admin URL of a PostgreSQL server (databases NAME_astakos, NAME_cyclades, NAME_pithos)
  --layout shared astakos and cyclades in one database NAME_apps, as Synnefo's guide installs them
  --embedded DIR  embedded PostgreSQL under DIR instead (no server needed; the default
                  for create is the directory NAME-db next to the config file)
  --config FILE   the sandbox's config file (default ./snf-upgrade-NAME.json)`;

/** Rows per table, aligned, services in order. */
export function formatCounts(counts: Record<string, number>): string {
  const keys = Object.keys(counts).sort((a, b) => {
    const sa = SERVICES.indexOf(a.split('.')[0] as never), sb = SERVICES.indexOf(b.split('.')[0] as never);
    return sa - sb || a.localeCompare(b);
  });
  const w = Math.max(10, ...keys.map((k) => k.length));
  const fmt = (n: number) => n.toLocaleString('en-US');
  const nw = Math.max(...keys.map((k) => fmt(counts[k]).length), 1);
  return keys.map((k) => `  ${k.padEnd(w)}  ${fmt(counts[k]).padStart(nw)}`).join('\n');
}

function usage(message: string): UserError {
  return new UserError(message, 'see snf-upgrade sandbox --help', EXIT.usage);
}

export async function sandboxCommand(argv: string[], io: SandboxIo): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          name: { type: 'string' },
          pg: { type: 'string' },
          embedded: { type: 'string' },
          scale: { type: 'string' },
          seed: { type: 'string' },
          layout: { type: 'string' },
          config: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      throw usage((err as Error).message.split('\n')[0]!);
    }
    const v = parsed.values;
    const [sub, ...rest] = parsed.positionals;
    if (v.help || sub === undefined || sub === 'help') {
      (v.help || sub === 'help' ? io.out : io.err)(SANDBOX_USAGE);
      return v.help || sub === 'help' ? EXIT.ok : EXIT.usage;
    }
    const allow = (flags: string[], positionals: number) => {
      for (const k of Object.keys(v)) if (k !== 'help' && !flags.includes(k)) throw usage(`--${k} does not apply to "sandbox ${sub}"`);
      if (rest.length > positionals) throw usage(`unexpected argument "${rest[positionals]}"`);
    };
    if (!v.name) throw usage(`"sandbox ${sub}" needs --name NAME`);
    const name = v.name;

    if (sub === 'create') {
      allow(['name', 'pg', 'embedded', 'scale', 'seed', 'layout', 'config'], 0);
      const layout = (v.layout ?? 'separate') as SandboxLayout;
      if (!SANDBOX_LAYOUTS.includes(layout)) throw usage(`--layout ${v.layout} is not a layout (choose ${SANDBOX_LAYOUTS.join(' or ')})`);
      const scale = parseScale(v.scale ?? 'small');
      let seed = 1;
      if (v.seed !== undefined) {
        if (!/^[0-9]+$/.test(v.seed)) throw usage(`--seed ${v.seed} is not a whole number`);
        seed = Number(v.seed);
      }
      const r = await createSandbox({ name, layout, pg: v.pg, embedded: v.embedded, scale, seed, configPath: v.config, log: (l) => io.err(l) });
      io.out(`rows per table:\n${formatCounts(r.counts)}`);
      const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
      io.out(`${total.toLocaleString('en-US')} rows in ${(r.ms / 1000).toFixed(1)} s; config: ${r.configPath}`);
      return EXIT.ok;
    }
    if (sub === 'drop') {
      allow(['name', 'pg', 'embedded', 'config'], 0);
      const r = await dropSandbox({ name, pg: v.pg, embedded: v.embedded, configPath: v.config, log: (l) => io.err(l) });
      io.out(r.removed.length ? `sandbox ${name} dropped` : `sandbox ${name}: nothing to drop`);
      return EXIT.ok;
    }
    if (sub === 'simulate' || sub === 'report') {
      allow(['name', 'config'], sub === 'simulate' ? 1 : 0);
      const step = rest[0];
      if (sub === 'simulate') {
        if (!step) throw usage(`"sandbox simulate" needs a STEP (${SIMULATED_STEPS.join(', ')})`);
        if (!SIMULATED_STEPS.includes(step as SimulatedStep)) throw usage(`step ${step} cannot be simulated (choose ${SIMULATED_STEPS.join(', ')})`);
      }
      const configPath = resolve(v.config ?? sandboxPaths(name).configPath);
      const urls = readSandboxConfig(configPath);
      if (!urls) {
        throw new UserError(`no sandbox config at ${configPath}`, `create the sandbox first, or pass --config FILE`);
      }
      if (sub === 'report') {
        const cases = await hardCaseReport(urls);
        io.out(formatCounts(cases));
        const bad = await sandboxInvariants(urls);
        io.out(bad.length ? `invariants violated:\n  ${bad.join('\n  ')}` : 'invariants: all hold');
        return bad.length ? EXIT.checkFailed : EXIT.ok;
      }
      const t = Date.now();
      const { astakos, cyclades, pithos } = loadConfig(configPath);
      const settings = { astakos: astakos.settings, cyclades: cyclades.settings, pithos: pithos.settings };
      await simulateStep(step as SimulatedStep, urls, { log: (l) => io.out(l), settings });
      io.out(`step ${step} simulated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      return EXIT.ok;
    }
    throw usage(`unknown sandbox command "${sub}" (create, drop, simulate, report)`);
  } catch (err) {
    if (err instanceof UserError) {
      if (err.exitCode === EXIT.usage) {
        io.err(`snf-upgrade sandbox: ${scrubSecrets(err.message)} (${err.next})`);
      } else {
        io.err(`snf-upgrade sandbox: ${scrubSecrets(err.message)}`);
        io.err(`  next: ${err.next}`);
      }
      return err.exitCode;
    }
    io.err(`snf-upgrade sandbox: unexpected error: ${scrubSecrets((err as Error)?.message ?? String(err)).split('\n')[0]}`);
    io.err('  next: run the command again; "sandbox create" starts from scratch');
    return EXIT.failed;
  } finally {
    await closeAllEmbedded();
  }
}
