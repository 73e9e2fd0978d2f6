// Text helpers for the wizard's screens: fixed-width cells, numbers, sizes, times, wrapping.
// Everything here is pure and works on plain strings (the screens are 80 columns wide).
export { formatEta, STATUS_SYMBOL, when } from '../format.js';

/** Whether colour may be used (NO_COLOR set to anything non-empty turns it off). */
export const colorEnabled = (env: NodeJS.ProcessEnv = process.env): boolean => !env.NO_COLOR;

/** A colour name for Ink's <Text color>, or undefined when colour is off. */
export function tint(color: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return color && colorEnabled(env) ? color : undefined;
}

/** S cut to W characters (ending in … when cut). */
export function cut(s: string, w: number): string {
  if (w <= 0) return '';
  if (s.length <= w) return s;
  return w === 1 ? '…' : `${s.slice(0, w - 1)}…`;
}

/** S cut or padded to exactly W characters. */
export function cell(s: string, w: number): string {
  return cut(s, w).padEnd(Math.max(0, w));
}

/** S cut or left-padded to exactly W characters (numbers). */
export function rcell(s: string, w: number): string {
  return cut(s, w).padStart(Math.max(0, w));
}

/** Cuts a long path from the left, keeping its end: …/state/upgrade.db */
export function cutLeft(s: string, w: number): string {
  if (s.length <= w) return s;
  return w <= 1 ? '…' : `…${s.slice(s.length - w + 1)}`;
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

/** Rows per second, short: 950/s, 81k/s, 1.2M/s. */
export function rate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return '';
  if (perSecond < 1000) return `${Math.round(perSecond)}/s`;
  if (perSecond < 1_000_000) return `${Math.round(perSecond / 1000)}k/s`;
  return `${(perSecond / 1_000_000).toFixed(1)}M/s`;
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

/** Word-wraps TEXT to WIDTH columns; words longer than WIDTH are split. INDENT prefixes continuation lines. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    if (para.length <= width) { out.push(para); continue; }
    let line = '';
    const words = para.split(/(\s+)/);
    for (const w of words) {
      if (w === '') continue;
      if ((line + w).length <= width) { line += w; continue; }
      if (line.trim() !== '') { out.push(line.trimEnd()); line = indent; }
      if (/^\s+$/.test(w)) continue;
      let rest = w;
      while ((line + rest).length > width) {
        const room = Math.max(1, width - line.length);
        out.push(line + rest.slice(0, room));
        rest = rest.slice(room);
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
  const room = width - right.length - 1;
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
    for (const row of block) if (!isRule(row)) row.forEach((c, k) => { widths[k] = Math.max(widths[k] ?? 0, c.length); });
    // Too wide for the screen: the widest columns give way (paths keep their end).
    for (let guard = 0; guard < 50; guard++) {
      const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
      if (total <= width) break;
      const k = widths.indexOf(Math.max(...widths));
      if (widths[k]! <= 8) break;
      widths[k] = Math.max(8, widths[k]! - (total - width));
    }
    const fit = (c: string, w: number) => (c.length <= w ? c.padEnd(w) : c.includes('/') ? cutLeft(c, w) : cut(c, w));
    for (const row of block) {
      out.push(isRule(row) ? widths.map((w) => '─'.repeat(w)).join('  ') : row.map((c, k) => fit(c, widths[k] ?? c.length)).join('  ').trimEnd());
    }
  }
  return out.join('\n');
}
