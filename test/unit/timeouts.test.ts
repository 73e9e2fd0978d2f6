// The tool's statement_timeout: read from SNF_UPGRADE_STATEMENT_TIMEOUT in PostgreSQL's syntax,
// generous by default, and a bad value is one line naming the variable.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { databaseFault } from '../../src/db/errors.js';
import { statementTimeoutMs } from '../../src/db/timeouts.js';

describe('statement timeout', () => {
  test('default 15 minutes; units as PostgreSQL writes them; a bare number is milliseconds; 0 leaves the server\'s', () => {
    assert.equal(statementTimeoutMs({}), 15 * 60_000);
    const of = (v: string) => statementTimeoutMs({ SNF_UPGRADE_STATEMENT_TIMEOUT: v });
    assert.deepEqual([of('90s'), of('30min'), of('2h'), of('1d'), of('250'), of('250ms'), of('0')], [90_000, 1_800_000, 7_200_000, 86_400_000, 250, 250, 0]);
  });

  test('a value that is not a duration is refused with one line naming the variable', () => {
    assert.throws(() => statementTimeoutMs({ SNF_UPGRADE_STATEMENT_TIMEOUT: 'forever' }), (e: unknown) =>
      e instanceof UserError && /^SNF_UPGRADE_STATEMENT_TIMEOUT="forever" is not a duration$/.test(e.message) && /90s, 30min or 2h/.test(e.next ?? ''));
  });

  test('a statement timeout names the setting and the variable that raises it', () => {
    const err = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    const fault = databaseFault(err, { service: 'pithos', step: '6.4', batch: '1 ("a")', setting: '15min', batchKnob: 'SNF_UPGRADE_PITHOS_BATCH' })!;
    assert.equal(fault.message, 'a statement in the pithos database ran longer than statement_timeout (15min) during 6.4, batch 1 ("a"); nothing of that batch was kept');
    assert.match(fault.next ?? '', /^raise it with SNF_UPGRADE_STATEMENT_TIMEOUT \(e\.g\. SNF_UPGRADE_STATEMENT_TIMEOUT=2h; 0 leaves the server's own setting\) or lower the batch size \(SNF_UPGRADE_PITHOS_BATCH\), then run the same command again/);
  });
});
