// Small building blocks shared by the screens: one-line text, styled line lists, the key bar.
import { Box, Text, useInput, useStdout, type Key } from 'ink';
import { createContext, createElement, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { cut, tint, wrap } from '../format.js';

export interface Size { columns: number; rows: number }

/** The terminal's size (80×24 when it cannot be told), following resizes. */
export function useTerminalSize(fixed?: Size): Size {
  const { stdout } = useStdout();
  const read = (): Size => ({ columns: stdout?.columns || 80, rows: (stdout as { rows?: number })?.rows || 24 });
  const [size, setSize] = useState<Size>(fixed ?? read());
  useEffect(() => {
    if (fixed || !stdout) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => { stdout.off('resize', onResize); };
  }, [stdout, fixed]);
  return fixed ?? size;
}

type KeyHandler = (input: string, key: Key) => void;

/** Where the screens' key handlers are registered: one Ink input listener hands every key to them. */
const KeysContext = createContext<{ add(handler: KeyHandler): () => void } | undefined>(undefined);

/**
 * The one input listener of the screens below it. Ink subscribes a component's useInput only
 * after its frame is drawn, and unsubscribes the screen it replaces only then: a key pressed in
 * between reached the screen that was gone (home's v on the step's frame). Handlers registered
 * here come and go with the commit that shows or removes their screen, before the frame is drawn.
 */
export function KeysProvider({ children }: { children: ReactNode }) {
  const handlers = useRef(new Set<KeyHandler>());
  const value = useMemo(() => ({
    add(handler: KeyHandler) {
      handlers.current.add(handler);
      return () => { handlers.current.delete(handler); };
    },
  }), []);
  useInput((input, key) => { for (const h of [...handlers.current]) h(input, key); });
  return createElement(KeysContext.Provider, { value }, children);
}

/**
 * A key handler that always sees the latest render's props and state, live exactly while its
 * screen is on (under KeysProvider; elsewhere Ink's useInput).
 */
export function useKeys(handler: KeyHandler, active: boolean): void {
  const keys = useContext(KeysContext);
  const ref = useRef(handler);
  ref.current = handler;
  const stable = useCallback((input: string, key: Key) => {
    // Keys typed faster than they are read (a held-down j, a paste) arrive as one string:
    // hand them over one by one, so that "jjj" moves three times.
    const chars = Array.from(input);
    if (chars.length <= 1 || key.ctrl || key.meta) return ref.current(input, key);
    for (const ch of chars) ref.current(ch, charKey(ch));
  }, []);
  useLayoutEffect(() => (keys && active ? keys.add(stable) : undefined), [keys, active, stable]);
  useInput(stable, { isActive: active && !keys });
}

const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

/** The Key of one character out of a multi-character input. */
export function charKey(ch: string): Key {
  return {
    ...NO_KEY,
    return: ch === '\r' || ch === '\n',
    tab: ch === '\t',
    backspace: ch === '\x7f' || ch === '\b',
    shift: /^[A-Z]$/.test(ch),
  };
}

/**
 * State whose latest value key handlers can read at once: several keys arriving in one
 * chunk ("21⏎" typed fast, a paste) are handled before the screen renders again.
 */
export function useLatest<T>(initial: T | (() => T)): [T, (update: T | ((old: T) => T)) => void, { readonly current: T }] {
  const [value, setValue] = useState(initial);
  const ref = useRef(value);
  const set = useCallback((update: T | ((old: T) => T)) => {
    ref.current = typeof update === 'function' ? (update as (old: T) => T)(ref.current) : update;
    setValue(ref.current);
  }, []);
  return [value, set, ref];
}

/** A line of a screen: text plus optional emphasis. Colour only repeats what the text says. */
export interface StyledLine {
  text: string;
  /** What continuation lines start with when the line wraps (default: its indent + 3 spaces). */
  hang?: string;
  /** Never wrapped (a settings line to copy: whole, or cut at the edge where it is too wide). */
  nowrap?: boolean;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

export const line = (text: string, style: Omit<StyledLine, 'text'> = {}): StyledLine => ({ text, ...style });

/** Wraps every line to WIDTH, keeping its style; continuation lines get INDENT. */
export function wrapLines(lines: StyledLine[], width: number, indent = '   '): StyledLine[] {
  const out: StyledLine[] = [];
  for (const l of lines) {
    if (l.nowrap) { out.push(l); continue; }
    const lead = /^\s*/.exec(l.text)![0];
    const parts = wrap(l.text, width, l.hang ?? lead + indent);
    const { hang: _hang, ...style } = l;
    if (!parts.length) out.push({ ...style, text: '' });
    for (const p of parts) out.push({ ...style, text: p });
  }
  return out;
}

/** One terminal line, never wrapped. */
export function Row({ text, width, color, bold, dim, inverse }: Omit<StyledLine, 'hang' | 'nowrap'> & { width: number; inverse?: boolean }) {
  return (
    <Text wrap="truncate-end" color={tint(color)} bold={bold} dimColor={dim} inverse={inverse}>
      {cut(text, width) || ' '}
    </Text>
  );
}

export function Lines({ lines, width }: { lines: StyledLine[]; width: number }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => <Row key={i} width={width} {...l} />)}
    </Box>
  );
}

/** The key bar text: as many KEYS as fit WIDTH ("? keys", when given, is kept last). */
export function keyBarText(keys: [string, string][], width: number): string {
  const items = keys.map(([k, what]) => `${k} ${what}`);
  const help = keys.findIndex(([k]) => k === '?');
  for (let n = items.length; n > 0; n--) {
    const shown = help >= 0 && help >= n ? [...items.slice(0, n - 1), items[help]!] : items.slice(0, n);
    for (const sep of ['   ', '  ']) {
      const text = ` ${shown.join(sep)}`;
      if (text.length <= width) return text;
    }
  }
  return cut(` ${items[0] ?? ''}`, width);
}

/** The key bar at the bottom of every screen. */
export function KeyBar({ keys, width }: { keys: [string, string][]; width: number }) {
  return <Row text={keyBarText(keys, width)} width={width} dim />;
}

/** A message (error, notice) with its next action, as lines. */
export function messageLines(m: { text: string; next?: string; level?: 'error' | 'info' | 'warn'; details?: string[] }): StyledLine[] {
  const symbol = m.level === 'error' ? '✗' : m.level === 'warn' ? '!' : '·';
  const color = m.level === 'error' ? 'red' : m.level === 'warn' ? 'yellow' : undefined;
  const out = [line(` ${symbol} ${m.text}`, { color, bold: m.level === 'error' })];
  for (const d of m.details ?? []) out.push(line(`     ${d}`, { color }));
  if (m.next) out.push(line(`   next: ${m.next}`));
  return out;
}
