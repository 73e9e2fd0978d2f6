/** @jsxRuntime automatic @jsxImportSource react */
// Names with a decomposed accent, CJK and an emoji: every line of the conflict table fits the
// terminal in columns, no character is split, and the highlighted group's full email and reason
// are on the screen (80×24 and 60×20).
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import stringWidth from 'string-width';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import { whyLines } from '../../src/ui/components/ConflictTable.js';
import { WHY_ROWS } from '../../src/ui/conflicts/model.js';
import { cell, cut, cutLeft, wrap } from '../../src/ui/format.js';
import { fakeBackend, syntheticGroups } from '../helpers/fake-backend.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = new Date().toISOString();
const ACCENT = 'Dimitra.Ge\u0301orgiou@ECE.UPATRAS.GR.example-university.net';
const CJK = '王小明.研究室@大学.example.org';
const EMOJI = 'alex👩‍💻.dev@lab.example.org';
/** The line matching START and its continuation lines (indented 9), trimmed. */
function following(lines: string[], start: RegExp): string[] {
  const at = lines.findIndex((l) => start.test(l));
  if (at < 0) return [];
  const out = [lines[at]!.trim()];
  for (let i = at + 1; i < lines.length && /^ {9}\S/.test(lines[i]!); i++) out.push(lines[i]!.trim());
  return out;
}
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('widths in terminal columns', () => {
  test('cut, cell, cutLeft and wrap count columns and keep graphemes whole', () => {
    for (const s of [ACCENT, CJK, EMOJI]) {
      for (let w = 1; w < stringWidth(s) + 2; w++) {
        const c = cell(s, w);
        assert.equal(stringWidth(c), w, `cell(${s}, ${w}) = ${c}`);
        assert.ok(stringWidth(cut(s, w)) <= w && stringWidth(cutLeft(s, w)) <= w);
        assert.doesNotMatch(cut(s, w) + cutLeft(s, w), LONE_SURROGATE);
        for (const part of wrap(s, Math.max(2, w))) assert.ok(stringWidth(part) <= Math.max(2, w), `wrap(${s}, ${w}): ${part}`);
      }
    }
    assert.equal(cut(EMOJI, 6), 'alex…', 'the emoji (2 columns, a joined sequence) is not split');
    assert.equal(cut(ACCENT, 11), 'Dimitra.Ge\u0301…', 'the accent stays on its letter');
  });

  test('once another survivor is chosen, the why line says so', () => {
    const [g] = syntheticGroups(1, 3);
    const other = g!.users.find((u) => u.id !== g!.suggested)!.id;
    const lines = whyLines(g!, new Map([[g!.key, { value: String(other), source: 'operator' as const }]]), 80);
    assert.match(lines.join(' '), new RegExp(`#${other} chosen; the suggestion was #${g!.suggested}: ${g!.reasons[0]}`));
    assert.ok(lines.length <= WHY_ROWS);
  });

  for (const size of [{ columns: 80, rows: 24 }, { columns: 60, rows: 20 }]) {
    test(`home, a done step's summary and the report at ${size.columns}×${size.rows}`, async () => {
      const found = [`${ACCENT}: #1 ${ACCENT}, #2 ${ACCENT.toUpperCase()} — suggested #1`, `${CJK}: #3 ${CJK}, #4 ${CJK} — suggested #4`, `${EMOJI}: #5 ${EMOJI}, #6 ${EMOJI} — suggested #6`];
      const b = fakeBackend({
        records: { '1': { status: 'done', finishedAt: now, summary: [`3 backups: ${CJK}`] }, '2.1': { status: 'done', finishedAt: now, summary: found } },
      });
      const r = render(<App backend={b} size={size} onExit={() => undefined} />);
      const frames: string[] = [];
      const grab = async (text: string): Promise<void> => {
        const end = Date.now() + 5000;
        while (!(r.lastFrame() ?? '').includes(text)) {
          if (Date.now() > end) assert.fail(`timed out waiting for ${text}:\n${r.lastFrame()}`);
          await wait(5);
        }
        await wait(30);
        frames.push(r.lastFrame() ?? '');
      };
      await grab('enter continue');
      r.stdin.write('k');
      await grab('enter open 2.1');
      r.stdin.write('\r');
      await grab('Done');
      for (let k = 0; k < 12; k++) { r.stdin.write('j'); await wait(10); }
      await grab('Done');
      r.stdin.write('\u001B');
      await grab('r report');
      r.stdin.write('r');
      await grab('Report');
      const step = frames[2]! + frames[3]!;
      assert.ok(step.includes('王小明') && step.includes('👩‍💻'), `the step's summary carries the names:\n${step}`);
      for (const f of frames) {
        const lines = f.split('\n');
        assert.ok(lines.length <= size.rows, `${lines.length} lines:\n${f}`);
        for (const l of lines) {
          assert.ok(stringWidth(l) <= size.columns, `wider than ${size.columns}: ${l}`);
          assert.doesNotMatch(l, LONE_SURROGATE);
        }
      }
      cleanup();
    });

    afterEach(() => cleanup());
    test(`the conflict table at ${size.columns}×${size.rows}`, async () => {
      const groups = syntheticGroups(3, 7);
      const emails = [ACCENT, CJK, EMOJI];
      groups.forEach((g, i) => {
        g.users.forEach((u, k) => { u.email = k === 0 ? emails[i]! : emails[i]!.toUpperCase(); u.username = u.email; });
        g.key = emails[i]!.toLowerCase();
        g.reasons = ['active and verified', `most recent login (${now.slice(0, 10)} 12:00, ${g.users.length - 1} older)`];
      });
      const b = fakeBackend({
        records: { '1': { status: 'done', finishedAt: now, summary: ['ok'] }, '2.1': { status: 'done', finishedAt: now, summary: ['ok'] } },
        plans: { '2.2': { findings: { summary: [], data: { groups } }, plan: { summary: [], changes: [] } } },
      });
      const r = render(<App backend={b} size={size} onExit={() => undefined} />);
      const shows = async (text: string): Promise<string> => {
        const end = Date.now() + 5000;
        for (;;) {
          const f = r.lastFrame() ?? '';
          if (f.includes(text)) { await wait(30); return r.lastFrame() ?? f; }
          if (Date.now() > end) assert.fail(`timed out waiting for ${text}:\n${f}`);
          await wait(5);
        }
      };
      await shows('enter continue');
      r.stdin.write('\r');
      await shows('Open: 3');
      r.stdin.write('v');
      let f = await shows('Conflicts 3');
      for (let k = 0; k < 3; k++) {
        const lines = f.split('\n');
        assert.ok(lines.length <= size.rows, `${lines.length} lines`);
        for (const l of lines) {
          assert.ok(stringWidth(l) <= size.columns, `wider than ${size.columns}: ${l}`);
          assert.doesNotMatch(l, LONE_SURROGATE);
        }
        // the highlighted user's whole email on a line of its own, the whole reason on the why lines
        const cursor = /^ {3}› #(\d+) /m.exec(f)!;
        const user = groups.flatMap((g) => g.users).find((u) => u.id === Number(cursor[1]))!;
        const detail = following(lines, /^ {7}#\d+ /).join('');
        assert.ok(detail.startsWith(`#${user.id} ${user.email}`), `full email of #${user.id}:\n${f}`);
        const why = following(lines, /^ {7}why #/).join(' ');
        const group = groups.find((g) => g.users.includes(user))!;
        assert.equal(why, `why #${group.suggested}: ${group.reasons.join('; ')}`, f);
        r.stdin.write('\r');
        await wait(80);
        f = r.lastFrame() ?? '';
      }
    });
  }
});
