// The source files of src/, as the layout and SQL tests read them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir = SRC): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** A path relative to src/, with forward slashes. */
export const rel = (p: string): string => relative(SRC, p).replace(/\\/g, '/');

/** Every .ts/.tsx file under src/: its path relative to src/ and its text. */
export const sourceFiles = (): Array<{ path: string; text: string }> => sources().map((p) => ({ path: rel(p), text: readFileSync(p, 'utf8') }));
