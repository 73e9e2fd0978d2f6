// `snf-upgrade demo`: an embedded sandbox deployment (state/demo unless --dir), opened in the wizard.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { EXIT, UserError } from '../errors.js';
import { parseScale, type Scale } from '../sandbox/params.js';
import type { SandboxLayout } from '../sandbox/create.js';
import { HeadlessAsker } from './asker.js';
import { openSession } from '../engine/open.js';
import { renderStatus } from './render.js';
import type { Io } from './main.js';

export const DEMO_DIR = fileURLToPath(new URL('../../state/demo', import.meta.url));
const DEMO_SCALE = 'small';
/** What the demo under a folder was built with, so a later --scale can be checked against it. */
const BUILT = 'demo-built.json';

export interface DemoOptions {
  takeOver?: boolean;
  /** Folder of the demo deployment (default state/demo). */
  dir?: string;
  /** Size of the deployment when it is built (default small). */
  scale?: string;
  /** separate (default) or shared: astakos and cyclades in one database. */
  layout?: string;
}

export async function ensureDemo(io: Io, opts: DemoOptions = {}): Promise<string> {
  const dir = resolve(opts.dir ?? DEMO_DIR);
  const configPath = join(dir, 'snf-upgrade.json');
  const scale: Scale = parseScale(opts.scale ?? DEMO_SCALE);
  const layout = (opts.layout ?? 'separate') as SandboxLayout;
  const { SANDBOX_LAYOUTS } = await import('../sandbox/create.js');
  if (!SANDBOX_LAYOUTS.includes(layout)) throw new UserError(`--layout ${opts.layout} is not a layout`, `choose ${SANDBOX_LAYOUTS.join(' or ')}`, EXIT.usage);
  if (existsSync(configPath)) {
    const built = builtWith(dir);
    if (opts.scale !== undefined && String(built.scale) !== String(scale)) {
      throw new UserError(`the demo under ${dir} was built at scale ${built.scale}, not ${scale}`,
        `leave out --scale to open it, or give another --dir to build a new one`, EXIT.usage);
    }
    if (opts.layout !== undefined && built.layout !== layout) {
      throw new UserError(`the demo under ${dir} was built with the ${built.layout} layout, not ${layout}`,
        `leave out --layout to open it, or give another --dir to build a new one`, EXIT.usage);
    }
    return configPath;
  }
  const { createSandbox } = await import('../sandbox/index.js');
  io.err(`building the demo deployment (scale ${scale}${layout === 'shared' ? ', astakos and cyclades in one database' : ''}) under ${dir} (once; it is reused next time)…`);
  const r = await createSandbox({ name: 'demo', embedded: dir, scale, seed: 1, layout, configPath, log: (l) => io.err(`  ${l}`) });
  writeFileSync(join(dir, BUILT), `${JSON.stringify({ scale, seed: 1, layout })}\n`);
  io.err(`built in ${(r.ms / 1000).toFixed(1)} s`);
  return r.configPath;
}

function builtWith(dir: string): { scale: Scale; layout: SandboxLayout } {
  try {
    const b = JSON.parse(readFileSync(join(dir, BUILT), 'utf8')) as { scale: Scale; layout?: SandboxLayout };
    return { scale: b.scale, layout: b.layout ?? 'separate' };
  } catch {
    return { scale: DEMO_SCALE, layout: 'separate' }; // built before these were recorded: the defaults
  }
}

export async function startDemo(io: Io, opts: DemoOptions): Promise<number> {
  const config = loadConfig(await ensureDemo(io, opts));
  if (io.isTTY) {
    const { startWizard } = await import('../ui/start.js');
    return startWizard(config, { takeOver: opts.takeOver });
  }
  const { session } = await openSession(config, { asker: new HeadlessAsker(), command: 'snf-upgrade demo' });
  try {
    io.out(renderStatus(session.statePath, await session.deployment(), session.steps(), session.current()?.def.id, (await session.interrupted())?.text, []));
    io.out(`\n(no terminal: this is the status view; drive the demo with --config ${config.file} and the headless commands)`);
  } finally {
    await session.close();
  }
  return 0;
}
