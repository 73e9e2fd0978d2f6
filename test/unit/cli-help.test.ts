// `snf-upgrade --help`, `help [COMMAND]` and `COMMAND --help`: an overview and a page per
// command, every line within 80 columns, each page with an example of its own command.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS } from '../../src/cli/help.js';
import { main } from '../../src/cli/main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += `${t}\n`; }, err: (t) => { err += `${t}\n`; }, isTTY: false });
  return { code, out, err };
}

const fits = (text: string) => {
  for (const l of text.split('\n')) assert.ok(l.length <= 80, `${l.length} columns: ${l}`);
};

describe('help', () => {
  test('the overview names every command in one line each', async () => {
    for (const argv of [['--help'], ['help'], ['-h']]) {
      const r = await cli(...argv);
      assert.equal(r.code, 0);
      fits(r.out);
      for (const name of Object.keys(COMMANDS).filter((n) => n !== 'wizard')) assert.match(r.out, new RegExp(`^  ${name} +\\S`, 'm'), name);
      assert.match(r.out, /snf-upgrade help COMMAND/);
    }
  });

  test('each command has its own page, the same by help COMMAND and COMMAND --help', async () => {
    for (const name of Object.keys(COMMANDS).filter((n) => n !== 'wizard' && n !== 'sandbox')) {
      const page = await cli('help', name);
      const flag = await cli(name, '--help');
      assert.equal(page.code, 0);
      assert.equal(flag.code, 0, `${name} --help: ${flag.err}`);
      assert.equal(flag.out, page.out, name);
      fits(page.out);
      assert.match(page.out, new RegExp(`^usage: snf-upgrade ${name}\\b`, 'm'));
      assert.match(page.out, new RegExp(`^examples?:\\n  snf-upgrade ${name}\\b`, 'm'), `${name}: an example of its own`);
    }
    const wizard = await cli('help', 'wizard');
    fits(wizard.out);
    assert.match(wizard.out, /^usage: snf-upgrade \[--config FILE\]/m);
  });

  test('help for a command that does not exist is a usage error', async () => {
    const r = await cli('help', 'nope');
    assert.equal(r.code, 2);
    assert.match(r.err, /no command "nope"/);
    assert.match(r.err, /next: snf-upgrade help lists the commands/);
  });
});
