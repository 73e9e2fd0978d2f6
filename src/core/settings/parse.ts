// Synnefo settings files (/etc/synnefo/*.conf): Python 2 source that upstream executes in
// one namespace, file after file in lexical order. The tool never executes them: it parses
// them with @lezer/python and evaluates literals only. Whatever is not a literal is
// reported as such (with the reason), never guessed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SyntaxNode } from '@lezer/common';
import { arith, Evaluator, PUNCT } from './evaluate.js';
import { Unsupported } from './literals.js';
import { parseSource, positionOf, SettingsError, type Source } from './syntax.js';
import { makeTuple, type PyValue, type Range } from './values.js';

export { SettingsError } from './syntax.js';

export interface Assignment {
  name: string;
  /** The evaluated literal; undefined when the tool cannot evaluate it (see `unsupported`). */
  value: PyValue | undefined;
  /** Why there is no value: "calls os.environ.get()", "set inside an if block (line 3)", … */
  unsupported?: string;
  file: string;
  /** 1-based position of the statement. */
  line: number;
  col: number;
  /** The whole statement. */
  range: Range;
  /** The value expression, when there is one. */
  valueRange?: Range;
  /** The plain `NAME = <dict literal>` form that rewriteDictKeys can edit. */
  dictLiteral?: boolean;
}

export interface Note {
  file: string;
  line: number;
  /** What the statement is ("print statement", "from local_settings import *"); never its values. */
  text: string;
}

export interface SettingsFile {
  file: string;
  text: string;
  /** Every assignment, in source order (nested ones in if/try blocks included). */
  assignments: Assignment[];
  /** Name → the assignment in effect at the end of the file. */
  settings: Map<string, Assignment>;
  /** Top-level statements that set nothing the tool can see. */
  notes: Note[];
}

export interface ParseOptions {
  /** Names set before this file (earlier files of the folder), for `X = Y`. */
  env?: ReadonlyMap<string, Assignment>;
}


const BLOCKS: Record<string, string> = {
  IfStatement: 'an if block',
  ForStatement: 'a for loop',
  WhileStatement: 'a while loop',
  TryStatement: 'a try block',
  WithStatement: 'a with block',
};

const NOTE_KIND: Record<string, string> = {
  PrintStatement: 'print statement',
  ExpressionStatement: 'expression statement',
  FunctionDefinition: 'function definition',
  ClassDefinition: 'class definition',
  DecoratedStatement: 'decorated definition',
  AssertStatement: 'assert statement',
  RaiseStatement: 'raise statement',
  GlobalStatement: 'global statement',
  NonlocalStatement: 'nonlocal statement',
  ReturnStatement: 'return statement',
};

class FileReader {
  readonly assignments: Assignment[] = [];
  readonly notes: Note[] = [];
  readonly current = new Map<string, Assignment>();
  readonly ev: Evaluator;

  constructor(private readonly src: Source, private readonly env?: ReadonlyMap<string, Assignment>) {
    this.ev = new Evaluator(src, (name) => this.current.get(name) ?? this.env?.get(name));
  }

  private pos(n: SyntaxNode | number): { line: number; col: number } {
    return positionOf(this.src.lineStarts, typeof n === 'number' ? n : n.from);
  }

  private text(n: SyntaxNode): string {
    return this.src.text.slice(n.from, n.to);
  }

  private add(stmt: SyntaxNode, name: string, value: PyValue | undefined, unsupported: string | undefined,
    valueNode?: Range, dictLiteral = false): void {
    const { line, col } = this.pos(stmt);
    const a: Assignment = {
      name, value: unsupported === undefined ? value : undefined, file: this.src.file, line, col,
      range: { from: stmt.from, to: stmt.to },
    };
    if (unsupported !== undefined) a.unsupported = unsupported;
    if (valueNode) a.valueRange = { from: valueNode.from, to: valueNode.to };
    if (dictLiteral) a.dictLiteral = true;
    this.assignments.push(a);
    this.current.set(name, a);
  }

  private note(n: SyntaxNode, text: string): void {
    this.notes.push({ file: this.src.file, line: this.pos(n).line, text });
  }

  statements(parent: SyntaxNode, block?: string): void {
    for (let n = parent.firstChild; n; n = n.nextSibling) this.statement(n, block);
  }

  private statement(n: SyntaxNode, block?: string): void {
    switch (n.name) {
      case 'Comment': case ':': case ';': case 'PassStatement':
        return;
      case 'StatementGroup':
        this.statements(n, block);
        return;
      case 'AssignStatement':
        this.assign(n, block);
        return;
      case 'UpdateStatement':
        this.update(n, block);
        return;
      case 'ImportStatement':
        this.importStatement(n, block);
        return;
      case 'DeleteStatement':
        for (const c of this.ev.kids(n)) {
          if (c.name === 'VariableName') this.add(n, this.text(c), undefined, `deleted by "del" at line ${this.pos(n).line}`);
        }
        return;
    }
    const kind = BLOCKS[n.name];
    if (kind) {
      const inner = `set inside ${kind} (line ${this.pos(n).line})`;
      for (let c = n.firstChild; c; c = c.nextSibling) if (c.name === 'Body') this.statements(c, block ?? inner);
      return;
    }
    this.note(n, NOTE_KIND[n.name] ?? n.name);
  }

  private targetsAndValue(n: SyntaxNode): { targets: SyntaxNode[][]; value: SyntaxNode[] } {
    const groups: SyntaxNode[][] = [[]];
    for (const c of this.ev.kids(n)) {
      if (c.name === 'AssignOp') groups.push([]);
      else if (c.name !== 'TypeDef') groups[groups.length - 1]!.push(c);
    }
    const value = groups.pop()!;
    return { targets: groups, value };
  }

  private evaluate(nodes: SyntaxNode[]): { value?: PyValue; unsupported?: string } {
    const exprs = nodes.filter((c) => c.name !== ',');
    try {
      if (exprs.length === 1 && !nodes.some((c) => c.name === ',')) return { value: this.ev.eval(exprs[0]!) };
      return { value: makeTuple(exprs.map((e) => this.ev.eval(e))) };
    } catch (err) {
      if (err instanceof Unsupported) return { unsupported: err.message };
      throw err;
    }
  }

  private assign(n: SyntaxNode, block?: string): void {
    const { targets, value } = this.targetsAndValue(n);
    if (!value.length) return;
    const range = { from: value[0]!.from, to: value[value.length - 1]!.to };
    const result = block ? { unsupported: block } : this.evaluate(value);
    const dictLiteral = !block && value.length === 1 && value[0]!.name === 'DictionaryExpression';
    for (const group of targets) {
      const names = group.filter((c) => c.name !== ',');
      if (names.length === 1 && names[0]!.name === 'VariableName' && !group.some((c) => c.name === ',')) {
        this.add(n, this.text(names[0]!), result.value, result.unsupported, range, dictLiteral);
        continue;
      }
      const unpack = names.length === 1 && (names[0]!.name === 'TupleExpression' || names[0]!.name === 'ArrayExpression')
        ? this.ev.kids(names[0]!).filter((c) => !PUNCT.has(c.name)) : names;
      if (unpack.length > 1 && unpack.every((c) => c.name === 'VariableName')) {
        const v = result.value;
        const fits = Array.isArray(v) && v.length === unpack.length;
        unpack.forEach((c, i) => this.add(n, this.text(c), fits ? v[i] : undefined,
          result.unsupported ?? (fits ? undefined : 'unpacking a value the tool cannot split'), range));
        continue;
      }
      if (names.length === 1 && names[0]!.name === 'MemberExpression') {
        let root: SyntaxNode | null = names[0]!;
        while (root && root.name === 'MemberExpression') root = root.firstChild;
        if (root?.name === 'VariableName') {
          // Not the subscript itself: its keys may be secrets (PITHOS_AUTHENTICATION_USERS[token]).
          const rootName = this.text(root);
          const how = names[0]!.lastChild?.name === ']' ? `${rootName}[…]` : `${rootName}.…`;
          this.add(n, rootName, undefined, `changed by "${how} = …" at line ${this.pos(n).line}`);
          continue;
        }
      }
      this.note(n, 'assignment to a target the tool does not follow');
    }
  }

  private update(n: SyntaxNode, block?: string): void {
    const kids = this.ev.kids(n);
    const target = kids[0];
    const opNode = kids.find((c) => c.name === 'UpdateOp');
    if (target?.name !== 'VariableName' || !opNode) {
      this.note(n, 'augmented assignment to a target the tool does not follow');
      return;
    }
    const name = this.text(target);
    const valueNodes = kids.slice(kids.indexOf(opNode) + 1);
    const range = valueNodes.length ? { from: valueNodes[0]!.from, to: valueNodes[valueNodes.length - 1]!.to } : undefined;
    const op = this.text(opNode).slice(0, -1);
    if (block) {
      this.add(n, name, undefined, block, range);
      return;
    }
    const before = this.current.get(name) ?? this.env?.get(name);
    if (!before || before.value === undefined) {
      this.add(n, name, undefined, `changed by "${op}=" of a value the tool does not know`, range);
      return;
    }
    const r = this.evaluate(valueNodes);
    if (r.unsupported !== undefined) {
      this.add(n, name, undefined, r.unsupported, range);
      return;
    }
    try {
      this.add(n, name, arith(op, before.value, r.value!, this.ev.trueDivision), undefined, range);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      this.add(n, name, undefined, err.message, range);
    }
  }

  private importStatement(n: SyntaxNode, block?: string): void {
    const kids = this.ev.kids(n);
    const importAt = kids.findIndex((c) => c.name === 'import');
    if (kids[0]?.name !== 'from') return; // `import x` binds modules, not settings
    const module = kids.slice(1, importAt).map((c) => this.text(c)).join('');
    const names = kids.slice(importAt + 1).filter((c) => c.name !== '(' && c.name !== ')' && c.name !== ',');
    if (module === '__future__') {
      if (names.some((c) => this.text(c) === 'division')) this.ev.trueDivision = true;
      return;
    }
    for (let i = 0; i < names.length; i++) {
      const c = names[i]!;
      if (c.name === '*') {
        this.note(n, `from ${module} import *${block ? ` (${block})` : ''}: the settings it defines are not seen`);
        continue;
      }
      if (c.name !== 'VariableName') continue;
      let bound = this.text(c);
      if (names[i + 1]?.name === 'as' && names[i + 2]) {
        bound = this.text(names[i + 2]!);
        i += 2;
      }
      this.add(n, bound, undefined, block ?? `imported from ${module}`);
    }
  }
}

/** Parses one settings file. Throws SettingsError on a syntax error, never on values. */
export function parseSettings(text: string, file: string, options: ParseOptions = {}): SettingsFile {
  const src = parseSource(text, file);
  const reader = new FileReader(src, options.env);
  reader.statements(src.tree.topNode);
  return { file, text, assignments: reader.assignments, settings: reader.current, notes: reader.notes };
}


/**
 * Reads a settings file as UTF-8, refusing other encodings (reading them as UTF-8 and
 * writing a rewrite back would corrupt their non-ASCII bytes).
 */
export function readSettingsText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new SettingsError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      'make the file readable by this user and run again', path);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new SettingsError(`${path} is not UTF-8 text`, 'convert it to UTF-8 (and say so in its coding line) and run again', path);
  }
}

export interface SettingsDir {
  dir: string;
  /** The *.conf files, in the order upstream executes them. */
  files: SettingsFile[];
  /** Name → the assignment in effect after the last file (its `file` says where). */
  settings: Map<string, Assignment>;
  notes: Note[];
}

/**
 * Reads every *.conf of DIR in lexical order, as snf-common does, and merges them: a later
 * assignment overrides an earlier one, also across files.
 */
export function loadSettingsDir(dir: string): SettingsDir {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SettingsError(
      code === 'ENOENT' ? `settings folder ${dir} does not exist` : `cannot read settings folder ${dir} (${code ?? (err as Error).message})`,
      'check the "settings" folder in the configuration and run again');
  }
  const settings = new Map<string, Assignment>();
  const files: SettingsFile[] = [];
  const notes: Note[] = [];
  for (const name of names.filter((n) => n.endsWith('.conf')).sort()) {
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
    } catch (err) {
      throw new SettingsError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        'make the file readable by this user and run again', path);
    }
    const text = readSettingsText(path);
    const parsed = parseSettings(text, path, { env: settings });
    files.push(parsed);
    for (const a of parsed.assignments) settings.set(a.name, a);
    notes.push(...parsed.notes);
  }
  return { dir, files, settings, notes };
}
