// The syntax side of settings files: @lezer/python's tree, with the Python 2 forms the
// Python 3 grammar lacks blanked out, and the first syntax error as file:line:col.
import type { Tree, SyntaxNode } from '@lezer/common';
import { parser } from '@lezer/python';
import { UserError } from '../../errors.js';
import { decodeString, isQuote } from './literals.js';

export class SettingsError extends UserError {
  constructor(message: string, next = 'fix the file and run again',
    readonly file?: string, readonly line?: number, readonly col?: number) {
    super(message, next);
    this.name = 'SettingsError';
  }
}

export interface Source {
  file: string;
  /** The text as written. */
  text: string;
  /** The text the tree was built from: same length, Python-2-only bits blanked. */
  parsed: string;
  lineStarts: number[];
  tree: Tree;
  /** Offsets of strings written ur'…' (the u was blanked for the Python 3 grammar). */
  unicodeRaw: Set<number>;
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

export function positionOf(lineStarts: number[], offset: number): { line: number; col: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - lineStarts[lo]! + 1 };
}

const isIdentChar = (ch: string | undefined): boolean =>
  ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch === '_');

/**
 * Parses TEXT with the Python 3 grammar. Two Python 2 forms it does not know are blanked
 * (same length, so offsets hold): the long suffix of `10L` and the u of `ur'…'`.
 * Throws SettingsError at the first syntax error.
 */
export function parseSource(text: string, file: string): Source {
  const chars = text.split('');
  const unicodeRaw = new Set<number>();
  // A UTF-8 byte order mark is allowed by Python 2; the grammar would read it as a name.
  const bom = text.startsWith('\uFEFF');
  if (bom) chars[0] = ' ';
  let parsed = chars.join('');
  let tree = parser.parse(parsed);
  for (let round = 0; round < 4; round++) {
    let patched = false;
    tree.iterate({
      enter(n) {
        if (n.name === 'Number') {
          const next = chars[n.to];
          const body = parsed.slice(n.from, n.to).toLowerCase();
          if ((next === 'L' || next === 'l') && !isIdentChar(chars[n.to + 1])
            && !body.includes('.') && !body.includes('j') && (body.startsWith('0x') || !body.includes('e'))) {
            chars[n.to] = ' ';
            patched = true;
          }
        } else if (n.name === 'VariableName' && n.to - n.from === 2
          && parsed.slice(n.from, n.to).toLowerCase() === 'ur' && isQuote(chars[n.to])) {
          chars[n.from] = ' ';
          unicodeRaw.add(n.from + 1);
          patched = true;
        }
      },
    });
    if (!patched) break;
    parsed = chars.join('');
    tree = parser.parse(parsed);
  }
  const src: Source = { file, text, parsed, lineStarts: lineStartsOf(text), tree, unicodeRaw };
  const problem = firstSyntaxError(src);
  if (problem) {
    const { line, col } = positionOf(src.lineStarts, problem.at);
    throw new SettingsError(`${file}:${line}:${col}: ${problem.cause}`, 'fix the file and run again', file, line, col);
  }
  return src;
}

const CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

function firstSyntaxError(src: Source): { at: number; cause: string } | undefined {
  let best: { at: number; cause: string } | undefined;
  const offer = (at: number, cause: string): void => {
    if (!best || at < best.at) best = { at, cause };
  };
  src.tree.iterate({
    enter(ref) {
      if (best && ref.from > best.at) return false;
      if (ref.type.isError) {
        offer(...errorCause(src, ref.node));
        return false;
      }
      if (ref.name === 'String') {
        const r = decodeString(src.parsed.slice(ref.from, ref.to), src.unicodeRaw.has(ref.from));
        if ('error' in r) offer(ref.from, r.error);
      }
      return undefined;
    },
  });
  // Python refuses an indented top-level statement; the lezer grammar lets it through.
  for (let n = src.tree.topNode.firstChild; n; n = n.nextSibling) {
    if (n.name === 'Comment') continue;
    const { line, col } = positionOf(src.lineStarts, n.from);
    const before = src.text.slice(src.lineStarts[line - 1]!, n.from);
    if (col > 1 && before.trim() === '' && before !== '\uFEFF') {
      offer(n.from, 'unexpected indent');
    }
  }
  return best;
}

function errorCause(src: Source, err: SyntaxNode): [number, string] {
  for (let p: SyntaxNode | null = err.parent; p; p = p.parent) {
    if (p.name === 'String') return [p.from, 'unterminated string'];
    const open = p.firstChild;
    if (open && CLOSER[open.name] && p.lastChild?.name !== CLOSER[open.name]) {
      return [open.from, `'${open.name}' is never closed`];
    }
    if (p.name === 'Script' || p.name === 'Body') break;
  }
  if (err.from >= src.text.length) return [err.from, 'unexpected end of file'];
  return [err.from, 'invalid syntax'];
}
