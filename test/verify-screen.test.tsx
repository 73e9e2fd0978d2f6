/** @jsxRuntime automatic @jsxImportSource react */
// The wizard's `v`: on home and on the step that ends the upgrade, the deployment checked as a
// whole shows on a pager screen (findings first), and esc goes back where it was opened.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../src/ui/App.js';
import { STEPS } from '../src/runbook/steps.js';
import { fakeBackend } from './helpers/fake-backend.js';
import { shows, SIZE } from './helpers/screen.js';


const fits = (frame: string): void => {
  const lines = frame.split('\n');
  assert.ok(lines.length <= SIZE.rows - 1, frame);
  for (const l of lines) assert.ok(l.length <= SIZE.columns, `line too long: ${l}`);
};

afterEach(() => cleanup());

const verdict = {
  checked: [{ step: '6.4', what: 'every account is named by an astakos uuid (apart from the ones kept)', detail: 'yes' }],
  findings: [{ step: '6.3', what: '1 cyclades row owned by an email since step 6.3 was done', where: 'VM #7 (owner a@b.c)', fix: 'run 6.3 again: snf-upgrade run 6.3' }],
  notChecked: [{ step: '9.2', what: 'holdings equal the counts of live VMs and networks per user' }],
};

describe('verify in the wizard', () => {
  test('home: v (in the key line) shows the findings on a pager; esc goes back home', async () => {
    const backend = fakeBackend({ verdict });
    const r = render(<App backend={backend} size={SIZE} onExit={() => undefined} />);
    const home = await shows(r, 'db2:5432/snf_pithos');
    assert.match(home, /v verify/);
    fits(home);
    r.stdin.write('v');
    const page = await shows(r, 'Verify: 1 to fix');
    fits(page);
    assert.ok(backend.calls.includes('verify'));
    assert.match(page.replace(/\s+/g, ' '), /✗ 1 cyclades row owned by an email since step 6\.3 was done \(VM #7 \(owner a@b\.c\)\) — run 6\.3 again/);
    assert.match(page, /✓ 6\.4: every account is named/);
    assert.match(page, /not checked yet: step 9\.2 is not done/);
    r.stdin.write('\u001B');
    await shows(r, 'db2:5432/snf_pithos');
  });

  test('the last step\'s screen offers v too', async () => {
    const last = STEPS[STEPS.length - 1]!;
    assert.ok(last.verifiesDeployment, 'the last step is gated by verify');
    const records = Object.fromEntries(STEPS.slice(0, -1).map((s) => [s.id, { status: 'done' as const, finishedAt: new Date().toISOString(), summary: [] }]));
    const backend = fakeBackend({ records, verdict: { checked: verdict.checked, findings: [], notChecked: [] } });
    const r = render(<App backend={backend} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'db2:5432/snf_pithos');
    r.stdin.write('\r');
    const screen = await shows(r, new RegExp(`${last.id}\\s+${last.title}`));
    assert.match(screen, /v verify/);
    r.stdin.write('v');
    const page = await shows(r, 'Verify: no findings');
    assert.match(page, /verify: no findings \(1 checks held\)/);
    r.stdin.write('\u001B');
    await shows(r, /c confirm/);
  });

  test('a key pressed as soon as a screen is drawn reaches that screen, not the one it replaced', async () => {
    const records = Object.fromEntries(STEPS.slice(0, -1).map((s) => [s.id, { status: 'done' as const, finishedAt: new Date().toISOString(), summary: [] }]));
    const backend = fakeBackend({ records, verdict: { checked: verdict.checked, findings: [], notChecked: [] } });
    const r = render(<App backend={backend} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'db2:5432/snf_pithos');
    r.stdin.write('\r');
    // the step's frame, and v the moment it is there: that step's verify (esc goes back to the step), not home's
    while (!/c confirm/.test(r.lastFrame() ?? '')) await new Promise((ok) => setImmediate(ok));
    r.stdin.write('v');
    await shows(r, 'Verify: no findings');
    r.stdin.write('\u001B');
    await shows(r, /c confirm/);
  });
});
