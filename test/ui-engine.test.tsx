/** @jsxRuntime automatic @jsxImportSource react */
// The wizard over the real engine: a generated sandbox deployment (embedded PostgreSQL), a
// temporary state file, the on-screen Asker. Drives steps 1 → 3.2 by keystrokes and checks
// what the databases and the state file say afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import { loadConfig } from '../src/config.js';
import { execFileSync } from 'node:child_process';
import { SERVICES, type Service } from '../src/db/connection.js';
import { sha256File } from '../src/db/backup.js';
import { scrubSecrets } from '../src/secrets.js';
import { Engine } from '../src/engine/index.js';
import { createSandbox } from '../src/sandbox/index.js';
import { StateFile } from '../src/state/index.js';
import { App } from '../src/ui/App.js';
import { UiAsker } from '../src/ui/asker.js';
import { engineBackend } from '../src/engine/session.js';
import { shows as showsWithin, SIZE, wait, type Instance } from './helpers/screen.js';
import { cleanupAll, emptyDatabases, pathWithRefusingPgDump, schemaDatabases, tempDir, usingServer, writeConfig } from './support.js';

const KEY = { enter: '\r', esc: '\u001B' };
// The engine's screens wait on real databases: up to a minute for a frame.
const shows = (r: Instance, text: string | RegExp, timeout = 60_000): Promise<string> => showsWithin(r, text, timeout);
async function press(r: Instance, ...keys: string[]) {
  for (const k of keys) { r.stdin.write(k); await wait(k === KEY.esc ? 60 : 30); }
}
const flat = (f: string) => f.replace(/\s+/g, ' ');

describe('the wizard over the real engine (sandbox)', { timeout: 240_000 }, () => {
  let engine: Engine;
  let state: StateFile;
  let r: Instance;
  const asker = new UiAsker();
  const exits: number[] = [];

  before(async () => {
    const dir = tempDir('ui-engine-');
    const made = await createSandbox({ name: 'uiwiz', embedded: join(dir, 'db'), scale: 'tiny', seed: 3, configPath: join(dir, 'snf-upgrade-uiwiz.json') });
    const config = loadConfig(made.configPath);
    const urls = SERVICES.map((s) => config[s].db!);
    state = StateFile.open(config.state, { scrub: (t) => scrubSecrets(t, urls) });
    engine = new Engine(config, state, asker, 'snf-upgrade wizard (test)');
    await engine.lock();
    const backend = engineBackend(engine);
    assert.equal(backend.sandbox, true, 'every database is embedded: a sandbox');
    r = render(<App backend={backend} asker={asker} size={SIZE} interrupted={(await engine.interrupted()) ?? null} onExit={(c) => exits.push(c)} />);
  });

  after(async () => {
    cleanup();
    await engine?.close();
    state?.close();
    await cleanupAll();
  });

  test('home: each database with its schema release, the lock, the steps', async () => {
    const f = await shows(r, /pithos +pglite:\S+ +0\.12\.5/);
    assert.match(f, /astakos +pglite:\/\S+ +0\.12\.5/);
    assert.match(f, /cyclades +pglite:\/\S+ +0\.12\.5/);
    assert.match(f, /lock: held by this session/);
    assert.match(f, /› ▶ 1 {4}Services down, databases backed up/);
  });

  test('step 1 runs from its screen and backs every database up', async () => {
    await press(r, KEY.enter);
    await shows(r, 'Found: no other sessions on any database');
    await press(r, KEY.enter);
    const f = await shows(r, '✓ done');
    assert.match(f.replace(/\n\s*/g, ''), /astakos:\/\S+step1-astakos-\S+\.tar\.gz \([\d.]+ \w?i?B, sha256 [0-9a-f]{12}…\)/);
    assert.equal(state.getStep('1').status, 'done');
    assert.equal(SERVICES.filter((s) => state.latestBackup(s)).length, 3);
  });

  test('2.1 finds the case-duplicates; the table decides them; 2.2 deletes after type-to-confirm', async () => {
    await press(r, 'n');
    let f = await shows(r, /Found: \d+ groups of users whose emails differ only in case/);
    const groups = Number(/Found: (\d+) groups/.exec(f)![1]);
    assert.ok(groups > 0, 'the sandbox has duplicates');
    await press(r, KEY.enter);
    await shows(r, '✓ done');
    await press(r, 'v');
    f = await shows(r, `Conflicts ${groups} · open ${groups}`);
    await press(r, KEY.enter);
    f = await shows(r, `open ${groups - 1}`);
    assert.equal(state.getDecisions('2.2').size, 1);
    assert.equal([...state.getDecisions('2.2').values()][0]!.source, 'operator');
    await press(r, 'a');
    await shows(r, 'Accept the suggested survivor');
    await press(r, 'y');
    await shows(r, 'open 0');
    assert.equal(state.getDecisions('2.2').size, groups);
    await press(r, KEY.esc);
    await shows(r, 'n next step (2.2)'); // the step screen listens again before n
    await press(r, 'n');
    f = await shows(r, /2\.2 {2}Remove duplicate astakos users[\s\S]*Will change \(astakos\): auth_user −\d+/);
    assert.match(f, /Decided: \d+ \(\d+ as suggested, 1 by hand\)\. {3}Open: 0/);
    const word = /you will be asked\s+to type (\d+)|you will be asked to type (\d+)/.exec(f);
    assert.ok(word, 'the plan says what will be typed');
    const n = word[1] ?? word[2];
    await press(r, KEY.enter);
    f = await shows(r, `Type ${n} to confirm`);
    assert.match(f, /astakos +auth_user +delete +\d+ rows/);
    await press(r, '0', KEY.enter);
    await shows(r, `"0" is not ${n}`);
    await press(r, KEY.esc);
    f = await shows(r, 'was not confirmed; nothing changed');
    assert.notEqual(state.getStep('2.2').status, 'done');
    await press(r, KEY.enter);
    await shows(r, `Type ${n} to confirm`);
    await press(r, ...n!.split(''), KEY.enter);
    await shows(r, '✓ done');
    f = await shows(r, 'Found: no users whose emails differ only in case: nothing to decide.');
    // Phase 2 ends at a restore point: its backup is taken, and the step says where it is (at the end of its text).
    assert.doesNotMatch(flat(f), /A fresh backup is advised/);
    await press(r, 'G');
    f = await shows(r, 'phase 2 backup: pithos');
    assert.match(flat(f), /phase 2 backup: astakos: \S+\/phase2-astak.*? \([\d.]+ \w+, sha256 [0-9a-f]{12}…\) phase 2 backup: cyclades: /);
    assert.doesNotMatch(flat(f), /A fresh backup is advised/);
    assert.equal(state.getStep('2.2').status, 'done');
    const left = await engine.plan('2.1');
    assert.equal((left.findings.data as { groups: unknown[] }).groups.length, 0, 'no duplicate left in astakos');
  });

  test('3.1 and 3.2 are performed in the sandbox; a failing check blocks c', async () => {
    await press(r, 'n');
    let f = await shows(r, '3.1  Install the 0.13 packages (manual)');
    assert.match(f, /s do it in the sandbox/);
    await press(r, 's');
    await shows(r, '✓ done');
    await press(r, 'n');
    f = await shows(r, '✗ astakos at 0.13');
    await press(r, 'c');
    f = await shows(r, '3.2 cannot be confirmed yet');
    assert.notEqual(state.getStep('3.2').status, 'done');
    await press(r, 's');
    f = await shows(r, '3.2 performed in the sandbox and confirmed');
    assert.match(f, /astakos/);
    assert.equal(state.getStep('3.2').status, 'done');
    await press(r, KEY.enter);
    f = await shows(r, '✓ astakos at 0.13');
    assert.match(f, /✓ every astakos user has a unique uuid/);
  });

  test('r shows the report of what was done', async () => {
    await press(r, KEY.esc);
    await shows(r, 'r report');
    await press(r, 'r');
    let f = await shows(r, '# snf-upgrade report: Synnefo 0.12.5 → 0.13');
    assert.match(f, /service +database +schema/);
    assert.match(f, /astakos +\S+uiwiz_astakos +0\.13/);
    assert.match(f, /pithos +\S+uiwiz_pithos +0\.12\.5/);
    assert.match(f, /1 +Services down, databases b\S* +done +\S+ +1/);
    assert.match(f, /2\.2 +Remove duplicate astakos u\S* +done +\S+ +2/, 'the cancelled attempt counts');
    await press(r, KEY.esc, 'q');
    assert.deepEqual(exits, [0]);
  });

  test('a state file left mid-step opens on that step, saying what happened', async () => {
    cleanup();
    state.markRunning('3.3', null); // as a killed session leaves it
    const interrupted = await engine.interrupted();
    assert.equal(interrupted?.step, '3.3');
    const again = render(<App backend={engineBackend(engine)} asker={asker} size={SIZE} interrupted={interrupted ?? null} onExit={() => undefined} />);
    const f = await shows(again, /3\.3 {2}Quota settings for all services \(manual\)\s+▶ interrupted/);
    assert.match(flat(f), /! The last session stopped during 3\.3 before any change committed: nothing was changed; it can simply run again\./);
    await press(again, KEY.esc);
    const home = await shows(again, 'enter continue');
    assert.match(home, /› ▶ 3\.3 .*interrupted/);
  });
});

describe('step 1 where pg_dump cannot back up the server: the wizard asks for the dump made on each database host', {
  timeout: 90_000, skip: usingServer() ? false : 'embedded databases are backed up without pg_dump',
}, () => {
  test('the command for the host; esc stops with nothing recorded; a dump of another database is refused and asked again; good dumps are checked and kept', async () => {
    const dir = tempDir('ui-external-');
    const urls = await schemaDatabases('wizext');
    const dumps = {} as Record<Service, string>;
    for (const s of SERVICES) {
      dumps[s] = join(dir, `${s}-host.dump`);
      execFileSync('pg_dump', ['-Fc', '-f', dumps[s], '--dbname', urls[s]]);
    }
    const config = loadConfig(writeConfig(dir, urls));
    const state = StateFile.open(config.state, { create: true });
    const asker = new UiAsker();
    const engine = new Engine(config, state, asker, 'snf-upgrade wizard (test)');
    const path = process.env.PATH;
    process.env.PATH = pathWithRefusingPgDump('14.9');
    try {
      await engine.lock();
      const r = render(<App backend={engineBackend(engine)} asker={asker} size={SIZE} interrupted={null} onExit={() => undefined} />);
      await shows(r, 'enter continue', 15_000);
      await press(r, KEY.enter);
      await shows(r, /Found: .*\n.*pg_dump 14 is older than the server/, 15_000);
      await press(r, KEY.enter);
      let f = await shows(r, /give its\s+path:/, 15_000);
      assert.match(flat(f), /pg_dump 14 is older than the server \(PostgreSQL \d+\), so this tool cannot back up astakos \(\S+wizext_astakos\)\. Run this on the database host, copy the file here and give its path:/);
      assert.match(flat(f), /pg_dump -Fc -h 127\.0\.0\.1 -p 5432 -U postgres -f \S+wizext_astakos-step1\.dump \S+wizext_astakos/);
      assert.match(f, /^ > ▏$/m);
      await press(r, KEY.enter);
      await shows(r, '✗ nothing typed', 15_000);
      await press(r, KEY.esc);
      f = await shows(r, /cannot\s+back\s+up\s+astakos/, 15_000);
      await shows(r, '▶ next', 15_000);
      assert.equal(state.getStep('1').status, 'pending', 'nothing recorded, the step can run again');
      assert.equal(state.latestBackup('astakos'), undefined);
      await press(r, KEY.enter);
      await shows(r, /back\s+up\s+astakos\s+\(/, 15_000);
      await press(r, ...dumps.cyclades, KEY.enter);
      f = await shows(r, /✗ \S+cyclades-host\.dump is a\s+dump of database/, 15_000);
      assert.match(flat(f), /cannot back up astakos .*not of the astakos database/, 'asked again, saying why');
      await press(r, ...dumps.astakos, KEY.enter);
      await shows(r, /back\s+up\s+cyclades\s+\(/, 15_000);
      await press(r, ...`  ${dumps.cyclades} `, KEY.enter);
      await shows(r, /back\s+up\s+pithos\s+\(/, 15_000);
      await press(r, ...dumps.pithos, KEY.enter);
      f = await shows(r, '✓ done', 15_000);
      assert.match(flat(f), /Plan: astakos: pg_dump 14 is older than the server \(PostgreSQL \d+\); run on its host: pg_dump -Fc -h 127\.0\.0\.1 /);
      for (const s of SERVICES) {
        const b = state.latestBackup(s)!;
        assert.deepEqual([b.kind, b.verified, b.path.startsWith(config.backups)], ['pg_dump', true, true], s);
        assert.equal(b.sha256, await sha256File(dumps[s]));
      }
    } finally {
      cleanup();
      process.env.PATH = path;
      await engine.close();
      state.close();
      await cleanupAll();
    }
  });
});

describe('another runner holds the lock', { timeout: 60_000 }, () => {
  test('the wizard says who holds it and whether it looks alive; q quits; t takes it over after typing "take over"', async () => {
    const dir = tempDir('ui-lock-');
    const config = loadConfig(writeConfig(dir, await emptyDatabases('wizlock')));
    const first = StateFile.open(config.state, { create: true });
    const holder = new Engine(config, first, new UiAsker(), 'snf-upgrade run 6.4');
    await holder.lock();
    const second = StateFile.open(config.state);
    const asker = new UiAsker();
    const engine = new Engine(config, second, asker, 'snf-upgrade wizard (test)');
    let problem: string | undefined;
    try {
      await assert.rejects(engine.lock(), (err: unknown) => { problem = (err as Error).message; return true; });
      const backend = engineBackend(engine, { lockProblem: () => problem });
      const exits: number[] = [];
      let r = render(<App backend={backend} asker={asker} size={SIZE} interrupted={null} onExit={(c) => exits.push(c)} />);
      let f = await shows(r, 'Another snf-upgrade holds the lock', 15_000);
      assert.match(f, new RegExp(`state file +\\S+ +${process.pid} +\\S.* running +snf-upgrade run 6\\.4$`, 'm'));
      assert.match(flat(f), new RegExp(`It looks alive: (its session on .* is still connected|process ${process.pid} is running on this machine)\\.`));
      assert.match(f, /t take over +q quit and wait/);
      await press(r, 'q');
      assert.deepEqual(exits, [1]);
      assert.equal(second.holdsLock(), false, 'quitting takes nothing');
      cleanup();

      r = render(<App backend={backend} asker={asker} size={SIZE} interrupted={null} onExit={(c) => exits.push(c)} />);
      await shows(r, 'Another snf-upgrade holds the lock', 15_000);
      await press(r, 't');
      f = await shows(r, 'Type take over to confirm');
      assert.match(flat(f), new RegExp(`Take the lock over from snf-upgrade run 6\\.4 \\(pid ${process.pid} on \\S+\\)\\?`));
      await press(r, KEY.esc);
      await shows(r, 'the lock was not taken over; nothing changed');
      assert.equal(second.holdsLock(), false);
      await press(r, 't');
      await shows(r, 'Type take over to confirm');
      await press(r, ...'take over', KEY.enter);
      f = await shows(r, 'lock: held by this session', 15_000);
      assert.match(flat(f), /took the lock over from pid \d+/);
      assert.equal(second.holdsLock(), true);
      assert.equal(first.holdsLock(), false, 'the first session lost it');
      for (const { holder: h } of await engine.lockHolders()) assert.equal(h?.command, 'snf-upgrade wizard (test)');
      cleanup();
    } finally {
      await engine.close();
      await holder.close().catch(() => undefined);
      second.close();
      first.close();
      await cleanupAll();
    }
  });
});
