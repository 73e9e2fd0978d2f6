// A headless walk through the runbook on a sandbox: `run` with every suggestion accepted and
// the answers file, `confirm` after performing a manual step's effect in the sandbox.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Service } from '../../src/db/connection.js';
import { simulateStep } from '../../src/sandbox/index.js';
import type { SimulatedStep } from '../../src/sandbox/simulate.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { cliIn as cli, sandboxTarget, tempDir, testDbName } from '../support.js';

const SIMULATED = ['3.2', '3.3', '3.4', '3.5', '3.6', '4', '11'];

/** The answers a tiny sandbox's walk needs beyond --accept-suggestions. */
export const WALK_ANSWERS = {
  '2.2': { confirm: true }, 5: { 'rename-pithos': true, 'lower-defaults': true },
  '6.1': { confirm: 'delete' }, '6.2': { confirm: true }, '6.3': { confirm: 'delete' },
};

export interface Walk {
  answers: string;
  run(step: string, ...more: string[]): Promise<{ code: number; out: string; err: string }>;
  confirm(step: string): Promise<void>;
}

/** The walk of the sandbox at URLS whose config is CFG (it writes the answers file beside it). */
export function walker(cfg: string, urls: Record<Service, string>, uuidSalt: string): Walk {
  const config = JSON.parse(readFileSync(cfg, 'utf8')) as Record<Service, { settings: string }>;
  const settings = { astakos: config.astakos.settings, cyclades: config.cyclades.settings, pithos: config.pithos.settings };
  const answers = join(dirname(cfg), 'answers.json');
  writeFileSync(answers, JSON.stringify(WALK_ANSWERS));
  return {
    answers,
    async run(step, ...more) {
      const r = await cli(cfg, 'run', step, '--accept-suggestions', '--answers', answers, ...more);
      assert.equal(r.code, 0, `${step}: ${r.err}${r.out}`);
      assert.doesNotMatch(r.out, /✗/, `${step}: ${r.out}`);
      return r;
    },
    async confirm(step) {
      if (SIMULATED.includes(step)) await simulateStep(step as SimulatedStep, urls, { settings, uuidSalt });
      const r = await cli(cfg, 'confirm', step);
      assert.equal(r.code, 0, `${step}: ${r.err}${r.out}`);
    },
  };
}

/** A tiny sandbox named for TAG (server or embedded, as the run is), with its walk. */
export async function sandboxWalk(tag: string, seed: number): Promise<{ cfg: string; urls: Record<Service, string>; walk: Walk }> {
  const dir = tempDir(`${tag}-`);
  const cfg = join(dir, 'snf-upgrade.json');
  const sbx = await createSandbox({ name: testDbName(tag), ...sandboxTarget(dir), scale: 'tiny', seed, configPath: cfg });
  return { cfg, urls: sbx.urls, walk: walker(cfg, sbx.urls, tag) };
}
