// The guide's actions that no data migration performs, at their steps and checked where a copy
// lets the tool look: the login RewriteRule (3.4), the cron line (10), the closing checklist of
// 11 (PITHOS_USE_QUOTAHOLDER on, rewritten settings installed); then `finish` drops the tool's
// tables once 11 is done.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Service } from '../src/db/connection.js';
import { createSandbox } from '../src/sandbox/index.js';
import { walker } from './helpers/walk.js';
import { cleanupAll, cliIn as cli, sandboxTarget, tempDir, testDbName, withDb } from './support.js';

after(cleanupAll);

const RULE = 'RewriteRule ^/login(.*) /im/login/redirect$1 [PT,NE]';

describe('the guide\'s actions, checked', { timeout: 900_000 }, () => {
  test('3.4 RewriteRule, 10 cron, 11 refuses until the settings are installed and the quotaholder is on, then finish', async () => {
    const dir = tempDir('guide-');
    const cfg = join(dir, 'snf-upgrade.json');
    const sbx = await createSandbox({ name: testDbName('guide'), ...sandboxTarget(dir), scale: 'tiny', seed: 5, configPath: cfg });
    const config = JSON.parse(readFileSync(cfg, 'utf8')) as Record<Service, { settings: string; apache?: string; cron?: string }> & { state: string };
    const apache = join(dir, 'astakos-apache');
    mkdirSync(join(apache, 'sites-enabled'), { recursive: true });
    const site = join(apache, 'sites-enabled', 'synnefo-ssl');
    writeFileSync(site, `<VirtualHost _default_:443>\n  RewriteEngine On\n  # ${RULE}\n  ${RULE}\n</VirtualHost>\n`);
    const cron = join(dir, 'cron.d');
    mkdirSync(cron);
    config.astakos.apache = apache;
    config.astakos.cron = cron;
    writeFileSync(cfg, JSON.stringify(config));
    const w = walker(cfg, sbx.urls, 'guide');

    await w.run('1', '--yes');
    await w.run('2.1');
    await w.run('2.2');
    for (const s of ['3.1', '3.2', '3.3']) await w.confirm(s);

    // 3.4: the rule is found, named by file and line; removed, the step confirms
    const refused = await cli(cfg, 'confirm', '3.4');
    assert.equal(refused.code, 4, refused.err);
    assert.match(refused.err, new RegExp(`still there: ${site.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4;`));
    const plan = await cli(cfg, 'plan', '3.4');
    assert.match(plan.out, /remove from the Apache configuration: RewriteRule \^\/login/);
    writeFileSync(site, `<VirtualHost _default_:443>\n  RewriteEngine On\n  # ${RULE}\n</VirtualHost>\n`);
    await w.confirm('3.4');
    for (const s of ['3.5', '3.6', '4']) await w.confirm(s);
    for (const s of ['5', '6.1', '6.2', '6.3']) await w.run(s);

    // 6.3's rewritten files: a check line of their own with the copy command
    const news = readdirSync(config.cyclades.settings).filter((n) => n.endsWith('.snf-upgrade-new'));
    assert.ok(news.length > 0, 'the sandbox has identifier-keyed cyclades settings');
    const six3 = await cli(cfg, 'plan', '6.3');
    assert.equal(six3.code, 0, six3.err);

    const six4 = await w.run('6.4');
    assert.match(six4.out, /! pithos: PITHOS_USE_QUOTAHOLDER = True: set it now/);
    const seven = await w.run('7.1');
    assert.match(seven.out, /! pithos: PITHOS_USE_QUOTAHOLDER = True/);
    for (const s of ['7.2', '8', '9.1', '9.2']) await w.run(s);

    // 10: the cron line
    const noCron = await cli(cfg, 'confirm', '10');
    assert.equal(noCron.code, 4, noCron.err);
    assert.match(noCron.err, /cron runs snf-manage project-control --terminate-expired/);
    writeFileSync(join(cron, 'snf-project-control'), '# hourly\n0 * * * * root snf-manage project-control --terminate-expired\n');
    await w.confirm('10');

    // finish before 11: refused, nothing dropped
    const early = await cli(cfg, 'finish', '--yes');
    assert.equal(early.code, 4, early.err);
    assert.match(early.err, /finish refused: step 11/);

    // 11: refused while the quotaholder is off and a rewritten file is not installed
    const off = await cli(cfg, 'confirm', '11');
    assert.equal(off.code, 4, off.err);
    assert.match(off.err, /pithos: PITHOS_USE_QUOTAHOLDER = True/);
    const installs = off.err.split('\n').filter((l) => /^ {6}cd .* && cp /.test(l)).map((l) => l.trim());
    assert.equal(installs.length, news.length, off.err);
    const pithosFile = readdirSync(config.pithos.settings).find((n) => n.includes('pithos-app'))!;
    appendFileSync(join(config.pithos.settings, pithosFile), '\nPITHOS_USE_QUOTAHOLDER = True\n');
    const stillNew = await cli(cfg, 'confirm', '11');
    assert.equal(stillNew.code, 4, stillNew.err);
    assert.doesNotMatch(stillNew.err, /PITHOS_USE_QUOTAHOLDER/);
    assert.match(stillNew.err, /installed \(as rewritten\)/);
    // the printed commands, run as they are, install the rewritten files
    for (const cmd of installs) assert.equal(spawnSync('bash', ['-c', cmd]).status, 0, cmd);
    const done = await cli(cfg, 'confirm', '11');
    assert.equal(done.code, 0, done.err);
    assert.match(done.out, /✓ pithos: PITHOS_USE_QUOTAHOLDER = True/);
    assert.match(done.out, /✓ astakos web server: RewriteRule/);
    assert.match(done.out, /✓ snf-upgrade verify finds nothing/);
    assert.match(done.out, /✓ astakos reopened to the public .*: the operator's word/);

    const status = await cli(cfg, 'status');
    assert.match(status.out, /the tool's tables .* are still in the databases until: snf-upgrade finish --yes/);

    // finish: asks for --yes first, then writes the report and drops every snf_upgrade_ table
    const ask = await cli(cfg, 'finish');
    assert.equal(ask.code, 3, ask.err);
    assert.match(ask.out, /snf_upgrade_journal/);
    const fin = await cli(cfg, 'finish', '--yes');
    assert.equal(fin.code, 0, fin.err);
    assert.match(fin.out, /dropped .*snf_upgrade_secrets/);
    const report = join(join(config.state, '..'), 'snf-upgrade-report.md');
    assert.ok(existsSync(report), fin.out);
    assert.match(readFileSync(report, 'utf8'), /6\.4/);
    for (const s of ['astakos', 'cyclades', 'pithos'] as const) {
      const left = await withDb(s, sbx.urls[s], async (db) => (await db.pool.query(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'snf\\_upgrade\\_%'")).rows);
      assert.deepEqual(left, [], s);
    }
    // afterwards the state file says the upgrade ended: no disagreement with the emptied databases
    const after = await cli(cfg, 'status', '--json');
    assert.deepEqual(JSON.parse(after.out).disagreements, []);
    assert.match((await cli(cfg, 'status')).out, /the tool's tables were dropped from the databases at .* \(snf-upgrade finish\)/);
    const again = await cli(cfg, 'finish', '--yes');
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /the upgrade already ended at .*; nothing to do/);
    const late = await cli(cfg, 'backup');
    assert.equal(late.code, 1, late.err);
    assert.match(late.err, /the upgrade ended at .* \(snf-upgrade finish dropped the tool's tables\); nothing was written/);
  });
});
