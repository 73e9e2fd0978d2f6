// The change record stands alone, read from a real state file: who was kept and deleted in each
// group and who decided, each unknown identifier's fate, every session with what it committed
// (a run that never ended included), totals across attempts, and every event in the JSON.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildReport, reportJsonLines, reportMarkdown } from '../../src/engine/report.js';
import { StateFile } from '../../src/state/index.js';

const dir = mkdtempSync(join(tmpdir(), 'snf-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the change record', () => {
  test('groups, decisions, sessions and events', () => {
    let t = Date.parse('2026-01-10T10:00:00Z');
    const state = StateFile.open(join(dir, 'state.db'), { create: true, clock: () => new Date((t += 1000)) });
    try {
      // 2.2: one group kept by hand, one from the answers file
      state.setDecision('2.2', 'anna@example.org', 7, 'operator');
      state.setDecision('2.2', 'merge:Anna@Example.org', { into: 'anna@example.org', survivorId: 7, deletedIds: [3], group: 'anna@example.org' }, 'operator');
      state.setDecision('2.2', 'same@example.org', 9, 'answers');
      state.setDecision('6.3', 'unknown:left@example.org', 'delete', 'suggested');
      const killed = state.startRun({ command: 'snf-upgrade wizard' });
      state.markRunning('2.2', killed);
      state.recordBatch('2.2', 'users 1', 3, 'astakos');
      state.addBeforeImages('2.2', 'users 1', [
        { service: 'astakos', table: 'auth_user', pk: { id: 3 }, row: { id: 3, email: 'Anna@Example.org' }, action: 'delete' },
        { service: 'astakos', table: 'auth_user', pk: { id: 4 }, row: { id: 4, email: 'same@example.org' }, action: 'delete' },
        { service: 'astakos', table: 'im_astakosuser', pk: { user_ptr_id: 4 }, row: { user_ptr_id: 4 }, action: 'delete' },
      ]);
      assert.ok(killed);
      const resumed = state.startRun({ command: 'snf-upgrade run 2.2' });
      state.markRunning('2.2', resumed);
      state.recordBatch('2.2', 'users 2', 2, 'astakos');
      state.log('2.2', 'info', 'same@example.org: keeping #9 same@example.org (answers file); deleting #4 same@example.org');
      state.markDone('2.2', ['deleted 2 astakos user(s)']);
      state.endRun(resumed, 'completed');
      for (let i = 0; i < 250; i++) state.log(null, 'info', `event ${i}`);

      const r = buildReport(state, []);
      const md = reportMarkdown(r);
      assert.match(md, /^- anna@example\.org: kept #7 anna@example\.org; deleted #3 Anna@Example\.org \(by hand in the wizard, 2026-01-10T\S+\)$/m);
      assert.match(md, /^- same@example\.org: kept #9 same@example\.org; deleted #4 same@example\.org \(answers file, /m);
      assert.match(md, /^- left@example\.org: delete \(left@example\.org is unknown to astakos\) \(suggestion accepted, /m);
      assert.match(md, /^- #1 snf-upgrade wizard \(\S+, pid \d+\), \S+ → …: never ended: killed or crashed; committed 2\.2: 3 row\(s\) in 1 batch\(es\)$/m);
      assert.match(md, /^- #2 snf-upgrade run 2\.2 \(\S+, pid \d+\), \S+ → \S+: completed; committed 2\.2: 2 row\(s\) in 1 batch\(es\)$/m);
      assert.match(md, /- committed in all: 5 row\(s\) in 2 batch\(es\) over 2 attempt\(s\)/);
      assert.match(md, /Every event, oldest first \(251\)/);

      const json = JSON.parse([...reportJsonLines(r)].join('\n')) as { events: unknown[]; userGroups: unknown[]; sessions: unknown[] };
      assert.equal(json.events.length, 251, 'every event, not the last 200');
      assert.equal(json.userGroups.length, 2);
      assert.equal(json.sessions.length, 2);
    } finally {
      state.close();
    }
  });
});
