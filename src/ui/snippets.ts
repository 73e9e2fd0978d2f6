// The settings snippets of steps 3.3–3.6 as screen lines: per host and file, the Python lines
// exactly as they are to be pasted, from column 0, never wrapped (a line wider than the screen is
// cut at the edge, said below it, and whole in the files `w` writes). Secret values are hidden
// until the operator asks for them (t), and then only on this screen.
import type { SnippetSet } from '../runbook/settings.js';
import { fingerprint, hiddenSecret as hidden, hideSecrets } from '../secrets.js';
import { line, type StyledLine } from './components/common.js';

/** How a hidden secret shows on screen (the headless commands name --reveal instead of t). */
export const hiddenSecret = (value: string): string => hidden(value, 't');

/** LINE with every secret's literal (quoted or bare) replaced by its hidden form. */
export const maskSecrets = (text: string, secrets: readonly { value: string }[]): string => hideSecrets(text, secrets, 't');

/** The snippet section of a settings step's screen, WIDTH columns wide. */
export function snippetLines(set: SnippetSet, opts: { reveal: boolean; width: number; step: string }): StyledLine[] {
  const hidden = set.secrets.length > 0 && !opts.reveal;
  const tokens = set.secrets.length === 1 ? 'the token' : 'the tokens';
  const out: StyledLine[] = [
    line(` Settings to add, per host and file (Python lines${set.secrets.length ? `; t ${hidden ? 'shows' : 'hides'} ${tokens}` : ''}; w writes them to files):`, { bold: true }),
  ];
  if (set.secrets.length && opts.reveal) {
    out.push(line(` ! ${tokens[0]!.toUpperCase()}${tokens.slice(1)} ${set.secrets.length === 1 ? 'is' : 'are'} on screen: copy, then t hides ${set.secrets.length === 1 ? 'it' : 'them'}.`, { color: 'yellow' }));
  }
  for (const s of set.secrets) out.push(line(`   ${fingerprint(s.value)}: ${s.what}`, { dim: true }));
  for (const snippet of set.snippets) {
    out.push(line(` On the ${snippet.host} host, ${snippet.file}:`, { color: 'cyan' }));
    let wide = 0;
    for (const code of snippet.lines) {
      const shown = hidden ? maskSecrets(code, set.secrets) : code;
      if (shown.length > opts.width) wide++;
      out.push(line(shown, { nowrap: true }));
    }
    if (wide) out.push(line(` ! ${wide} line${wide === 1 ? ' is' : 's are'} wider than the screen and cut above: w writes them whole to files`, { color: 'yellow' }));
  }
  out.push(line(` w writes these lines to a file per host and file (0600, tokens inside), ready to copy; headless: snf-upgrade snippets ${opts.step} --write`, { dim: true }));
  for (const n of set.notes) out.push(line(` ! ${n}`, { color: 'yellow' }));
  return out;
}
