// End to end: the real `snf-upgrade demo` (the built program, bin/snf-upgrade.js) in a real
// terminal (tmux, 80×24), building a `tiny` demo deployment in a temporary folder, driven by
// keystrokes from step 1 to step 11. Manual steps are performed in the sandbox with `s`; the
// process is killed (SIGKILL, by the fault point after the 2nd committed batch) in the middle of
// step 6.4, started again, and the walk finishes. Then the state file says every step is done
// and every step's verification passes.
// Needs tmux; skipped without it. Builds the program first (npm run build). Takes a few minutes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadConfig } from '../src/config.js';
import { parseSettings } from '../src/core/settings/parse.js';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const HAVE_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SESSION = `snf-e2e-${process.pid}`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Rows per 6.4 batch: small, so that the step has batches to be killed between. */
const PITHOS_BATCH = '100';

let dir = '';
let cfg = '';

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}
/** Every screen captured that names the guide's sample domain (none may: the demo's values are its own). */
const samples: string[] = [];
const screen = (): string => {
  const s = tmux('capture-pane', '-p', '-t', SESSION);
  if (s.includes('example.synnefo.org')) samples.push(s);
  return s;
};

/** Starts `snf-upgrade demo` in a fresh tmux session; the shell says "[exited N]" when it ends. */
function startDemo(env: Record<string, string> = {}): void {
  spawnSync('tmux', ['kill-session', '-t', SESSION]);
  const vars = Object.entries({ SNF_UPGRADE_PITHOS_BATCH: PITHOS_BATCH, ...env }).map(([k, v]) => `${k}='${v}'`).join(' ');
  // -u CI: Ink renders only the last frame when it believes it runs under CI.
  const cmd = `cd '${ROOT}' && env -u CI ${vars} node bin/snf-upgrade.js demo --dir '${dir}' --scale tiny; echo "[exited $?]"; sleep 3600`;
  tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', cmd);
}

async function waitFor(what: string | RegExp, timeout = 60_000): Promise<string> {
  const end = Date.now() + timeout;
  let s = '';
  for (;;) {
    s = screen();
    if (typeof what === 'string' ? s.includes(what) : what.test(s)) {
      await wait(150); // the screen just drawn subscribes to keys right after
      return screen();
    }
    if (Date.now() > end) assert.fail(`timed out after ${timeout} ms waiting for ${String(what)}; screen:\n${s}`);
    await wait(100);
  }
}

/** Sends keys: tmux key names (Enter, Escape) or literal text. */
async function keys(...ks: string[]): Promise<void> {
  for (const k of ks) {
    if (/^(Enter|Escape|Up|Down)$/.test(k)) tmux('send-keys', '-t', SESSION, k);
    else tmux('send-keys', '-t', SESSION, '-l', k);
    await wait(120);
  }
}

const stepHead = (id: string) => new RegExp(`^ ${esc(id)}  \\S`);
const doneHead = (id: string) => new RegExp(`^ ${esc(id)}  .*✓ done`);

/** From a done step's screen, `n` to the next step, once its plan or checks are on screen. */
async function next(id: string): Promise<string> {
  await keys('n');
  return loaded(id);
}

/** Waits for step ID's screen with its plan (or checks) loaded. */
function loaded(id: string): Promise<string> {
  const ready = /^ (Found:|Plan:|Checks:|Closing checklist:|Decide:)/m;
  return waitFor({ test: (x: string) => stepHead(id).test(x) && ready.test(x) && !/Looking at the databases|Checks: +looking/.test(x) } as RegExp);
}

/** Runs the step on screen: answers its questions (y, type-to-confirm) until it is done. */
async function run(id: string, timeout = 120_000, start: () => Promise<unknown> = () => keys('Enter')): Promise<void> {
  await start();
  const end = Date.now() + timeout;
  for (;;) {
    const s = screen();
    if (doneHead(id).test(s)) return;
    const typed = /Type (\S+) to confirm: ▏/.exec(s);
    if (typed) { await wait(150); await keys(typed[1]!, 'Enter'); await wait(500); continue; }
    if (s.includes('Go on? y yes')) { await wait(150); await keys('y'); await wait(500); continue; }
    if (/^ ✗ /m.test(s) && !s.includes('Last attempt failed')) assert.fail(`step ${id} failed:\n${s}`);
    if (Date.now() > end) assert.fail(`step ${id} did not finish in ${timeout} ms:\n${s}`);
    await wait(150);
  }
}

/**
 * Runs step ID; while it has decisions no table shows (limits 0.13 would set otherwise than
 * 0.12), with A: every suggestion accepted after its summary, which is returned.
 */
async function runAccepting(id: string): Promise<string> {
  let summary = '';
  await run(id, 120_000, async () => {
    if (!/more decision\(s\) below/.test(screen().replace(/\s+/g, ' '))) return keys('Enter');
    await keys('A');
    summary = await waitFor(new RegExp(`Accept every suggestion of step ${id.replace('.', '\\.')}`));
    await keys('y');
  });
  return summary;
}

/** A manual step performed in the sandbox with `s` (and confirmed). */
async function simulate(id: string, resultPage: boolean): Promise<void> {
  await keys('s');
  if (resultPage) {
    await waitFor(`${id} performed in the sandbox and confirmed`);
    await keys('Enter');
  }
  await waitFor(doneHead(id));
}

/** In the conflict table (or the unknown list): accept every suggestion, back to the step. */
async function acceptAll(summary: RegExp): Promise<void> {
  await keys('a');
  await waitFor(summary);
  await keys('y');
  await wait(300);
  await keys('Escape');
}

function statusJson(): { current: string | null; interrupted: { step: string; text: string } | null; steps: { id: string; status: string }[]; deployment: { version: string }[] } {
  const out = execFileSync('node', ['bin/snf-upgrade.js', 'status', '--json', '--config', cfg], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out);
}

describe('end to end: the demo walk in a terminal', { skip: HAVE_TMUX ? false : 'tmux is not installed' }, () => {
  before(() => {
    // The installed program runs from dist/: build it from the source under test.
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
    dir = mkdtempSync(join(tmpdir(), 'snf-e2e-'));
    cfg = join(dir, 'snf-upgrade.json');
  });
  after(() => {
    spawnSync('tmux', ['kill-session', '-t', SESSION]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('step 1 to 11 by keystrokes, killed in 6.4 and resumed; every step done and verified', { timeout: 15 * 60_000 }, async (t) => {
    const started = Date.now();
    // ---------------------------------------------------------------- first session: 1 … up to 6.4
    let s = '';
    startDemo();
    s = await waitFor('enter continue', 180_000); // the first start builds the demo deployment
    assert.match(s, /^ snf-upgrade · Synnefo 0\.12\.5 → 0\.13/m);
    assert.ok(existsSync(cfg), 'the demo was built in the folder given');
    await keys('Enter');
    await loaded('1');
    await run('1');

    await next('2.1');
    await run('2.1');
    await next('2.2');
    await keys('Enter');
    s = await waitFor('Conflicts');
    // the first group's survivor chosen by hand: another user than the suggested one
    const members = [...s.matchAll(/^ {3}([› ]) #(\d+) /gm)];
    const at = members.findIndex((m) => m[1] === '›');
    await keys(at === 0 ? 'j' : 'k');
    s = await waitFor(new RegExp(`^ {3}› #${members[at === 0 ? 1 : at - 1]![2]} `, 'm'));
    const handKept = members[at === 0 ? 1 : at - 1]![2]!;
    const handGroup = /^▶ · (\S+)/m.exec(s)![1]!;
    await keys('Enter');
    await waitFor(/kept #\d+ \(you\)/);
    await acceptAll(/Accept the suggested survivor of \d+ open group/);
    await waitFor(/Open: 0/);
    await run('2.2');

    await next('3.1');
    await simulate('3.1', false);
    let token = '';
    for (const id of ['3.2', '3.3', '3.4', '3.5', '3.6', '4']) {
      await next(id);
      if (id === '3.3') {
        // The settings to paste, the generated token hidden until t.
        s = await waitFor(/^QUOTAHOLDER_TOKEN = <hidden sha256:[0-9a-f]{8}, t shows it>$/m);
        assert.match(s, /^ On the astakos host, \/etc\/synnefo\/20-snf-astakos-app-settings\.conf:$/m);
        await keys('t');
        s = await waitFor(/^QUOTAHOLDER_TOKEN = '/m);
        token = /^QUOTAHOLDER_TOKEN = '([A-Za-z0-9_-]{32})'$/m.exec(s)![1]!;
        // The astakos lines copied from the screen as they are: Python that says this deployment's values.
        const rows = s.split('\n');
        const from = rows.findIndex((l) => l.startsWith(' On the astakos host, '));
        const block = rows.slice(from + 1, rows.findIndex((l, i) => i > from && l.startsWith(' '))).join('\n');
        const pasted = parseSettings(`${block}\n`, '20-snf-astakos-app-settings.conf');
        assert.equal(pasted.settings.get('QUOTAHOLDER_TOKEN')?.value, token, block);
        assert.equal(pasted.settings.get('ASTAKOS_QUOTAHOLDER_URL')?.value, 'https://accounts.example.org/quotaholder/v', block);
        await keys('t');
        await waitFor('t show token');
      }
      await simulate(id, true);
    }
    await next('5');
    await run('5');

    // The sandbox wrote the snippets the screen showed: the same token on every host.
    const settings = loadConfig(cfg);
    for (const service of ['astakos', 'cyclades', 'pithos'] as const) {
      const files = readdirSync(settings[service].settings!).map((f) => readFileSync(join(settings[service].settings!, f), 'utf8')).join('\n');
      assert.ok(files.includes(`'${token}'`), `${service} settings carry the token shown on screen`);
    }

    // 6.1 and 6.2: the sets in the conflict table; 6.2 and 6.3: the unknown lists.
    s = await next('6.1');
    assert.match(s, /sets of cyclades owner identifiers that differ only in case/);
    await keys('Enter');
    s = await waitFor('x delete rows');
    assert.match(s, /identifier/);
    await acceptAll(/Accept the suggested survivor/);
    await waitFor(/Open: 0/);
    await run('6.1');

    s = await next('6.2');
    assert.match(s, /sets of pithos accounts that differ only in case/);
    await keys('Enter');
    await waitFor('x delete rows');
    await acceptAll(/Accept the suggested survivor/);
    s = await waitFor(/Open: 0/);
    if (/enter answer unknowns/.test(s)) {
      await keys('l');
      await waitFor(/Unknown to astakos: \d+ accounts/);
      await acceptAll(/Take the suggested answer/);
      await waitFor('every one answered');
    }
    await runAccepting('6.2');

    s = await next('6.3');
    if (/enter answer unknowns/.test(s)) {
      await keys('Enter');
      await waitFor(/Unknown to astakos: \d+ identifiers/);
      await acceptAll(/Take the suggested answer/);
      s = await waitFor('every one answered');
    }
    // the per-user limits 0.13 would apply otherwise than 0.12 are decisions too: A takes 0.12's
    assert.match(s.replace(/\s+/g, ' '), /Open: \d+ more decision\(s\) below/, `the demo's case-variant VMS_USER_QUOTA keys are open decisions:\n${s}`);
    const ask = await runAccepting('6.3');
    assert.match(ask.replace(/\s+/g, ' '), /limit: VMS_USER_QUOTA of \S+: .*\(applied in 0\.12\).*\(never applied in 0\.12\)/);

    await next('6.4');
    await keys('Escape');
    await waitFor('enter continue');
    await keys('q');
    await waitFor('[exited 0]');
    t.diagnostic(`first session, 1 → 6.3: ${((Date.now() - started) / 1000).toFixed(0)} s`);

    // ---------------------------------------------------------------- second session: killed inside 6.4
    startDemo({ SNF_UPGRADE_FAULT: 'batch:after-commit#2:kill' });
    await waitFor('enter continue');
    await keys('Enter');
    await loaded('6.4');
    await keys('Enter');
    await waitFor('[exited 137]');
    const killed = statusJson();
    assert.equal(killed.current, '6.4');
    assert.equal(killed.steps.find((x) => x.id === '6.4')?.status, 'running');
    assert.match(killed.interrupted?.text ?? '', /stopped during 6\.4: 2 batch\(es\) in pithos had committed/);

    // ---------------------------------------------------------------- third session: resume and finish
    startDemo();
    s = await loaded('6.4');
    assert.match(s.replace(/\s+/g, ' '), /The last session stopped during 6\.4: 2 batch\(es\) in pithos had committed/);
    await run('6.4');
    for (const id of ['7.1', '7.2', '8', '9.1', '9.2']) {
      await next(id);
      await run(id);
    }
    await next('10');
    await simulate('10', false);
    s = await next('11');
    // what the operator does at 11 (the rewritten settings installed, the quotaholder on), then the closing checklist as one list, then the report
    assert.match(s, /^ Closing checklist:\n {3}✗ cyclades: \S+ installed \(as rewritten\)/m);
    assert.match(s, /^cd \S+\/cyclades && cp \\\n {2}\S+\.snf-upgrade-new \S+$/m, 'the command that installs a rewritten file starts at column 0 and pastes as one');
    await keys('s');
    const top = await waitFor('11 confirmed · closing checklist');
    assert.match(top, /11 performed in the sandbox:/);
    assert.match(top, /pithos: PITHOS_USE_QUOTAHOLDER = True written to/);
    await keys('G');
    s = await waitFor('every service restarted');
    const closing = (top + s).replace(/\s+/g, ' ');
    for (const item of [/✓ pithos: PITHOS_USE_QUOTAHOLDER = True/, /✓ astakos web server: RewriteRule \S+ \S+ \S+ removed/, /✓ snf-upgrade verify finds nothing/,
      /✓ astakos reopened to the public .*your word, confirmed/, /✓ every service restarted on every host .*your word, confirmed/]) assert.match(closing, item);
    assert.doesNotMatch(closing, /[✗☐]/);
    await keys('Enter');
    await waitFor('Report · every step is done');
    await keys('q');
    await waitFor('q quit');
    // the deployment checked as a whole, from home: clean
    await keys('v');
    await waitFor('verify: no findings');
    await keys('Escape');
    await waitFor('q quit');
    await keys('q');
    await waitFor('[exited 0]');
    t.diagnostic(`whole walk: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    assert.deepEqual(samples, [], 'no screen shows the guide\'s sample domain');

    // ---------------------------------------------------------------- what the state file and the databases say
    const status = statusJson();
    assert.equal(status.current, null);
    assert.equal(status.interrupted, null);
    assert.deepEqual(status.steps.filter((x) => x.status !== 'done').map((x) => x.id), []);

    // and headless: every finished step's verify and the deployment's invariants hold
    const verified = spawnSync('node', ['bin/snf-upgrade.js', 'verify', '--json', '--config', cfg], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    const verdict = JSON.parse(verified.stdout) as { findings: unknown[]; checked: unknown[]; notChecked: unknown[] };
    assert.deepEqual([verdict.findings, verdict.notChecked], [[], []]);
    assert.ok(verdict.checked.length > 0);

    // ---------------------------------------------------------------- fourth session: finish, then restore step 1's backup
    startDemo();
    s = await waitFor('f finish');
    assert.match(s.replace(/\s+/g, ' '), /Every step is done\. r shows the report; f finishes/);
    await keys('f');
    s = await waitFor('Type finish to confirm');
    assert.match(s, /snf-upgrade-report\.md/);
    await keys('finish', 'Enter');
    s = await waitFor('The upgrade is finished');
    assert.match(s, /✓ astakos: dropped snf_upgrade_/);
    // the change record stands alone: the survivor kept by hand, the kill in 6.4 and what it had committed
    const record = readFileSync(join(dirname(loadConfig(cfg).state), 'snf-upgrade-report.md'), 'utf8');
    assert.match(record, new RegExp(`^- ${handGroup.replace(/[.+()]/g, '\\$&')}\\S*: kept #${handKept} \\S+; deleted #\\d+ .*\\(by hand in the wizard, `, 'm'), record);
    assert.match(record, /^- #\d+ snf-upgrade wizard \(\S+, pid \d+\), \S+ → …: never ended: killed or crashed; committed 6\.4: \d+ row\(s\) in 2 batch\(es\)$/m, record);
    await keys('Enter');
    await waitFor('The upgrade ended');
    await keys('R');
    s = await waitFor('Restore a backup');
    assert.match(s, /› step 1 backup \(before any change\) · .* · 3 databases/);
    await keys('Enter');
    await waitFor('Type restore to confirm');
    await keys('restore', 'Enter');
    s = await waitFor('Restored backup "1"', 120_000);
    assert.match(s.replace(/\s+/g, ' '), /pending again: 2\.1, 2\.2, 3\.1/);
    await keys('Enter');
    s = await waitFor('enter continue');
    assert.match(s, /▶ 2\.1 /);
    await keys('q');
    await waitFor('[exited 0]');
    const restored = statusJson();
    assert.equal(restored.current, '2.1');
    assert.deepEqual(restored.deployment.map((x) => x.version), ['0.12.5', '0.12.5', '0.12.5']);
  });
});
