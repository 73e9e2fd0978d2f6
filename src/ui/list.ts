// One cursor-and-scroll model for every list and scrolling text of the wizard (home's steps,
// the unknown identifiers, the pager, a step's body): which key moves how, a pure reducer,
// and the hook the screens use. The conflict table keeps its own two-level model but reads
// its keys through listMove too.
import type { Key } from 'ink';
import { useLatest } from './components/common.js';

export type ListMove = 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last';

/** Which letter keys a list takes besides the arrows, page keys, home and end. */
export interface ListKeys {
  /** k moves up (off where k answers something: the unknown list's "keep"). Default on. */
  k?: boolean;
  /** space pages down. Default on. */
  space?: boolean;
  /** b pages up (the pager). Default off. */
  b?: boolean;
}

/** The move a key asks for, if any: arrows / j k, page keys / space (b), g G / home end. */
export function listMove(input: string, key: Key, keys: ListKeys = {}): ListMove | undefined {
  if (key.downArrow || input === 'j') return 'down';
  if (key.upArrow || (input === 'k' && keys.k !== false)) return 'up';
  if (key.pageDown || (input === ' ' && keys.space !== false)) return 'pageDown';
  if (key.pageUp || (input === 'b' && keys.b === true)) return 'pageUp';
  if (input === 'g' || key.home) return 'first';
  if (input === 'G' || key.end) return 'last';
  return undefined;
}

export interface ListState {
  /** The highlighted item (for a scrolling text: the first line shown). */
  cursor: number;
  /** The first item shown. */
  top: number;
}

export interface ListEnv {
  count: number;
  /** Rows the list has on screen. */
  height: number;
  /** How far a page key moves (default: a window less one row). */
  page?: number;
}

export const clampCursor = (cursor: number, count: number): number => Math.max(0, Math.min(cursor, count - 1));

/** TOP moved the least so that CURSOR shows in a window of HEIGHT rows. */
export function follow(cursor: number, top: number, height: number): number {
  if (cursor < top) return cursor;
  if (cursor > top + height - 1) return cursor - height + 1;
  return top;
}

/** The state after MOVE (or a jump to an index); the cursor stays inside the list. Pure. */
export function listReducer(s: ListState, move: ListMove | { to: number }, env: ListEnv): ListState {
  const last = Math.max(0, env.count - 1);
  const cur = clampCursor(s.cursor, env.count);
  const page = env.page ?? Math.max(1, env.height - 1);
  let next: number;
  if (typeof move === 'object') next = move.to;
  else {
    switch (move) {
      case 'up': next = cur - 1; break;
      case 'down': next = cur + 1; break;
      case 'pageUp': next = cur - page; break;
      case 'pageDown': next = cur + page; break;
      case 'first': next = 0; break;
      case 'last': next = last; break;
    }
  }
  const cursor = clampCursor(next, env.count);
  const top = follow(cursor, Math.min(s.top, last), Math.max(1, env.height));
  return cursor === s.cursor && top === s.top ? s : { cursor, top };
}

export interface ListOptions extends ListEnv {
  /** The item highlighted at first. */
  initial?: number;
  keys?: ListKeys;
}

export interface ListHandle {
  /** The highlighted item, inside the list as it is now. */
  cursor: number;
  /** The first item shown. */
  top: number;
  /** The highlighted item including keys of this chunk not yet drawn. */
  now(): number;
  /** Handles a moving key; false when the key is not one. */
  onKey(input: string, key: Key): boolean;
  moveTo(index: number): void;
}

export type ListStore = ReturnType<typeof useLatest<ListState>>;

/** A list's state alone, for a screen that knows the list's length only later in its render. */
export function useListState(initial = 0): ListStore {
  return useLatest<ListState>({ cursor: initial, top: 0 });
}

/** A list's cursor and scroll, moved by the list keys (several keys of one chunk each count). */
export function useList(opts: ListOptions): ListHandle {
  const store = useLatest<ListState>(() => {
    const cursor = clampCursor(opts.initial ?? 0, opts.count);
    return { cursor, top: follow(cursor, 0, Math.max(1, opts.height)) };
  });
  return listHandle(store, opts);
}

/** The handle over a list's STORE for the list as it is in this render. */
export function listHandle([state, setState, latest]: ListStore, opts: ListOptions): ListHandle {
  const env: ListEnv = { count: opts.count, height: opts.height, page: opts.page };
  const cursor = clampCursor(state.cursor, opts.count);
  const top = Math.min(follow(cursor, state.top, Math.max(1, opts.height)), Math.max(0, opts.count - 1));
  const apply = (m: ListMove | { to: number }) => setState((s) => listReducer(s, m, env));
  const onKey = (input: string, key: Key): boolean => {
    const move = listMove(input, key, opts.keys);
    if (!move) return false;
    apply(move);
    return true;
  };
  const now = () => clampCursor(latest.current.cursor, opts.count);
  return { cursor, top, now, onKey, moveTo: (index) => apply({ to: index }) };
}
