// Text helpers for the wizard's screens: fixed-width cells, numbers, sizes, times, wrapping.
// Everything here is pure and works on plain strings (the screens are 80 columns wide).
import stringWidth from 'string-width';
export { formatEta, rate, STATUS_SYMBOL, when, zoneLabel } from '../format.js';

/** Whether colour may be used (NO_COLOR set to anything non-empty turns it off). */
export const colorEnabled = (env: NodeJS.ProcessEnv = process.env): boolean => !env.NO_COLOR;

/** A colour name for Ink's <Text color>, or undefined when colour is off. */
export function tint(color: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return color && colorEnabled(env) ? color : undefined;
}

/** Terminal columns S takes: a CJK character or an emoji takes 2, a combining accent 0. */
export const cols = (s: string): number => stringWidth(s);

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The longest start of S (whole graphemes: an accent stays on its letter, an emoji whole) within W columns. */
export function head(s: string, w: number): string {
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(s)) {
    const c = stringWidth(segment);
    if (used + c > w) break;
    out += segment;
    used += c;
  }
  return out;
}

/** The longest end of S (whole graphemes) within W columns. */
function tail(s: string, w: number): string {
  const parts = [...graphemes.segment(s)].map((g) => g.segment);
  let out = '';
  let used = 0;
  for (let i = parts.length - 1; i >= 0; i--) {
    const c = stringWidth(parts[i]!);
    if (used + c > w) break;
    out = parts[i]! + out;
    used += c;
  }
  return out;
}

/** S cut to W terminal columns (ending in … when cut). */
export function cut(s: string, w: number): string {
  if (w <= 0) return '';
  if (cols(s) <= w) return s;
  return w === 1 ? '…' : `${head(s, w - 1)}…`;
}

/** S cut or padded to exactly W columns. */
export function cell(s: string, w: number): string {
  const c = cut(s, w);
  return c + ' '.repeat(Math.max(0, w - cols(c)));
}

/** S cut or left-padded to exactly W columns (numbers). */
export function rcell(s: string, w: number): string {
  const c = cut(s, w);
  return ' '.repeat(Math.max(0, w - cols(c))) + c;
}

/** Cuts a long path from the left, keeping its end: …/state/upgrade.db */
export function cutLeft(s: string, w: number): string {
  if (cols(s) <= w) return s;
  return w <= 1 ? '…' : `…${tail(s, w - 1)}`;
}

export function num(n: number | bigint | string): string {
  const s = typeof n === 'string' ? n : n.toString();
  if (!/^-?\d+$/.test(s)) return s;
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  return (neg ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes (a decimal string, since pithos sizes exceed 2^53) as B / KiB / MiB / GiB / TiB. */
export function bytes(value: string | number | bigint): string {
  let n: bigint;
  try { n = BigInt(value); } catch { return String(value); }
  if (n === 0n) return '0';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0;
  while (u < units.length - 1 && n >= 1024n ** BigInt(u + 1)) u++;
  if (u === 0) return `${n} B`;
  const v = Number((n * 1000n) / 1024n ** BigInt(u)) / 1000;
  return v >= 100 ? `${Math.round(v)} ${units[u]}` : `${v.toFixed(1)} ${units[u]}`;
}

/** A bar of WIDTH cells: █ done, ░ to do. Readable without colour. */
export function bar(done: number, total: number | undefined, width: number): string {
  if (width <= 0) return '';
  if (!total || total <= 0) return '░'.repeat(width);
  const filled = Math.max(0, Math.min(width, Math.floor((done / total) * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export function percent(done: number, total: number | undefined): string {
  if (!total || total <= 0) return '';
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}

/** A date only (YYYY-MM-DD) from an ISO timestamp, or "never". */
export function day(iso: string | null | undefined): string {
  if (!iso) return 'never';
  return iso.slice(0, 10);
}

/** Word-wraps TEXT to WIDTH columns; words longer than WIDTH are split between graphemes. INDENT prefixes continuation lines. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    if (cols(para) <= width) { out.push(para); continue; }
    let line = '';
    const words = para.split(/(\s+)/);
    for (const w of words) {
      if (w === '') continue;
      if (cols(line + w) <= width) { line += w; continue; }
      if (line.trim() !== '') { out.push(line.trimEnd()); line = indent; }
      if (/^\s+$/.test(w)) continue;
      let rest = w;
      while (cols(line + rest) > width) {
        const piece = head(rest, Math.max(1, width - cols(line))) || [...graphemes.segment(rest)][0]!.segment;
        out.push(line + piece);
        rest = rest.slice(piece.length);
        line = indent;
      }
      line += rest;
    }
    if (line.trim() !== '') out.push(line.trimEnd());
  }
  return out;
}

/** Lines ending with a trailing note aligned right within WIDTH (the note wins when space is short). */
export function spread(left: string, right: string, width: number): string {
  if (!right) return cut(left, width);
  const room = width - cols(right) - 1;
  if (room <= 0) return cut(right, width);
  return `${cell(left, room)} ${right}`;
}

/**
 * Markdown tables as aligned columns (the report on screen): "| a | b |" rows become padded
 * cells, the "|---|" line a rule. Other lines are left as they are.
 */
export function alignTables(text: string, width = Infinity): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    if (!/^\|.*\|$/.test(lines[i]!)) { out.push(lines[i]!); i++; continue; }
    const block: string[][] = [];
    for (; i < lines.length && /^\|.*\|$/.test(lines[i]!); i++) {
      block.push(lines[i]!.slice(1, -1).split('|').map((c) => c.trim()));
    }
    const isRule = (row: string[]) => row.every((c) => /^:?-+:?$/.test(c));
    const widths: number[] = [];
    for (const row of block) if (!isRule(row)) row.forEach((c, k) => { widths[k] = Math.max(widths[k] ?? 0, cols(c)); });
    // Too wide for the screen: the widest columns give way (paths keep their end).
    for (let guard = 0; guard < 50; guard++) {
      const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
      if (total <= width) break;
      const k = widths.indexOf(Math.max(...widths));
      if (widths[k]! <= 8) break;
      widths[k] = Math.max(8, widths[k]! - (total - width));
    }
    const fit = (c: string, w: number) => (cols(c) <= w ? cell(c, w) : c.includes('/') ? cutLeft(c, w) : cut(c, w));
    for (const row of block) {
      out.push(isRule(row) ? widths.map((w) => '─'.repeat(w)).join('  ') : row.map((c, k) => fit(c, widths[k] ?? cols(c))).join('  ').trimEnd());
    }
  }
  return out.join('\n');
}
