// `snf-upgrade demo`: an embedded sandbox deployment under state/demo, opened in the wizard.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { HeadlessAsker } from './asker.js';
import { Engine } from '../engine/index.js';
import { StateFile } from '../state/index.js';
import { renderStatus } from './render.js';
import type { Io } from './main.js';

export const DEMO_DIR = fileURLToPath(new URL('../../state/demo', import.meta.url));
export const DEMO_CONFIG = `${DEMO_DIR}/snf-upgrade.json`;

export async function ensureDemo(io: Io): Promise<string> {
  if (existsSync(DEMO_CONFIG)) return DEMO_CONFIG;
  const { createSandbox } = await import('../sandbox/index.js');
  io.err(`building the demo deployment under ${DEMO_DIR} (once; it is reused next time)…`);
  const r = await createSandbox({ name: 'demo', embedded: DEMO_DIR, scale: 'small', seed: 1, configPath: DEMO_CONFIG, log: (l) => io.err(`  ${l}`) });
  io.err(`built in ${(r.ms / 1000).toFixed(1)} s`);
  return r.configPath;
}

export async function startDemo(io: Io, opts: { takeOver?: boolean }): Promise<number> {
  const config = loadConfig(await ensureDemo(io));
  if (io.isTTY) {
    const { startWizard } = await import('../ui/start.js');
    return startWizard(config, opts);
  }
  const state = StateFile.open(config.state);
  const engine = new Engine(config, state, new HeadlessAsker(), 'snf-upgrade demo');
  try {
    io.out(renderStatus(state.path, await engine.deployment(), engine.steps(), engine.current()?.def.id, (await engine.interrupted())?.text, []));
    io.out(`\n(no terminal: this is the status view; drive the demo with --config ${config.file} and the headless commands)`);
  } finally {
    await engine.close();
    state.close();
  }
  return 0;
}
