// Every SQL text in src/ must run on PostgreSQL 9.1 (README, "Supported servers"): the string
// literals and template strings of every source file are read with the TypeScript parser, the
// SQL among them (passed to query(), or written with SQL keywords) searched for constructs newer
// than 9.1. Scopes: src/state is SQLite (the state file), not scanned; src/sandbox builds test
// and demo deployments, whose schema dumps (src/db/schema, CREATE SEQUENCE … AS integer) need
// PostgreSQL 10, the oldest server CI walks on, so it is held to 10; the rest to 9.1.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { sourceFiles } from './sources.js';

export interface SqlText { file: string; line: number; text: string }

/** SQL keywords as this code base writes them (upper case): a string holding one is SQL text. */
const SQL_WORDS = /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE|ALTER|DROP|SHOW|SET|WHERE|FROM|JOIN|VALUES|RETURNING|COPY|TRUNCATE|ON CONFLICT)\b/;

/**
 * The SQL texts of a source file: string literals and template strings (a template's ${…} as
 * "${}") passed to a query() call or holding an SQL keyword, each with its line.
 */
export function sqlTexts(file: string, source: string): SqlText[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: SqlText[] = [];
  const at = (node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const queried = (node: ts.Node): boolean => {
    const call = node.parent;
    return !!call && ts.isCallExpression(call) && call.arguments[0] === node
      && /(^|\.)query$/.test(call.expression.getText(sf));
  };
  const visit = (node: ts.Node): void => {
    let text: string | undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node)) text = node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join('');
    if (text !== undefined && (queried(node) || SQL_WORDS.test(text))) out.push({ file, line: at(node), text });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Constructs newer than PostgreSQL 9.1, each with the server_version_num of the release that brought it. */
export const NEWER_CONSTRUCTS: Array<{ name: string; since: number; re: RegExp }> = [
  // An alias (… AS pid) is not the column; db/sessions.ts picks procpid or pid by the server's version.
  { name: 'pg_stat_activity.pid/state/query (9.2; 9.1 has procpid, current_query: use db/sessions.ts)', since: 90200,
    re: /pg_stat_activity[\s\S]*(?<!\bAS\s+)\b(pid|state|query)\b|(?<!\bAS\s+)\b(pid|state|query)\b[\s\S]*\bFROM\s+pg_stat_activity/i },
  { name: 'ALTER TABLE/INDEX/SEQUENCE IF EXISTS (9.2)', since: 90200, re: /\bALTER\s+(TABLE|INDEX|SEQUENCE)\s+IF\s+EXISTS\b/i },
  { name: 'DROP INDEX CONCURRENTLY (9.2)', since: 90200, re: /\bDROP\s+INDEX\s+CONCURRENTLY\b/i },
  { name: 'json type or functions (9.2/9.3)', since: 90200, re: /::json\b|\bjson_(agg|build_\w+|object\w*|each\w*|array_\w+|populate_\w+|typeof|extract_path\w*)\s*\(|\b(row_)?to_json\s*\(/i },
  { name: 'LATERAL (9.3)', since: 90300, re: /\bLATERAL\b/ },
  { name: 'lock_timeout (9.3)', since: 90300, re: /\block_timeout\b/i },
  { name: 'CREATE SCHEMA IF NOT EXISTS (9.3)', since: 90300, re: /\bCREATE\s+SCHEMA\s+IF\s+NOT\s+EXISTS\b/i },
  { name: 'MATERIALIZED VIEW (9.3)', since: 90300, re: /\bMATERIALIZED\s+VIEW\b/i },
  { name: 'EVENT TRIGGER (9.3)', since: 90300, re: /\bEVENT\s+TRIGGER\b/i },
  { name: 'jsonb (9.4)', since: 90400, re: /\bjsonb\b/i },
  { name: 'FILTER (WHERE …) aggregates (9.4)', since: 90400, re: /\bFILTER\s*\(\s*WHERE\b/i },
  { name: 'WITH ORDINALITY (9.4)', since: 90400, re: /\bWITH\s+ORDINALITY\b/i },
  { name: 'WITHIN GROUP ordered-set aggregates (9.4)', since: 90400, re: /\bWITHIN\s+GROUP\b/i },
  { name: 'to_regclass (9.4)', since: 90400, re: /\bto_regclass\s*\(/i },
  { name: 'cardinality() (9.4)', since: 90400, re: /\bcardinality\s*\(/i },
  { name: 'make_interval/make_timestamp/make_date (9.4)', since: 90400, re: /\bmake_(interval|timestamptz?|date|time)\s*\(/i },
  { name: 'ON CONFLICT (9.5)', since: 90500, re: /\bON\s+CONFLICT\b/i },
  { name: 'SKIP LOCKED (9.5)', since: 90500, re: /\bSKIP\s+LOCKED\b/i },
  { name: 'CREATE INDEX/SEQUENCE … IF NOT EXISTS (9.5)', since: 90500, re: /\bCREATE\s+(UNIQUE\s+)?(INDEX|SEQUENCE)\b[^;]*?\bIF\s+NOT\s+EXISTS\b/i },
  { name: 'GROUPING SETS / CUBE / ROLLUP (9.5)', since: 90500, re: /\bGROUPING\s+SETS\b|\bGROUP\s+BY\s+(CUBE|ROLLUP)\s*\(/i },
  { name: 'TABLESAMPLE (9.5)', since: 90500, re: /\bTABLESAMPLE\b/i },
  { name: 'array_position(s) (9.5)', since: 90500, re: /\barray_positions?\s*\(/i },
  { name: 'ADD COLUMN IF NOT EXISTS (9.6)', since: 90600, re: /\bADD\s+(COLUMN\s+)?IF\s+NOT\s+EXISTS\b/i },
  { name: 'idle_in_transaction_session_timeout (9.6)', since: 90600, re: /\bidle_in_transaction_session_timeout\b/i },
  { name: 'pg_blocking_pids (9.6)', since: 90600, re: /\bpg_blocking_pids\s*\(/i },
  { name: 'pg_stat_activity.wait_event (9.6)', since: 90600, re: /\bwait_event(_type)?\b/i },
  { name: 'num_nulls/num_nonnulls (9.6)', since: 90600, re: /\bnum_(nulls|nonnulls)\s*\(/i },
  { name: 'pg_sequences (10)', since: 100000, re: /\bpg_sequences\b/i },
  { name: 'CREATE SEQUENCE … AS type (10)', since: 100000, re: /\bCREATE\s+SEQUENCE\b[^;]*\bAS\s+(smallint|integer|bigint)\b/i },
  { name: 'identity or generated columns (10/12)', since: 100000, re: /\bGENERATED\s+(ALWAYS|BY\s+DEFAULT)\b/i },
  { name: 'DROP DATABASE … WITH (FORCE) (13)', since: 130000, re: /\bDROP\s+DATABASE\b[^;]*\bWITH\s*\(\s*FORCE\s*\)/i },
  { name: 'gen_random_uuid() (13)', since: 130000, re: /\bgen_random_uuid\s*\(/i },
  { name: 'CREATE OR REPLACE TRIGGER (14)', since: 140000, re: /\bCREATE\s+OR\s+REPLACE\s+TRIGGER\b/i },
];

/** The oldest server (server_version_num) the code of a file must run on; undefined: not PostgreSQL SQL. */
export function oldestServerFor(file: string): number | undefined {
  if (file.startsWith('state/')) return undefined; // SQLite
  if (file.startsWith('sandbox/')) return 100000;
  return 90100;
}

/** The constructs in TEXTS newer than OLDEST, as "file:line: construct". */
export function newerThan(texts: SqlText[], oldest: number): string[] {
  const found: string[] = [];
  for (const t of texts) {
    for (const c of NEWER_CONSTRUCTS) if (c.since > oldest && c.re.test(t.text)) found.push(`${t.file}:${t.line}: ${c.name}`);
  }
  return found;
}

/** Newer constructs used only when the server has them: a switch on server_version_num in the same file. */
const VERSION_SWITCHED: Array<{ file: string; construct: string }> = [
  // The sandbox drops its own databases WITH (FORCE) on 13 and later, and ends their sessions first before 13.
  { file: 'sandbox/create.ts', construct: 'DROP DATABASE' },
];

const FILES = sourceFiles();

describe('SQL runs on PostgreSQL 9.1', () => {
  it('no construct newer than 9.1 in any SQL text of src/ (the sandbox: 10; outside the version switches)', () => {
    let read = 0;
    const found: string[] = [];
    for (const f of FILES) {
      const oldest = oldestServerFor(f.path);
      if (oldest === undefined) continue;
      const texts = sqlTexts(f.path, f.text);
      read += texts.length;
      found.push(...newerThan(texts, oldest));
    }
    assert.ok(read > 300, `read ${read} SQL texts`);
    assert.deepEqual(found.filter((line) => !VERSION_SWITCHED.some((v) => line.startsWith(`${v.file}:`) && line.includes(`: ${v.construct}`))), []);
  });

  it('each version-switched construct sits in a file that reads server_version_num', () => {
    for (const v of VERSION_SWITCHED) {
      const f = FILES.find((x) => x.path === v.file);
      assert.ok(f, v.file);
      const hits = newerThan(sqlTexts(f.path, f.text), 90100).filter((l) => l.includes(`: ${v.construct}`));
      assert.ok(hits.length > 0, `${v.file} no longer uses ${v.construct}: drop it from the list`);
      assert.match(f.text, /server_version_num|serverVersionNum/, v.file);
    }
  });

  it('finds what it looks for, naming file and line', () => {
    const source = [
      "const a = 'SELECT 1'; const msg = 'raise lock_timeout for this user';",
      'await q.query(`INSERT INTO t (a) VALUES ($1)',
      '  ON CONFLICT DO NOTHING`);',
      "await q.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db]);",
      'await q.query(`SELECT ${col} AS pid, application_name FROM pg_stat_activity`);',
      'const b = "SELECT x FROM t, LATERAL f(t.a)";',
      'q.query(`CREATE INDEX IF NOT EXISTS i ON t (a)`);',
      'q.query(`ALTER TABLE t ADD COLUMN IF NOT EXISTS c int`);',
      "q.query(`SELECT to_regclass('t'), count(*) FILTER (WHERE a) FROM unnest($1::int[]) WITH ORDINALITY`);",
      "q.query(`SET lock_timeout = 1000; SELECT * FROM t FOR UPDATE SKIP LOCKED; SELECT * FROM pg_sequences; SELECT '{}'::jsonb`);",
      'q.query(`DROP DATABASE "x" WITH (FORCE)`);',
      "client.query('SHOW lock_timeout');",
    ].join('\n');
    const found = newerThan(sqlTexts('fake.ts', source), 90100);
    for (const want of [
      'fake.ts:2: ON CONFLICT', 'fake.ts:4: pg_stat_activity.pid', 'fake.ts:6: LATERAL', 'fake.ts:7: CREATE INDEX', 'fake.ts:8: ADD COLUMN IF NOT EXISTS',
      'fake.ts:9: FILTER', 'fake.ts:9: WITH ORDINALITY', 'fake.ts:9: to_regclass', 'fake.ts:10: lock_timeout', 'fake.ts:10: SKIP LOCKED',
      'fake.ts:10: pg_sequences', 'fake.ts:10: jsonb', 'fake.ts:11: DROP DATABASE', 'fake.ts:12: lock_timeout',
    ]) assert.ok(found.some((l) => l.startsWith(want)), `${want} in\n${found.join('\n')}`);
    assert.ok(!found.some((l) => l.startsWith('fake.ts:1:') || l.startsWith('fake.ts:5:')), found.join('\n'));
    // Held to 10, LATERAL and pg_stat_activity.pid pass; FORCE does not.
    const at10 = newerThan(sqlTexts('fake.ts', source), 100000);
    assert.ok(!at10.some((l) => /LATERAL|pg_stat_activity/.test(l)) && at10.some((l) => l.startsWith('fake.ts:11: DROP DATABASE')), at10.join('\n'));
  });

  it('the schema dumps in src/db/schema are read by the sandbox only', () => {
    const readers = FILES.filter((f) => /['"`/][\w.-]+\.sql['"`]/.test(f.text) && !f.path.startsWith('sandbox/')).map((f) => f.path);
    assert.deepEqual(readers, []);
    assert.ok(FILES.some((f) => f.path.startsWith('sandbox/') && /-0\.13-migrate\.sql'/.test(f.text)), 'the sandbox loads them');
  });
});
