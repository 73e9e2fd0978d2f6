// The text both front ends print the same way: check lines, errors, durations, the version.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CheckFailed, UserError } from '../../src/errors.js';
import { checkLine, checkLines, describeError, formatEta, shortTime, zoneLabel } from '../../src/format.js';
import { VERSION } from '../../src/version.js';

describe('shared formatting', () => {
  test('a check as text, as a summary line and on the wizard\'s screen', () => {
    const failed = { label: 'astakos at 0.13', ok: false, detail: 'still 0.12.5' };
    const advisory = { label: 'memcached reachable', ok: false, advisory: true, detail: 'another host' };
    assert.equal(checkLine(failed), '✗ astakos at 0.13: still 0.12.5');
    assert.equal(checkLine(failed, 'label'), '✗ astakos at 0.13');
    assert.equal(checkLine(failed, 'screen'), '✗ astakos at 0.13 (still 0.12.5)');
    assert.equal(checkLine(advisory, 'screen'), '! memcached reachable (another host) [advisory: does not block c]');
    assert.deepEqual(checkLines([{ label: 'ok', ok: true }, advisory]), ['✓ ok', '! memcached reachable: another host']);
  });

  test('an operator\'s error keeps its next action and details, secrets scrubbed', () => {
    const e = describeError(new CheckFailed('cannot reach postgres://admin:hunter2@db1/astakos', 'check the server').withDetails(['tried postgres://admin:hunter2@db2/pithos']), 'unused');
    assert.equal(e.unexpected, false);
    assert.doesNotMatch(JSON.stringify(e), /hunter2/);
    assert.equal(e.next, 'check the server');
    assert.equal(e.details.length, 1);
  });

  test('an unexpected error is one scrubbed line with the caller\'s next action', () => {
    const e = describeError(new Error('boom at postgres://u:secret@h/db\n    at somewhere (x.ts:1:1)'), 'run status');
    assert.equal(e.unexpected, true);
    assert.match(e.text, /^unexpected error: boom at /);
    assert.doesNotMatch(e.text, /secret|\n/);
    assert.deepEqual([e.next, e.details], ['run status', []]);
    assert.equal(describeError(new UserError('x', 'y'), 'z').text, 'x');
  });

  test('durations and times', () => {
    assert.equal(formatEta(3725.4), '1:02:05');
    const d = new Date('2026-12-07T16:42:58.123Z');
    const p2 = (n: number) => String(n).padStart(2, '0');
    assert.equal(shortTime(d.toISOString()), `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}`, 'local time');
    const at = (offset: number) => ({ getTimezoneOffset: () => offset }) as Date;
    assert.deepEqual([zoneLabel(at(0)), zoneLabel(at(-120)), zoneLabel(at(210))], ['UTC', 'UTC+02:00', 'UTC-03:30']);
    assert.equal(shortTime(null), '');
  });

  test('the version is package.json\'s', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
