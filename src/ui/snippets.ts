// The settings snippets of steps 3.3–3.6 as screen lines: per host and file, Python lines
// as they are to be pasted. A line too long for the screen continues on the next row behind
// a "↪" in the margin (nothing is added to the Python itself). Secret values are hidden
// until the operator asks for them (t), and then only on this screen.
import type { SnippetSet } from '../runbook/settings.js';
import { fingerprint, hiddenSecret as hidden, hideSecrets } from '../secrets.js';
import { line, type StyledLine } from './components/common.js';

/** Where the code starts: a 3-column margin, which holds "↪" on continuation rows. */
const MARGIN = '   ';
const CONTINUED = ' ↪ ';

/** How a hidden secret shows on screen (the headless commands name --reveal instead of t). */
export const hiddenSecret = (value: string): string => hidden(value, 't');

/** LINE with every secret's literal (quoted or bare) replaced by its hidden form. */
export const maskSecrets = (text: string, secrets: readonly { value: string }[]): string => hideSecrets(text, secrets, 't');

/** Splits a code line into rows of at most ROOM characters: before a trailing comment, else at a space, else anywhere. */
export function breakCode(code: string, room: number): string[] {
  const rows: string[] = [];
  let rest = code;
  while (rest.length > room) {
    const head = rest.slice(0, room + 1);
    const comment = head.lastIndexOf('  #');
    const space = head.lastIndexOf(' ');
    const at = comment > 0 ? comment : space > 0 ? space : room;
    rows.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  rows.push(rest);
  return rows;
}

/** The snippet section of a settings step's screen, WIDTH columns wide. */
export function snippetLines(set: SnippetSet, opts: { reveal: boolean; width: number }): StyledLine[] {
  const room = Math.max(20, opts.width - 1 - MARGIN.length);
  const hidden = set.secrets.length > 0 && !opts.reveal;
  const tokens = set.secrets.length === 1 ? 'the token' : 'the tokens';
  const out: StyledLine[] = [
    line(` Settings to add, per host and file (Python lines${set.secrets.length ? `; t ${hidden ? 'shows' : 'hides'} ${tokens}` : ''}):`, { bold: true }),
  ];
  if (set.secrets.length && opts.reveal) {
    out.push(line(` ! ${tokens[0]!.toUpperCase()}${tokens.slice(1)} ${set.secrets.length === 1 ? 'is' : 'are'} on screen: copy, then t hides ${set.secrets.length === 1 ? 'it' : 'them'}.`, { color: 'yellow' }));
  }
  for (const s of set.secrets) out.push(line(`   ${fingerprint(s.value)}: ${s.what}`, { dim: true }));
  for (const snippet of set.snippets) {
    out.push(line(` On the ${snippet.host} host, ${snippet.file}:`, { color: 'cyan' }));
    for (const code of snippet.lines) {
      const shown = hidden ? maskSecrets(code, set.secrets) : code;
      breakCode(shown, room).forEach((row, i) => out.push(line(`${i === 0 ? MARGIN : CONTINUED}${row}`, { hang: '' })));
    }
  }
  for (const n of set.notes) out.push(line(` ! ${n}`, { color: 'yellow' }));
  return out;
}
