// The wizard's one text entry (a free-text answer, a typed confirmation word, a uuid or email
// to map to, the conflict table's filter). Not @inkjs/ui's TextInput: the typed text is shown
// inside the screen's own lines ("Type 39 to confirm: 39▏", "filter /kpap▏"), wrapped with
// them, and a fast chunk ("39⏎", a paste) must be read whole before enter answers: the text
// lives in a ref that each key of the chunk sees at once.
import type { Key } from 'ink';
import { useLatest } from './components/common.js';

/** The cursor drawn after the typed text. */
export const CARET = '▏';

export type TextEdit = { type: 'type'; text: string } | { type: 'backspace' };

/** What a key does to a text being typed, if anything (enter and esc are the caller's). */
export function textEdit(input: string, key: Key): TextEdit | undefined {
  if (key.backspace || key.delete) return { type: 'backspace' };
  if (input && !key.ctrl && !key.meta && !key.return && !key.escape && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow && !key.tab) {
    return { type: 'type', text: input };
  }
  return undefined;
}

/** TEXT after EDIT, at most MAX characters. */
export function applyEdit(text: string, edit: TextEdit, max = Infinity): string {
  return edit.type === 'backspace' ? text.slice(0, -1) : (text + edit.text).slice(0, max);
}

export interface TextEntry {
  text: string;
  /** The text including keys of this chunk not yet drawn. */
  now(): string;
  set(text: string): void;
  /** Applies an editing key; false when the key is not one. */
  onKey(input: string, key: Key): boolean;
}

export function useTextEntry(max: number, initial = ''): TextEntry {
  const [text, setText, latest] = useLatest(initial);
  return {
    text,
    now: () => latest.current,
    set: setText,
    onKey(input, key) {
      const edit = textEdit(input, key);
      if (!edit) return false;
      setText((t) => applyEdit(t, edit, max));
      return true;
    },
  };
}
