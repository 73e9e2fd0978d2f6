// Evaluation of literal expressions (Python 2 semantics, ints as bigint). Anything else
// throws Unsupported with the reason.
import type { SyntaxNode } from '@lezer/common';
import type { Assignment } from './parse.js';
import { decodeString, parseNumber, Unsupported } from './literals.js';
import { positionOf, SettingsError, type Source } from './syntax.js';
import {
  isTuple, keyId, makeTuple, PyDict, PySet, Unhashable, type DictEntry, type PyValue,
} from './values.js';

export const PUNCT = new Set(['(', ')', '[', ']', '{', '}', ',', ':']);
const BUILTIN_CALLS = new Set(['set', 'frozenset', 'list', 'tuple', 'dict']);
const MAX_BITS = 4096n;

const KIND: Record<string, string> = {
  MemberExpression: 'attribute or item access',
  ConditionalExpression: 'a conditional expression',
  LambdaExpression: 'a lambda',
  FormatString: 'an f-string',
  ArrayComprehensionExpression: 'a comprehension',
  DictionaryComprehensionExpression: 'a comprehension',
  SetComprehensionExpression: 'a comprehension',
  ComprehensionExpression: 'a generator expression',
  AwaitExpression: 'await',
  YieldExpression: 'yield',
};

export type Lookup = (name: string) => Assignment | undefined;

export class Evaluator {
  trueDivision = false;
  constructor(private readonly src: Source, private readonly lookup: Lookup) {}

  private text(n: SyntaxNode): string {
    return this.src.text.slice(n.from, n.to);
  }

  kids(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'Comment') out.push(c);
    return out;
  }

  private elements(n: SyntaxNode): PyValue[] {
    return this.kids(n).filter((c) => !PUNCT.has(c.name)).map((c) => {
      if (c.name === '*' || c.name === '**') throw new Unsupported('unpacking (*)');
      return this.eval(c);
    });
  }

  eval(n: SyntaxNode): PyValue {
    switch (n.name) {
      case 'Number':
        return parseNumber(this.text(n));
      case 'String': {
        const r = decodeString(this.src.parsed.slice(n.from, n.to), this.src.unicodeRaw.has(n.from));
        if ('error' in r) throw new Unsupported(r.error);
        return r.value;
      }
      case 'ContinuedString':
        return this.kids(n).map((c) => this.eval(c) as string).join('');
      case 'Boolean':
        return this.text(n) === 'True';
      case 'None':
        return null;
      case 'VariableName':
        return this.name(this.text(n));
      case 'ParenthesizedExpression': {
        const inner = this.kids(n).filter((c) => !PUNCT.has(c.name));
        if (inner.length !== 1) throw new Unsupported('an unexpected parenthesized expression');
        return this.eval(inner[0]!);
      }
      case 'TupleExpression':
        return makeTuple(this.elements(n));
      case 'ArrayExpression':
        return this.elements(n);
      case 'SetExpression': {
        const items = this.elements(n);
        this.hashable(items);
        return new PySet(items);
      }
      case 'DictionaryExpression':
        return this.dict(n);
      case 'UnaryExpression':
        return this.unary(n);
      case 'BinaryExpression':
        return this.binary(n);
      case 'CallExpression':
        return this.call(n);
      default:
        throw new Unsupported(KIND[n.name] ?? `a ${words(n.name)}`);
    }
  }

  private name(name: string): PyValue {
    const a = this.lookup(name);
    if (!a) throw new Unsupported(`refers to ${name}, which is not set before it in these files`);
    if (a.value === undefined) throw new Unsupported(`refers to ${name}, which the tool cannot evaluate (${a.unsupported})`);
    return a.value;
  }

  private hashable(items: PyValue[]): void {
    try {
      items.forEach(keyId);
    } catch (err) {
      if (err instanceof Unhashable) throw new Unsupported(err.message);
      throw err;
    }
  }

  dict(n: SyntaxNode): PyDict {
    const entries: DictEntry[] = [];
    const kids = this.kids(n).filter((c) => c.name !== '{' && c.name !== '}');
    for (let i = 0; i < kids.length;) {
      const k = kids[i]!;
      if (k.name === '**') throw new Unsupported('unpacking (**)');
      const colon = kids[i + 1];
      const v = kids[i + 2];
      if (colon?.name !== ':' || !v) throw new Unsupported('an unexpected dict form');
      const key = this.eval(k);
      this.hashable([key]);
      entries.push({
        key, value: this.eval(v),
        keyRange: { from: k.from, to: k.to }, valueRange: { from: v.from, to: v.to },
        line: positionOf(this.src.lineStarts, k.from).line,
      });
      i += 3;
      if (kids[i]?.name === ',') i++;
    }
    return new PyDict(entries);
  }

  private unary(n: SyntaxNode): PyValue {
    const [op, arg] = this.kids(n);
    if (!op || !arg) throw new Unsupported('an unexpected unary expression');
    const o = this.text(op);
    if (o === 'not') throw new Unsupported('a boolean expression (not)');
    const v = this.eval(arg);
    const x = numeric(v);
    if (x === undefined) throw new Unsupported(`unary ${o} on a non-number`);
    if (o === '-') return typeof x === 'bigint' ? -x : -x;
    if (o === '+') return x;
    if (o === '~' && typeof x === 'bigint') return -x - 1n;
    throw new Unsupported(`unary ${o}`);
  }

  private binary(n: SyntaxNode): PyValue {
    const [l, op, r] = this.kids(n);
    if (!l || !op || !r) throw new Unsupported('an unexpected binary expression');
    if (op.name !== 'ArithOp' && op.name !== 'BitOp') {
      throw new Unsupported(`a ${op.name === 'CompareOp' ? 'comparison' : `boolean expression (${this.text(op)})`}`);
    }
    return arith(this.text(op), this.eval(l), this.eval(r), this.trueDivision);
  }

  private call(n: SyntaxNode): PyValue {
    const [callee, args] = this.kids(n);
    const name = callee ? this.text(callee) : '';
    if (callee?.name !== 'VariableName' || !BUILTIN_CALLS.has(name) || this.lookup(name) || !args) {
      const shown = callee?.name === 'VariableName' || callee?.name === 'MemberExpression' ? name : 'a function';
      throw new Unsupported(`calls ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}()`);
    }
    const parts = this.kids(args).filter((c) => !PUNCT.has(c.name));
    if (this.kids(args).some((c) => c.name === 'AssignOp' || c.name === '*' || c.name === '**') || parts.length > 1) {
      throw new Unsupported(`calls ${name}() with arguments the tool does not evaluate`);
    }
    const arg = parts[0] ? this.eval(parts[0]) : undefined;
    if (name === 'dict') {
      if (arg === undefined) return new PyDict([]);
      if (arg instanceof PyDict) return arg;
      throw new Unsupported('calls dict() with arguments the tool does not evaluate');
    }
    let items: PyValue[];
    if (arg === undefined) items = [];
    else if (Array.isArray(arg)) items = [...arg];
    else if (arg instanceof PySet) items = [...arg.items];
    else if (arg instanceof PyDict) items = arg.keys();
    else if (typeof arg === 'string') items = [...arg];
    else throw new Unsupported(`calls ${name}() on a ${typeof arg}`);
    if (name === 'list') return items;
    if (name === 'tuple') return makeTuple(items);
    this.hashable(items);
    return new PySet(items);
  }
}

function numeric(v: PyValue): bigint | number | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return undefined;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Python 2 arithmetic on literals (ints stay exact; `/` of ints floors unless true division). */
export function arith(op: string, a: PyValue, b: PyValue, trueDivision = false): PyValue {
  const x = numeric(a);
  const y = numeric(b);
  if (x !== undefined && y !== undefined) {
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      switch (op) {
        case '+': return x + y;
        case '-': return x - y;
        case '*': return x * y;
        case '/':
          if (y === 0n) throw new Unsupported('division by zero');
          return trueDivision ? Number(x) / Number(y) : floorDiv(x, y);
        case '//':
          if (y === 0n) throw new Unsupported('division by zero');
          return floorDiv(x, y);
        case '%':
          if (y === 0n) throw new Unsupported('division by zero');
          return x - floorDiv(x, y) * y;
        case '**':
          if (y < 0n) return Number(x) ** Number(y);
          if (y * BigInt(x.toString(2).length) > MAX_BITS * 8n) throw new Unsupported('a number too large');
          return x ** y;
        case '<<':
          if (y < 0n) throw new Unsupported('negative shift count');
          if (y > MAX_BITS * 8n) throw new Unsupported('a number too large');
          return x << y;
        case '>>':
          if (y < 0n) throw new Unsupported('negative shift count');
          return x >> y;
        case '&': return x & y;
        case '|': return x | y;
        case '^': return x ^ y;
      }
      throw new Unsupported(`the ${op} operator`);
    }
    const fx = Number(x);
    const fy = Number(y);
    switch (op) {
      case '+': return fx + fy;
      case '-': return fx - fy;
      case '*': return fx * fy;
      case '/':
        if (fy === 0) throw new Unsupported('division by zero');
        return fx / fy;
      case '//':
        if (fy === 0) throw new Unsupported('division by zero');
        return Math.floor(fx / fy);
      case '%':
        if (fy === 0) throw new Unsupported('division by zero');
        return fx - Math.floor(fx / fy) * fy;
      case '**': return fx ** fy;
    }
    throw new Unsupported(`the ${op} operator on floats`);
  }
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
      const out = [...a, ...b];
      return isTuple(a) ? makeTuple(out) : out;
    }
  }
  if (op === '*') {
    const [seq, count] = typeof a === 'bigint' ? [b, a] : [a, b];
    if (typeof count === 'bigint' && count <= 10000n && (typeof seq === 'string' || Array.isArray(seq))) {
      const n = count < 0n ? 0 : Number(count);
      if (typeof seq === 'string') return seq.repeat(n);
      const out: PyValue[] = [];
      for (let i = 0; i < n; i++) out.push(...seq);
      return isTuple(seq) ? makeTuple(out) : out;
    }
  }
  if (op === '%' && typeof a === 'string') throw new Unsupported('string formatting (%)');
  throw new Unsupported(`the ${op} operator on these values`);
}

/** "CallExpression" → "call expression". */
function words(nodeName: string): string {
  let out = '';
  for (const ch of nodeName) out += ch >= 'A' && ch <= 'Z' ? `${out ? ' ' : ''}${ch.toLowerCase()}` : ch;
  return out;
}

/** Evaluates the dict literal at NODE of SRC (for the rewriter), entries with undefined values allowed. */
export function readDictNode(src: Source, node: SyntaxNode): {
  key: PyValue | undefined; value: PyValue | undefined; keyNode: SyntaxNode; valueNode: SyntaxNode;
  comma?: SyntaxNode; reason?: string;
}[] {
  const ev = new Evaluator(src, () => undefined);
  const kids = ev.kids(node).filter((c) => c.name !== '{' && c.name !== '}');
  const out: ReturnType<typeof readDictNode> = [];
  const tryEval = (c: SyntaxNode): { v?: PyValue; reason?: string } => {
    try {
      return { v: ev.eval(c) };
    } catch (err) {
      if (err instanceof Unsupported) return { reason: err.message };
      throw err;
    }
  };
  for (let i = 0; i < kids.length;) {
    const k = kids[i]!;
    const colon = kids[i + 1];
    const v = kids[i + 2];
    if (k.name === '**' || colon?.name !== ':' || !v) {
      throw new SettingsError(`${src.file}:${positionOf(src.lineStarts, k.from).line}: the dict uses a form the tool does not edit (**)`,
        'edit this setting by hand');
    }
    const key = tryEval(k);
    const value = tryEval(v);
    const entry: ReturnType<typeof readDictNode>[number] = {
      key: key.v, value: value.v, keyNode: k, valueNode: v,
    };
    if (key.reason ?? value.reason) entry.reason = key.reason ?? value.reason;
    i += 3;
    if (kids[i]?.name === ',') entry.comma = kids[i++];
    out.push(entry);
  }
  return out;
}
