// The layering the code promises (README, "How the code is laid out"), read from the sources.
import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { rel, sourceFiles, SRC } from './sources.js';

const FILES = sourceFiles();

/** Relative imports of a file: value imports only (type-only ones vanish at run time). */
function imports(file: { path: string; text: string }, withTypes = false): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/gm;
  for (const m of file.text.matchAll(re)) {
    const spec = m[4] ?? m[5]!;
    if (!withTypes && m[2]) continue;
    // import { type A, type B } from … is type-only too.
    if (!withTypes && m[3] && /^\{[^}]*\}$/.test(m[3].trim()) && m[3].replace(/[{}\s]/g, '').split(',').filter(Boolean).every((n) => n.startsWith('type'))) continue;
    const target = rel(resolve(SRC, dirname(file.path), spec)).replace(/\.js$/, '');
    out.push(target);
  }
  return out;
}

const byModule = new Map(FILES.map((f) => [f.path.replace(/\.tsx?$/, ''), f]));

describe('code layout', () => {
  it('no quoted step id outside src/runbook and src/sandbox', () => {
    const dotted = /['"`](2\.[12]|3\.[1-6]|6\.[1-4]|7\.[12]|9\.[12])['"`]/;
    const plain = /(step\w*|Step\w*|STEP\w*|def)\s*(\(|:|=|===|!==)\s*['"`](1|4|5|8|10|11)['"`]/;
    const found: string[] = [];
    for (const f of FILES) {
      if (f.path.startsWith('runbook/') || f.path.startsWith('sandbox/')) continue;
      f.text.split('\n').forEach((line, i) => {
        if (dotted.test(line) || plain.test(line)) found.push(`${f.path}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(found, []);
  });

  it('src/ui imports nothing from db/, state/, cli/, sandbox/ or core internals', () => {
    const found: string[] = [];
    for (const f of FILES.filter((x) => x.path.startsWith('ui/'))) {
      for (const t of imports(f, true)) {
        if (/^(db|state|cli|sandbox)\//.test(t) || (t.startsWith('core/') && t !== 'core/step')) found.push(`${f.path} → ${t}`);
      }
    }
    assert.deepEqual(found, []);
  });

  it('no import cycle in src/', () => {
    const graph = new Map<string, string[]>();
    for (const [mod, f] of byModule) graph.set(mod, imports(f).filter((t) => byModule.has(t)));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (m: string): void => {
      state.set(m, 'open');
      stack.push(m);
      for (const t of graph.get(m) ?? []) {
        if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].join(' → '));
        else if (!state.has(t)) visit(t);
      }
      stack.pop();
      state.set(m, 'done');
    };
    for (const m of graph.keys()) if (!state.has(m)) visit(m);
    assert.deepEqual(cycles, []);
  });

  it('no SQL in src/runbook', () => {
    const sql = /\b(SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|ALTER\s+TABLE|DROP\s+TABLE)/;
    const found = FILES.filter((f) => f.path.startsWith('runbook/') && sql.test(f.text)).map((f) => f.path);
    assert.deepEqual(found, []);
  });

  it('no source file over 600 lines; the wizard\'s App at most about 200', () => {
    const long = FILES.filter((f) => f.text.split('\n').length > 600).map((f) => `${f.path}: ${f.text.split('\n').length}`);
    assert.deepEqual(long, []);
    const app = FILES.find((f) => f.path === 'ui/App.tsx')!;
    assert.ok(app.text.split('\n').length <= 220, `ui/App.tsx has ${app.text.split('\n').length} lines`);
  });
});
