// The answers file is checked when it is read: every step, key and value against the
// runbook's per-step parsers, one line naming what is wrong.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HeadlessAsker, loadAnswers } from '../../src/cli/asker.js';
import { AnswerError } from '../../src/core/answers.js';
import { EXIT, UserError } from '../../src/errors.js';
import { answerKeys } from '../../src/runbook/answers.js';
import { STEPS } from '../../src/runbook/steps.js';
import { cleanupAll, tempDir } from '../support.js';

after(cleanupAll);

const dir = tempDir('answers-');
let n = 0;
function answersFile(content: unknown): string {
  const file = join(dir, `answers-${n++}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The UserError loadAnswers throws for CONTENT: exit 2, one line. */
function refused(content: unknown): UserError {
  try {
    loadAnswers(answersFile(content));
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
    assert.equal(e.exitCode, EXIT.usage);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.ok(e.next.length > 0, 'names a next step');
    return e;
  }
  assert.fail(`expected ${JSON.stringify(content)} to be refused`);
}

const extra = answersFile('5000000 pithos.diskspace 00000000-0000-4000-8000-000000000001\n');
const UUID = '00000000-0000-4000-8000-000000000007';

/** A file answering every key of every step, well formed. */
const GOOD = {
  1: { 'ignore-sessions': false, 'dump-astakos': '/srv/backups/snf_apps-step1.dump' },
  2.2: { survivors: { 'Foo@Example.org': 12 }, confirm: '3' },
  5: { services: { cyclades: { resources: [{ name: 'vm', group: 'compute', uplimit: 3 }] } }, 'lower-defaults': true, 'rename-pithos': true },
  6.1: { sets: { 'a@x.gr': { merge: 'A@x.gr' }, 'b@x.gr': { delete: ['B@x.gr'] } }, confirm: 'delete' },
  6.2: { sets: { 'c@x.gr': 'C@x.gr' }, unknown: { 'old@x.gr': 'keep' } },
  6.3: { unknown: { 'gone@x.gr': 'delete', 12: 'keep', 'moved@x.gr': UUID } },
  6.4: { unknown: 'keep', statistics: 'recompute' },
  7.1: { file: extra },
  7.2: { file: [extra] },
};

describe('answers file: checked when read', () => {
  it('a file answering every step passes, as it is', () => {
    const file = answersFile(GOOD);
    assert.deepEqual(loadAnswers(file), JSON.parse(JSON.stringify(GOOD)));
  });

  it('an unknown step is refused, naming the steps there are', () => {
    const e = refused({ 2.3: { confirm: true } });
    assert.match(e.message, /: there is no step "2\.3" \(steps are 1, 2\.1, /);
  });

  it('a misspelt key is refused, naming the nearest known key', () => {
    const e = refused({ 2.2: { survivor: { 'a@b.c': 1 } } });
    assert.match(e.message, /: step 2\.2 has no answer "survivor" \(did you mean "survivors"\?\)$/);
    assert.equal(e.next, 'write "survivors" instead');
    assert.match(refused({ 6.4: { statistic: 'keep' } }).message, /did you mean "statistics"/);
    assert.match(refused({ 1: { 'ignore-session': true } }).message, /did you mean "ignore-sessions"/);
  });

  it('a key no step of that kind reads is refused, listing the step\'s keys', () => {
    const e = refused({ 6.3: { survivors: { 'a@b.c': 1 } } });
    assert.match(e.message, /step 6\.3 has no answer "survivors"$/);
    assert.match(e.next, /"unknown"/);
    assert.match(e.next, /"ignore-sessions"/);
    // a key of another step is no key of this one
    assert.match(refused({ 6.1: { statistics: 'keep' } }).message, /step 6\.1 has no answer "statistics"/);
  });

  it('the keys every step accepts: ignore-sessions (true/false) and confirm (true/false or the typed word)', () => {
    for (const def of STEPS) {
      assert.ok(answerKeys(def.id)!['ignore-sessions'], def.id);
      assert.ok(answerKeys(def.id)!.confirm, def.id);
    }
    assert.match(refused({ 1: { 'ignore-sessions': 'maybe' } }).message, /: "1"\."ignore-sessions" must be true or false, not "maybe"$/);
    assert.match(refused({ 6.3: { confirm: 5 } }).message, /: "6\.3"\."confirm" must be true or false, not 5$/);
    assert.match(refused({ 6.3: { confirm: '' } }).message, /"confirm" must be true or false/);
  });

  it('step 1: the path of each dump made on the database host', () => {
    assert.match(refused({ 1: { 'dump-pithos': '  ' } }).message, /"1"\."dump-pithos" must be a non-empty string \(path of the dump made on the database host\)/);
    assert.match(refused({ 1: { 'dump-mysql': 'x' } }).message, /step 1 has no answer "dump-mysql"/);
    assert.match(refused({ 1: { 'external-backup-astakos': 'x' } }).message, /step 1 has no answer "external-backup-astakos"/);
  });

  it('step 2.2: survivors map emails to user ids', () => {
    assert.match(refused({ 2.2: { survivors: [12] } }).message, /: "2\.2"\."survivors" must map emails to user ids$/);
  });

  it('step 5: the services definitions and the two confirmations', () => {
    assert.match(refused({ 5: { services: 'all' } }).message, /the answer "5"\.services is not usable: not an object of services/);
    assert.match(refused({ 5: { services: { cyclades: { resources: [{ name: 'vm', uplimit: 'lots' }] } } } }).message,
      /the answer "5"\.services: cyclades\.vm: uplimit must be a whole number/);
    assert.match(refused({ 5: { 'lower-defaults': 'yes' } }).message, /"5"\."lower-defaults" must be true or false, not "yes"/);
  });

  it('steps 6.1 and 6.2: sets map set keys to a merge or a delete, in each step\'s words', () => {
    assert.match(refused({ 6.1: { sets: 'merge all' } }).message, /: "6\.1"\."sets" must map set keys to \{"merge": "<identifier>"\}/);
    assert.match(refused({ 6.2: { sets: ['x'] } }).message, /: "6\.2"\."sets" must map set keys to \{"merge": "<account>"\}/);
    assert.match(refused({ 6.1: { sets: { 'a@x.gr': 42 } } }).message, /: "6\.1"\."sets"\."a@x\.gr": expected \{"merge": "<identifier>"\}/);
    assert.match(refused({ 6.2: { sets: { 'a@x.gr': { delete: [1] } } } }).message, /"6\.2"\."sets"\."a@x\.gr": expected/);
  });

  it('steps 6.2, 6.3 and 6.4: what becomes of unknown identifiers', () => {
    assert.match(refused({ 6.2: { unknown: 'maybe' } }).message, /"6\.2"\."unknown" must be "keep", "delete", or an object/);
    assert.match(refused({ 6.2: { unknown: { 'x@y.z': 'drop' } } }).message, /"6\.2"\."unknown" for x@y\.z must be "keep" or "delete"/);
    assert.match(refused({ 6.3: { unknown: 'delete' } }).message, /"6\.3"\."unknown" must map identifiers to "delete", "keep" or an astakos uuid/);
    assert.match(refused({ 6.3: { unknown: { 'x@y.z': 'drop' } } }).message, /"6\.3"\."unknown"\."x@y\.z": "drop" is not "delete", "keep" or a uuid/);
    assert.match(refused({ 6.4: { unknown: 'delete' } }).message, /"6\.4"\."unknown" must be "keep" or an object of account → "keep"/);
    assert.match(refused({ 6.4: { statistics: 'redo' } }).message, /: "6\.4"\."statistics" must be "recompute" or "keep"$/);
  });

  it('steps 7.1 and 7.2: extra quota files must be file names that exist', () => {
    assert.match(refused({ 7.1: { file: 3 } }).message, /the answer "7\.1"\.file must be a file name or a list of file names/);
    assert.match(refused({ 7.2: { file: [join(dir, 'nowhere.txt')] } }).message, /quota file .*nowhere\.txt \(answer "7\.2"\.file\) does not exist/);
  });

  it('the file\'s own shape: JSON, an object of steps, each an object of answers', () => {
    assert.match(refused('{"1": ').message, /is not valid JSON/);
    assert.match(refused([1]).message, /the top level must be a JSON object of step ids$/);
    assert.match(refused({ 1: [true] }).message, /: "1" must be an object of answers/);
  });
});

describe('headless asker: the steps read parsed answers', () => {
  it('gives each step its parsed value (survivors keyed by lower-case email, sets as decisions)', () => {
    const asker = new HeadlessAsker(loadAnswers(answersFile(GOOD)));
    const survivors = asker.answer('2.2', 'survivors') as Map<string, unknown>;
    assert.deepEqual([...survivors], [['foo@example.org', 12]]);
    const sets = asker.answer('6.1', 'sets') as Map<string, unknown>;
    assert.deepEqual(sets.get('b@x.gr'), { action: 'delete', delete: ['B@x.gr'] });
    assert.deepEqual(asker.answer('7.2', 'file'), [extra]);
    assert.equal(asker.answer('6.4', 'statistics'), 'recompute');
    assert.equal(asker.answer('6.4', 'nothing'), undefined);
  });

  it('checks answers given directly too, when the step reads them', () => {
    const asker = new HeadlessAsker({ 6.4: { statistics: 'redo' } });
    assert.throws(() => asker.answer('6.4', 'statistics'), (e: unknown) => e instanceof AnswerError
      && e.message === 'answers file: "6.4"."statistics" must be "recompute" or "keep"' && e.exitCode === EXIT.usage);
  });

  it('confirms from a boolean or the typed word', async () => {
    const asker = new HeadlessAsker({ 6.1: { confirm: 'delete' }, 6.2: { confirm: true } });
    assert.equal(await asker.confirm({ step: '6.1', key: 'confirm', message: 'go?', typeToConfirm: 'delete', dangerous: true }), true);
    assert.equal(await asker.confirm({ step: '6.2', key: 'confirm', message: 'go?', typeToConfirm: '3', dangerous: true }), true);
  });
});
