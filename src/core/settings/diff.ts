// A small line diff (Myers' O(ND) algorithm) and its unified-diff rendering, for showing the
// operator what a settings rewrite changes before anything is written.

export type DiffOp = { op: 'equal' | 'delete' | 'insert'; line: string };

/** The shortest edit script turning A into B, line by line. */
export function diffLines(a: string[], b: string[]): DiffOp[] {
  // Common prefix and suffix first: a rewrite touches one block of a file.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const middle = myers(A, B);
  return [
    ...a.slice(0, pre).map((line) => ({ op: 'equal' as const, line })),
    ...middle,
    ...a.slice(a.length - suf).map((line) => ({ op: 'equal' as const, line })),
  ];
}

function myers(a: string[], b: string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ op: 'insert', line }));
  if (m === 0) return a.map((line) => ({ op: 'delete', line }));
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds the frontier before round d, for diagonals -d-1 … d+1 only (O(D²) memory).
  const trace: Int32Array[] = [];
  const at = (frontier: Int32Array, d: number, k: number): number => frontier[k + d + 1]!;
  outer:
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
        ? v[offset + k + 1]!
        : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  // Walk back through the saved frontiers.
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(vd, d, k - 1) < at(vd, d, k + 1)) ? k + 1 : k - 1;
    const prevX = at(vd, d, prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ op: 'equal', line: a[x]! });
    }
    if (x === prevX) ops.push({ op: 'insert', line: b[--y]! });
    else ops.push({ op: 'delete', line: a[--x]! });
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    ops.push({ op: 'equal', line: a[x]! });
  }
  return ops.reverse();
}

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === '') return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, finalNewline };
}

export interface DiffOptions {
  /** Label of the new side (default FILE + ".snf-upgrade-new"). */
  newFile?: string;
  /** Lines of context around each change (default 3). */
  context?: number;
}

/** A unified diff of OLDTEXT → NEWTEXT, or '' when they are equal. */
export function unifiedDiff(oldText: string, newText: string, file: string, options: DiffOptions = {}): string {
  if (oldText === newText) return '';
  const context = options.context ?? 3;
  const o = splitLines(oldText);
  const n = splitLines(newText);
  // A missing final newline is a change of the last line, as in diff(1).
  const NO_EOL = '\u0000';
  const oLines = o.lines.map((l, i) => (i === o.lines.length - 1 && !o.finalNewline ? l + NO_EOL : l));
  const nLines = n.lines.map((l, i) => (i === n.lines.length - 1 && !n.finalNewline ? l + NO_EOL : l));
  const ops = diffLines(oLines, nLines);

  // Positions (1-based line numbers on each side) of every op.
  const pos: { oldNo: number; newNo: number }[] = [];
  let on = 1;
  let nn = 1;
  for (const op of ops) {
    pos.push({ oldNo: on, newNo: nn });
    if (op.op !== 'insert') on++;
    if (op.op !== 'delete') nn++;
  }
  const out = [`--- ${file}`, `+++ ${options.newFile ?? `${file}.snf-upgrade-new`}`];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.op === 'equal') {
      i++;
      continue;
    }
    // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change
    // that is at most 2*CONTEXT equal lines away.
    const start = Math.max(0, i - context);
    let end = i;
    let j = i;
    while (j < ops.length) {
      if (ops[j]!.op !== 'equal') {
        end = j;
        j++;
        continue;
      }
      let k = j;
      while (k < ops.length && ops[k]!.op === 'equal') k++;
      if (k < ops.length && k - j <= 2 * context) {
        j = k;
        continue;
      }
      break;
    }
    const stop = Math.min(ops.length, end + 1 + context);
    const hunk = ops.slice(start, stop);
    const oldCount = hunk.filter((h) => h.op !== 'insert').length;
    const newCount = hunk.filter((h) => h.op !== 'delete').length;
    const oldStart = oldCount ? pos[start]!.oldNo : pos[start]!.oldNo - 1;
    const newStart = newCount ? pos[start]!.newNo : pos[start]!.newNo - 1;
    const range = (s: number, c: number): string => (c === 1 ? `${s}` : `${s},${c}`);
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const h of hunk) {
      const mark = h.op === 'equal' ? ' ' : h.op === 'delete' ? '-' : '+';
      if (h.line.endsWith(NO_EOL)) out.push(`${mark}${h.line.slice(0, -1)}`, '\\ No newline at end of file');
      else out.push(`${mark}${h.line}`);
    }
    i = stop;
  }
  return `${out.join('\n')}\n`;
}
