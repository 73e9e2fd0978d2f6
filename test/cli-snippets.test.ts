// The settings snippets of steps 3.3–3.6 in the headless commands: `plan` shows them with the
// tokens hidden and writes nothing; `snippets STEP` makes the quotaholder token once (the same
// one the wizard shows) and prints it only with --reveal.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseSettings } from '../src/core/settings/parse.js';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { closeAllEmbedded, SERVICES, type Service } from '../src/db/connection.js';
import { Engine } from '../src/engine/index.js';
import { UserError } from '../src/errors.js';
import { deploymentSnippets } from '../src/runbook/settings.js';
import { fingerprint } from '../src/secrets.js';
import { createSandbox } from '../src/sandbox/index.js';
import { simulateStep } from '../src/sandbox/simulate.js';
import { StateFile } from '../src/state/index.js';
import { HeadlessAsker } from '../src/cli/asker.js';
import { engineBackend } from '../src/engine/session.js';
import { cleanupAll, cliIn, sandboxTarget, tempDir, testDbName, withDb } from './support.js';

let dir: string;
let cfg: string;
let statePath: string;
let urls: Record<Service, string>;
/** Everything printed by a command without --reveal: the token must appear in none of it. */
const unrevealed: string[] = [];

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await cliIn(cfg, ...args);
  if (!args.includes('--reveal')) unrevealed.push(r.out, r.err);
  return r;
}

/** astakos' snf_upgrade_secrets (step 2.2 keeps deleted users' credentials there too): its row count and the token rows. */
async function secretsTable(): Promise<{ rows: number; tokens: string[] } | undefined> {
  const got = await withDb('astakos', urls.astakos, async (db) => {
    const t = await db.pool.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'snf_upgrade_secrets'`);
    if (!t.rowCount) return undefined;
    const n = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM snf_upgrade_secrets');
    const r = await db.pool.query<{ value: string }>(`SELECT value FROM snf_upgrade_secrets WHERE step = 'snippets'`);
    return { rows: Number(n.rows[0]!.n), tokens: r.rows.map((x) => x.value) };
  });
  await closeAllEmbedded();
  return got;
}
const tokenRows = async (): Promise<string[] | undefined> => (await secretsTable())?.tokens;

function withState<T>(fn: (s: StateFile) => T): T {
  const s = StateFile.open(statePath);
  try { return fn(s); } finally { s.close(); }
}

/** What the state file records (runs, steps, events). */
const stateContent = (): string => withState((s) => JSON.stringify([s.listRuns(), s.listSteps(), s.recentEvents(10_000)]));

before(async () => {
  dir = tempDir('snip-');
  const sbx = await createSandbox({
    name: testDbName('snip_sbx'), scale: 'tiny', seed: 5, configPath: join(dir, 'snf-upgrade.json'),
    ...sandboxTarget(dir),
  });
  cfg = sbx.configPath;
  urls = sbx.urls;
  statePath = loadConfig(cfg).state;
  // Steps 1–3.2 done (1 and 3.1 only marked): duplicates removed, the databases at 0.13 (the
  // migrate of 3.2), 3.3 the current step.
  const status = await cli('status');
  assert.equal(status.code, 0, status.err);
  withState((s) => s.markDone('1', ['test']));
  const answers = join(dir, 'answers.json');
  writeFileSync(answers, JSON.stringify({ 2.2: { confirm: true } }));
  for (const args of [['run', '2.1'], ['run', '2.2', '--accept-suggestions', '--answers', answers]]) {
    const r = await cli(...args);
    assert.equal(r.code, 0, r.err);
  }
  const sandboxConfig = JSON.parse(readFileSync(cfg, 'utf8'));
  const settings = Object.fromEntries(SERVICES.map((s) => [s, sandboxConfig[s].settings as string]));
  await simulateStep('3.2', urls, { settings });
  await closeAllEmbedded();
  withState((s) => { for (const id of ['3.1', '3.2']) s.markDone(id, ['test']); });
});

after(cleanupAll);

describe('settings snippets in the headless commands', () => {
  it('plan 3.3 shows the snippets, says where the token will come from, and writes nothing', async () => {
    const table = await secretsTable();
    assert.deepEqual(table?.tokens ?? [], [], 'no token before');
    const before = stateContent();
    const text = await cli('plan', '3.3');
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^Settings to add, per host and file \(Python lines\):$/m);
    assert.match(text.out, /^On the astakos host, \/etc\/synnefo\/20-snf-astakos-app-settings\.conf:$/m);
    assert.match(text.out, /^On the cyclades host, \/etc\/synnefo\/20-snf-cyclades-app-quotas\.conf:$/m);
    assert.match(text.out, /^On the pithos host, \/etc\/synnefo\/20-snf-pithos-app-settings\.conf:$/m);
    const placeholder = '<not generated yet: snf-upgrade snippets 3.3 makes it>';
    assert.equal(text.out.split('\n').filter((l) => l.endsWith(`_TOKEN = ${placeholder}`)).length, 4, text.out);
    assert.match(text.out, /^! the quotaholder token is not generated yet: snf-upgrade snippets 3\.3 generates it once \(kept in astakos\); add --reveal to print it$/m);
    const json = await cli('plan', '3.3', '--json');
    assert.equal(json.code, 0, json.err);
    const j = JSON.parse(json.out);
    assert.equal(j.step, '3.3');
    assert.deepEqual(j.snippets.files.map((f: { host: string }) => f.host), ['astakos', 'cyclades', 'pithos']);
    assert.ok(j.snippets.files[0].lines.includes(`QUOTAHOLDER_TOKEN = ${placeholder}`));
    assert.deepEqual([j.snippets.secrets, j.snippets.revealed], [[], false]);
    assert.deepEqual(await secretsTable(), table, 'plan wrote nothing to astakos (no table, no row)');
    assert.ok(stateContent() === before, 'plan recorded nothing in the state file');
  });

  it('snippets 3.3 makes the token once and hides it; --reveal prints it, the same as the wizard\'s', async () => {
    const hidden = await cli('snippets', '3.3');
    assert.equal(hidden.code, 0, hidden.err);
    const rows = await tokenRows();
    assert.equal(rows?.length, 1, 'one token row in astakos');
    const table = await secretsTable();
    const token = rows![0]!;
    const fp = fingerprint(token);
    assert.match(hidden.out, new RegExp(`^Settings to add, per host and file \\(Python lines; the token is hidden: snf-upgrade snippets 3\\.3 --reveal prints it\\):\\n  ${fp}: quotaholder token, generated once, kept in astakos$`, 'm'));
    assert.equal(hidden.out.split('\n').filter((l) => l.endsWith(`_TOKEN = <hidden ${fp}, snf-upgrade snippets 3.3 --reveal shows it>`)).length, 4, hidden.out);
    // plan now shows the same hidden lines, still writing nothing
    const plan = await cli('plan', '3.3');
    assert.equal(plan.code, 0, plan.err);
    assert.ok(plan.out.endsWith(`${hidden.out}`), `plan prints the same block:\n${plan.out}`);
    assert.deepEqual(await secretsTable(), table, 'plan wrote nothing');

    const revealed = await cli('snippets', '3.3', '--reveal');
    assert.equal(revealed.code, 0, revealed.err);
    assert.equal(revealed.out.split('\n').filter((l) => l.endsWith(`_TOKEN = '${token}'`)).length, 4, revealed.out);
    assert.match(revealed.out, /the token is shown: keep this output out of logs and change records/);
    const j = JSON.parse((await cli('snippets', '3.3', '--reveal', '--json')).out);
    assert.equal(j.revealed, true);
    assert.ok(j.files[0].lines.includes(`QUOTAHOLDER_TOKEN = '${token}'`));

    // --write: a file per host and settings file beside the state file, 0600, the lines whole and Python
    const written = await cli('snippets', '3.3', '--write');
    assert.equal(written.code, 0, written.err);
    const files = [...written.out.matchAll(/^ {2}(\S+) → (\S+) on the (\w+) host$/gm)];
    assert.deepEqual(files.map((m) => [m[2], m[3]]), j.files.map((f: { file: string; host: string }) => [f.file, f.host]));
    for (const [i, m] of files.entries()) {
      assert.equal(m[1]!.startsWith(join(dirname(statePath), 'settings', 'step3.3')), true, m[1]);
      assert.equal(statSync(m[1]!).mode & 0o777, 0o600);
      const text = readFileSync(m[1]!, 'utf8');
      assert.deepEqual(text.split('\n').slice(1, -1), j.files[i].lines);
      parseSettings(text, m[1]!);
    }
    assert.ok(readFileSync(files[0]![1]!, 'utf8').includes(`'${token}'`), 'the token inside');
    assert.equal((await cli('status', '--write')).code, 2, '--write elsewhere is a usage error');
    assert.deepEqual(j.secrets, [{ fingerprint: fp, what: 'quotaholder token, generated once, kept in astakos' }]);

    // The wizard's backend (engine without a lock, as on its screen) gets the same token.
    const config = loadConfig(cfg);
    const state = StateFile.open(config.state, { readonly: true });
    const engine = new Engine(config, state, new HeadlessAsker({}, false, false), 'test wizard');
    try {
      const set = await engineBackend(engine).snippets('3.3');
      assert.deepEqual(set?.secrets.map((x) => x.value), [token]);
    } finally {
      await engine.close();
      state.close();
    }
    assert.deepEqual(await tokenRows(), [token], 'still one token');
  });

  it('the same token whichever of 3.3–3.6 is current; the default step is the current one', async () => {
    const token = (await tokenRows())![0]!;
    for (const current of ['3.3', '3.4', '3.5', '3.6']) {
      const status = JSON.parse((await cli('status', '--json')).out);
      assert.equal(status.current, current);
      const r = await cli('snippets', '3.3', '--reveal');
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.split('\n').filter((l) => l.endsWith(`_TOKEN = '${token}'`)).length, 4, `${current}: ${r.out}`);
      const dflt = await cli('snippets');
      assert.equal(dflt.code, 0, dflt.err);
      const plan = await cli('plan', current);
      assert.ok(plan.out.endsWith(dflt.out), `snippets without STEP is ${current}'s block, as plan shows it:\n${dflt.out}`);
      if (current === '3.4') assert.match(dflt.out, /^ADMINS = \($/m);
      if (current === '3.5') assert.match(dflt.out, /^CYCLADES_ASTAKOS_SERVICE_TOKEN = (<hidden sha256:[0-9a-f]{8}, snf-upgrade snippets 3\.5 --reveal shows it>|'<auth_token)/m);
      if (current === '3.6') assert.match(dflt.out, /^PITHOS_SERVICE_TOKEN = /m);
      withState((s) => s.markDone(current, ['test']));
    }
    const after = await cli('snippets');
    assert.equal(after.code, 2);
    assert.match(after.err, /^snf-upgrade: the current step, 4, has no settings snippets\n  next: give one of 3\.3, 3\.4, 3\.5, 3\.6/);
    assert.deepEqual(await tokenRows(), [token]);
  });

  it('without --reveal the token appears in no output', async () => {
    const token = (await tokenRows())![0]!;
    assert.ok(unrevealed.length > 10);
    assert.ok(unrevealed.every((t) => !t.includes(token)), 'the token only in --reveal output');
  });

  it('bad steps and --reveal elsewhere are usage errors (exit 2) with a next: line', async () => {
    for (const args of [['snippets', '2.1'], ['snippets', '7.7'], ['snippets', '3.3', '3.4'], ['plan', '3.3', '--reveal']]) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /^snf-upgrade: .*\n  next: /, args.join(' '));
    }
    assert.match((await cli('snippets', '2.1')).err, /step 2\.1 has no settings snippets\n  next: give one of 3\.3, 3\.4, 3\.5, 3\.6/);
  });

  it('no astakos database configured: a usage error naming the key, not a stack trace', async () => {
    await assert.rejects(deploymentSnippets('3.3', undefined, {}),
      (e: unknown) => e instanceof UserError && e.exitCode === 2 && /no astakos database is configured/.test(e.message) && /SNF_ASTAKOS_DB/.test(e.next));
    const other = join(dir, 'no-astakos.json');
    const c = JSON.parse(readFileSync(cfg, 'utf8'));
    delete c.astakos.db;
    writeFileSync(other, JSON.stringify({ ...c, state: join(dir, 'no-astakos.db') }));
    const plan = await cliIn(other, 'plan', '3.3');
    assert.equal(plan.code, 2, plan.err);
    assert.match(plan.err, /^snf-upgrade: no astakos database is configured: the quotaholder token of step 3\.3 is kept there\n  next: set "astakos": \{"db": /);
    const snip = await cliIn(other, 'snippets', '3.3');
    assert.equal(snip.code, 2, snip.err);
    assert.match(snip.err, /no database configured for astakos\n  next: /);
  });
});
