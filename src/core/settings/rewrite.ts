// Rewrites the keys of a dict literal in a settings file (VMS_USER_QUOTA emails → uuids)
// by editing only the key (and, for merged duplicates, value) tokens: everything else —
// comments, layout, quoting, other settings — stays byte for byte.
import { chmodSync, chownSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SyntaxNode } from '@lezer/common';
import { UserError } from '../../errors.js';
import { readDictNode } from './evaluate.js';
import { parseSettings } from './parse.js';
import { parseSource, positionOf, SettingsError } from './syntax.js';
import { formatPyValue, keyId, pyEquals, pyString, PyDict, type PyValue, type Range } from './values.js';

/** Combines the values of two keys that become one (e.g. the larger quota). */
export type MergeFn = (a: PyValue, b: PyValue, key: string) => PyValue;

export interface RewriteOptions {
  /** For messages. */
  file?: string;
  /** How to combine values of keys that map to the same new key; without it they must be equal. */
  merge?: MergeFn;
}

export type DictKeyChange =
  | { kind: 'renamed'; line: number; from: string; to: string }
  | { kind: 'dropped'; line: number; key: string; value: PyValue | undefined }
  | {
    kind: 'merged'; line: number; to: string;
    /** The entries that became one, in file order (the first keeps its place). */
    from: { key: string; value: PyValue; line: number }[];
    value: PyValue;
  };

export interface RewriteResult {
  text: string;
  changed: boolean;
  /** Whether the file assigns NAME at all. */
  found: boolean;
  changes: DictKeyChange[];
}

interface Edit extends Range {
  insert: string;
}

/** Python source for a string key, in the quoting style of ORIGINAL (the old key's token). */
function requote(original: SyntaxNode, text: string, value: string): string {
  const first = original.name === 'ContinuedString' && original.firstChild ? original.firstChild : original;
  const token = text.slice(first.from, first.to);
  let prefix = '';
  let i = 0;
  while (i < token.length && token[i] !== "'" && token[i] !== '"') {
    const ch = token[i++]!;
    if (ch === 'u' || ch === 'U') prefix += ch;
  }
  const q = token[i] === '"' ? '"' : "'";
  return prefix + pyString(value, q);
}

function findNode(root: SyntaxNode, range: Range, name: string): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  root.cursor().iterate((ref) => {
    if (found || ref.to < range.from || ref.from > range.to) return false;
    if (ref.name === name && ref.from === range.from && ref.to === range.to) {
      found = ref.node;
      return false;
    }
    return undefined;
  });
  return found;
}

/** Text after POS up to the end of its line is blank. */
function restOfLineBlank(text: string, pos: number): number | undefined {
  const nl = text.indexOf('\n', pos);
  const end = nl < 0 ? text.length : nl;
  return text.slice(pos, end).trim() === '' ? (nl < 0 ? text.length : nl + 1) : undefined;
}

/**
 * Replaces the string keys of the dict literal(s) assigned to NAME in TEXT: MAPPING returns
 * the new key, or null to drop the entry. Keys that end up equal are merged into the first
 * one's place with OPTIONS.merge (reported). Throws SettingsError when NAME is set in a form
 * the tool cannot edit, UserError when equal keys have different values and no merge is given.
 */
export function rewriteDictKeys(text: string, name: string,
  mapping: (key: string, value: PyValue | undefined) => string | null,
  options: RewriteOptions = {}): RewriteResult {
  const file = options.file ?? '<settings>';
  const parsed = parseSettings(text, file);
  const mine = parsed.assignments.filter((a) => a.name === name);
  if (!mine.length) return { text, changed: false, found: false, changes: [] };
  for (const a of mine) {
    if (!a.dictLiteral || !a.valueRange) {
      throw new SettingsError(`${file}:${a.line}: ${name} is not a plain dict literal (${a.unsupported ?? 'another kind of value'}); the tool cannot rewrite it`,
        `edit ${name} by hand, or make it a plain {…} literal and run again`, file, a.line, a.col);
    }
  }
  const src = parseSource(text, file);
  const edits: Edit[] = [];
  const deletions: Range[] = [];
  const changes: DictKeyChange[] = [];
  const expected: Map<string, PyValue | undefined>[] = [];

  for (const a of mine) {
    const node = findNode(src.tree.topNode, a.valueRange!, 'DictionaryExpression');
    if (!node) throw new Error(`internal: no dict node for ${name} at ${file}:${a.line}`);
    const entries = readDictNode(src, node);
    const groups = new Map<string, number[]>();
    const newKeys: (string | null | undefined)[] = entries.map((e, i) => {
      if (typeof e.key !== 'string') return undefined;
      const to = mapping(e.key, e.value);
      if (to !== null) {
        const g = groups.get(to);
        if (g) g.push(i);
        else groups.set(to, [i]);
      }
      return to;
    });
    const lineOf = (n: SyntaxNode): number => positionOf(src.lineStarts, n.from).line;
    const drop = (i: number): void => {
      deletions.push(entryRemoval(text, entries, i));
    };
    const want = new Map<string, PyValue | undefined>();
    for (const e of entries) if (typeof e.key !== 'string' && e.key !== undefined) want.set(keyId(e.key), e.value);

    entries.forEach((e, i) => {
      if (newKeys[i] === null) {
        drop(i);
        changes.push({ kind: 'dropped', line: lineOf(e.keyNode), key: e.key as string, value: e.value });
      }
    });
    for (const [to, members] of groups) {
      const keeper = entries[members[0]!]!;
      if (members.length === 1) {
        if (keeper.key !== to) {
          edits.push({ from: keeper.keyNode.from, to: keeper.keyNode.to, insert: requote(keeper.keyNode, text, to) });
          changes.push({ kind: 'renamed', line: lineOf(keeper.keyNode), from: keeper.key as string, to });
        }
        want.set(keyId(to), keeper.value);
        continue;
      }
      const from = members.map((i) => {
        const e = entries[i]!;
        if (e.value === undefined) {
          const line = lineOf(e.keyNode);
          throw new SettingsError(`${file}:${line}: ${name} entry ${pyString(e.key as string)} must be merged into ${pyString(to)}, but its value is not a literal (${e.reason})`,
            `merge the entries of ${name} by hand and run again`, file, line);
        }
        return { key: e.key as string, value: e.value, line: lineOf(e.keyNode) };
      });
      let merged: PyValue;
      if (options.merge) {
        const merge = options.merge;
        merged = from.slice(1).reduce<PyValue>((acc, f) => merge(acc, f.value, to), from[0]!.value);
      } else if (from.every((f) => pyEquals(f.value, from[0]!.value))) {
        merged = from[0]!.value;
      } else {
        throw new UserError(
          `${file}: ${name} entries ${from.map((f) => `${pyString(f.key)} (line ${f.line}: ${formatPyValue(f.value)})`).join(', ')} all become ${pyString(to)} with different values`,
          'choose how to merge them (e.g. keep the largest) and run again');
      }
      if (keeper.key !== to) edits.push({ from: keeper.keyNode.from, to: keeper.keyNode.to, insert: requote(keeper.keyNode, text, to) });
      if (!pyEquals(merged, keeper.value!)) {
        const same = members.map((i) => entries[i]!).find((e) => pyEquals(e.value!, merged));
        edits.push({
          from: keeper.valueNode.from, to: keeper.valueNode.to,
          insert: same ? text.slice(same.valueNode.from, same.valueNode.to) : formatPyValue(merged),
        });
      }
      members.slice(1).forEach(drop);
      changes.push({ kind: 'merged', line: lineOf(keeper.keyNode), to, from, value: merged });
      want.set(keyId(to), merged);
    }
    expected.push(want);
  }

  const out = applyEdits(text, edits, deletions);
  if (out !== text) selfCheck(out, name, file, expected);
  changes.sort((x, y) => x.line - y.line);
  return { text: out, changed: out !== text, found: true, changes };
}

/** The text to delete to drop entry I: its whole line(s) when it stands alone, else inline. */
function entryRemoval(text: string, entries: ReturnType<typeof readDictNode>, i: number): Range {
  const e = entries[i]!;
  const start = e.keyNode.from;
  const last = e.comma ?? e.valueNode;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  if (text.slice(lineStart, start).trim() === '') {
    // A comment on the same line belongs to the entry.
    let end = last.to;
    const next = last.nextSibling;
    if (next?.name === 'Comment' && !text.slice(end, next.from).includes('\n')) end = next.to;
    const lineEnd = restOfLineBlank(text, end);
    if (lineEnd !== undefined) return { from: lineStart, to: lineEnd };
  }
  if (e.comma) {
    let to = e.comma.to;
    while (text[to] === ' ' || text[to] === '\t') to++;
    return { from: start, to };
  }
  const prev = entries[i - 1];
  if (prev?.comma) return { from: prev.comma.from, to: e.valueNode.to };
  return { from: start, to: e.valueNode.to };
}

function applyEdits(text: string, edits: Edit[], deletions: Range[]): string {
  const dels = [...deletions].sort((a, b) => a.from - b.from);
  const merged: Range[] = [];
  for (const d of dels) {
    const top = merged[merged.length - 1];
    if (top && d.from <= top.to) top.to = Math.max(top.to, d.to);
    else merged.push({ ...d });
  }
  const all: Edit[] = [...edits, ...merged.map((d) => ({ ...d, insert: '' }))].sort((a, b) => b.from - a.from);
  let out = text;
  let limit = Infinity;
  for (const e of all) {
    if (e.to > limit) throw new Error('internal: overlapping settings edits');
    out = out.slice(0, e.from) + e.insert + out.slice(e.to);
    limit = e.from;
  }
  return out;
}

function selfCheck(out: string, name: string, file: string, expected: Map<string, PyValue | undefined>[]): void {
  let after;
  try {
    after = parseSettings(out, file).assignments.filter((a) => a.name === name);
  } catch (err) {
    throw new Error(`internal: rewriting ${name} produced invalid Python (${(err as Error).message})`);
  }
  const fail = (why: string): never => {
    throw new Error(`internal: rewriting ${name} in ${file} went wrong (${why}); nothing was written`);
  };
  if (after.length !== expected.length) fail('assignment count');
  after.forEach((a, i) => {
    const want = expected[i]!;
    const entries = parsed(a.value, out, a.valueRange);
    if (entries.size !== want.size) fail(`${entries.size} keys instead of ${want.size}`);
    for (const [k, v] of want) {
      if (!entries.has(k)) fail('a key is missing');
      const got = entries.get(k);
      if (v !== undefined && (got === undefined || !pyEquals(got, v))) fail('a value changed');
    }
  });
}

/** Key id → value of the dict literal at RANGE (values that are not literals map to undefined). */
function parsed(value: PyValue | undefined, text: string, range: Range | undefined): Map<string, PyValue | undefined> {
  const out = new Map<string, PyValue | undefined>();
  if (value instanceof PyDict) {
    for (const [k, v] of value.items()) out.set(keyId(k), v);
    return out;
  }
  const src = parseSource(text, '<check>');
  const node = range && findNode(src.tree.topNode, range, 'DictionaryExpression');
  if (!node) return out;
  for (const e of readDictNode(src, node)) if (e.key !== undefined) out.set(keyId(e.key), e.value);
  return out;
}

/**
 * Writes NEWTEXT beside FILE (FILE + SUFFIX) with FILE's mode (and owner, when running as
 * root), atomically. Returns the new file's path.
 */
export function writeBeside(file: string, newText: string, suffix = '.snf-upgrade-new'): string {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new UserError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      'check the settings folder in the configuration and run again');
  }
  const target = `${file}${suffix}`;
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const mode = st.mode & 0o7777;
  try {
    writeFileSync(tmp, newText, { mode });
    chmodSync(tmp, mode);
    if (process.getuid?.() === 0) chownSync(tmp, st.uid, st.gid);
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch { /* not created */ }
    throw new UserError(`cannot write ${target} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      `make ${dirname(target)} writable by this user and run again`);
  }
  return target;
}
