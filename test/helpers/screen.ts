// Waiting on Ink frames in the screen tests: the terminal size they render at, and a wait for
// the first frame that shows a text (it returns as soon as one does).
import assert from 'node:assert/strict';
import type { render } from 'ink-testing-library';

export const SIZE = { columns: 80, rows: 24 };
export const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
export type Instance = ReturnType<typeof render>;

export async function shows(r: Instance, text: string | RegExp, timeout = 10_000): Promise<string> {
  const end = Date.now() + timeout;
  for (;;) {
    const f = r.lastFrame() ?? '';
    if (typeof text === 'string' ? f.includes(text) : text.test(f)) { await wait(30); return r.lastFrame() ?? f; }
    if (Date.now() > end) assert.fail(`timed out waiting for ${String(text)}; last frame:\n${f}`);
    await wait(10);
  }
}
