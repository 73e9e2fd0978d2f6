// The values a Synnefo settings file can hold, as the tool sees them: Python literals with
// integers as bigint (quota limits reach 10^32), dicts as ordered entries (keys need not be
// strings, and a literal may repeat a key), tuples marked apart from lists.

/** A span of the file's text, in UTF-16 offsets (what String.prototype.slice takes). */
export interface Range {
  from: number;
  to: number;
}

export type PyValue = bigint | number | string | boolean | null | PyValue[] | PyDict | PySet;

export interface DictEntry {
  key: PyValue;
  value: PyValue;
  /** Where the key and the value are written in the file. */
  keyRange: Range;
  valueRange: Range;
  /** 1-based line of the key. */
  line: number;
}

const TUPLES = new WeakSet<PyValue[]>();

/** Marks ITEMS as a Python tuple (it stays a plain array). */
export function makeTuple(items: PyValue[]): PyValue[] {
  TUPLES.add(items);
  return items;
}

export const isTuple = (v: unknown): boolean => Array.isArray(v) && TUPLES.has(v as PyValue[]);

/**
 * A dict literal. `entries` are the pairs as written (a repeated key appears twice); the
 * Map-like methods give Python's view: one entry per key, the last value, the first position.
 */
export class PyDict {
  constructor(readonly entries: DictEntry[]) {}

  private effective(): Map<string, { key: PyValue; value: PyValue }> {
    const out = new Map<string, { key: PyValue; value: PyValue }>();
    for (const e of this.entries) {
      const id = keyId(e.key);
      const seen = out.get(id);
      if (seen) seen.value = e.value;
      else out.set(id, { key: e.key, value: e.value });
    }
    return out;
  }

  get size(): number {
    return this.effective().size;
  }

  get(key: PyValue): PyValue | undefined {
    return this.effective().get(keyId(key))?.value;
  }

  has(key: PyValue): boolean {
    return this.effective().has(keyId(key));
  }

  keys(): PyValue[] {
    return [...this.effective().values()].map((e) => e.key);
  }

  values(): PyValue[] {
    return [...this.effective().values()].map((e) => e.value);
  }

  items(): [PyValue, PyValue][] {
    return [...this.effective().values()].map((e) => [e.key, e.value]);
  }

  [Symbol.iterator](): Iterator<[PyValue, PyValue]> {
    return this.items()[Symbol.iterator]();
  }

  /** The entries of string keys only, Python's view (last value wins). */
  stringItems(): [string, PyValue][] {
    return this.items().filter((kv): kv is [string, PyValue] => typeof kv[0] === 'string');
  }
}

/** A set literal ({1, 2}) or set()/frozenset() of literals. */
export class PySet {
  constructor(readonly items: PyValue[]) {}
  get size(): number {
    return new Set(this.items.map(keyId)).size;
  }
  has(v: PyValue): boolean {
    const id = keyId(v);
    return this.items.some((i) => keyId(i) === id);
  }
}

export class Unhashable extends Error {}

/** Python's hash identity of a key: 1 == 1.0 == True. Lists, dicts and sets are unhashable. */
export function keyId(v: PyValue): string {
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'boolean') return v ? 'i1' : 'i0';
  if (typeof v === 'number') return Number.isInteger(v) ? `i${BigInt(v)}` : `f${v}`;
  if (typeof v === 'string') return `s${v}`;
  if (v === null) return 'n';
  if (Array.isArray(v) && isTuple(v)) return `t(${v.map(keyId).join(',')})`;
  throw new Unhashable(`unhashable key (${typeName(v)})`);
}

export function typeName(v: PyValue | undefined): string {
  if (v === undefined) return 'unknown';
  if (v === null) return 'None';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : 'list';
  if (v instanceof PyDict) return 'dict';
  return 'set';
}

/** Python ==, deep. */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const num = (x: PyValue): number | bigint | undefined =>
    typeof x === 'bigint' || typeof x === 'number' ? x : typeof x === 'boolean' ? (x ? 1n : 0n) : undefined;
  const na = num(a);
  const nb = num(b);
  if (na !== undefined || nb !== undefined) {
    if (na === undefined || nb === undefined) return false;
    if (typeof na === 'bigint' && typeof nb === 'bigint') return na === nb;
    // eslint-disable-next-line eqeqeq
    return na == nb;
  }
  if (typeof a === 'string' || a === null) return a === b;
  if (Array.isArray(a)) {
    return Array.isArray(b) && isTuple(a) === isTuple(b) && a.length === b.length && a.every((x, i) => pyEquals(x, b[i]!));
  }
  if (a instanceof PyDict) {
    if (!(b instanceof PyDict) || a.size !== b.size) return false;
    return a.items().every(([k, v]) => b.has(k) && pyEquals(v, b.get(k)!));
  }
  if (a instanceof PySet) {
    return b instanceof PySet && a.size === b.size && a.items.every((x) => b.has(x));
  }
  return false;
}

/** A string literal the way Python's repr() writes it. */
export function pyString(s: string, quote?: "'" | '"'): string {
  const q = quote ?? (s.includes("'") && !s.includes('"') ? '"' : "'");
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += `\\${q}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + q;
}

/** Python source for V (repr); valid in Python 2.7 and 3. */
export function formatPyValue(v: PyValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return "float('nan')";
    if (!Number.isFinite(v)) return v > 0 ? "float('inf')" : "float('-inf')";
    return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
  }
  if (typeof v === 'string') return pyString(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  if (Array.isArray(v)) {
    const inner = v.map(formatPyValue).join(', ');
    if (!isTuple(v)) return `[${inner}]`;
    return v.length === 1 ? `(${inner},)` : `(${inner})`;
  }
  if (v instanceof PyDict) return `{${v.items().map(([k, x]) => `${formatPyValue(k)}: ${formatPyValue(x)}`).join(', ')}}`;
  return v.items.length ? `{${v.items.map(formatPyValue).join(', ')}}` : 'set()';
}

/**
 * V as JSON-safe data (for findings and reports): ints as decimal strings, dicts with only
 * string keys as objects, other dicts as [key, value] pairs, sets as arrays.
 */
export function toJsonValue(v: PyValue): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v instanceof PySet) return v.items.map(toJsonValue);
  if (v instanceof PyDict) {
    const items = v.items();
    if (items.every(([k]) => typeof k === 'string')) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of items) out[k as string] = toJsonValue(x);
      return out;
    }
    return items.map(([k, x]) => [toJsonValue(k), toJsonValue(x)]);
  }
  return v;
}
