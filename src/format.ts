// Text both front ends print the same way: times, durations, step symbols, check lines and
// errors (the wizard's screens and the headless commands import it; it imports neither).
import { checkSymbol, type Check } from './core/step.js';
import { scrubSecrets } from './secrets.js';
import { UserError } from './errors.js';

export const STATUS_SYMBOL: Record<string, string> = { done: '✓', running: '▶', failed: '✗', pending: '·', skipped: '-' };

/** A duration as h:mm:ss. */
export function formatEta(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/** S as one shell word: as it is when plain, else single-quoted. */
export const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The local time zone as the screens name it once: "UTC+02:00", "UTC-03:30", "UTC". */
export function zoneLabel(d: Date = new Date()): string {
  const off = -d.getTimezoneOffset();
  if (off === 0) return 'UTC';
  const a = Math.abs(off);
  return `UTC${off > 0 ? '+' : '-'}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`;
}

/** A rate per second, short: 0.4/s, 950/s, 81k/s, 1.2M/s. */
export function rate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return '';
  if (perSecond < 10) return `${perSecond.toFixed(1)}/s`;
  if (perSecond < 1000) return `${Math.round(perSecond)}/s`;
  if (perSecond < 1_000_000) return `${Math.round(perSecond / 1000)}k/s`;
  return `${(perSecond / 1_000_000).toFixed(1)}M/s`;
}

/** An ISO timestamp as "YYYY-MM-DD HH:MM" in local time (the zone is shown once per screen, zoneLabel). */
export function shortTime(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** When something happened, short and local: "21:04" today, "Tue 21:04" within a week, else "2024-11-02 21:04". */
export function when(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (d.toDateString() === now.toDateString()) return hm;
  const age = now.getTime() - d.getTime();
  if (age >= 0 && age < 6 * 24 * 3600 * 1000) return `${DAYS[d.getDay()]} ${hm}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}`;
}

/**
 * One check as a line: "✓ label: detail" (text), "✓ label" (label: a step's summary), or on
 * the wizard's screen "✓ label (detail)" with a failed advisory check marked as not blocking.
 */
export function checkLine(c: Check, form: 'text' | 'label' | 'screen' = 'text'): string {
  if (form === 'label') return `${checkSymbol(c)} ${c.label}`;
  if (form === 'text') return `${checkSymbol(c)} ${c.label}${c.detail ? `: ${c.detail}` : ''}`;
  return `${checkSymbol(c)} ${c.label}${c.detail ? ` (${c.detail})` : ''}${!c.ok && c.advisory ? ' [advisory: does not block c]' : ''}`;
}

/** Checks as text lines, each fixing command on its own indented line after its check. */
export const checkLines = (checks: Check[]): string[] => checks.flatMap((c) => [checkLine(c), ...(c.command ? [`    ${c.command}`] : [])]);

const DECIDED_BY: Record<string, string> = { suggested: 'suggestion accepted', answers: 'answers file', operator: 'by hand in the wizard', default: 'default' };

/** Who made a decision, from its stored source. */
export const decidedBy = (source: string): string => DECIDED_BY[source] ?? source;

/** What a confirmed manual step records: its checks, then what the operator's word vouched for (WORD). */
export function confirmedLines(checks: Check[], word: readonly string[] = []): string[] {
  const lines = [...checkLines(checks), ...word.map((w) => `✓ ${w}: the operator's word`)];
  return lines.length ? lines : ['confirmed by the operator'];
}

/** An error as the operator reads it: one line of cause, its details, the next action; never a stack. */
export interface ErrorView {
  text: string;
  details: string[];
  next: string;
  /** Not a UserError: something the tool did not foresee. */
  unexpected: boolean;
}

/** ERR with secrets scrubbed; an unexpected error keeps its first line and takes UNEXPECTED_NEXT as its next action. */
export function describeError(err: unknown, unexpectedNext: string): ErrorView {
  if (err instanceof UserError) {
    return { text: scrubSecrets(err.message), details: err.details.map((d) => scrubSecrets(d)), next: err.next, unexpected: false };
  }
  const text = scrubSecrets((err as Error)?.message ?? String(err)).split('\n')[0]!;
  return { text: `unexpected error: ${text}`, details: [], next: unexpectedNext, unexpected: true };
}
