// Bad input of every kind, through the real CLI in a child process: malformed config and
// answers files, wrong or unreachable databases, databases of the wrong service or release,
// foreign and damaged state files, settings files Python would reject, usage mistakes. Each
// must give one "snf-upgrade: <cause>" line (an optional short details block) and a "next:"
// line, the README's exit code, and change nothing: the databases' catalogue and rows and the
// state file are compared before and after.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { VERSION } from '../src/cli/main.js';
import { loadConfig } from '../src/config.js';
import { openDb, SERVICES, type Service } from '../src/db/connection.js';
import { deploymentFingerprint } from '../src/engine/index.js';
import { loadSchema } from '../src/sandbox/index.js';
import { LATEST_SCHEMA, StateFile } from '../src/state/index.js';
import { cleanupAll, dbUrl, emptyDatabases, runCli, serverUrl, tempDir, testDbName } from './support.js';

after(cleanupAll);

type Urls = Record<Service, string>;

let dir: string;
let sandbox: Urls;
/** Extra databases: an empty one, astakos at 0.11, at 0.13, half-migrated by hand. */
let variant: { empty: string; old: string; new13: string; half: string };

/** A few rows, so that the content digests have something to compare. */
const SAMPLE_ROWS: Record<Service, string> = {
  astakos: `INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
    VALUES (1, 'kpap@grnet.gr', 'K', 'P', 'kpap@grnet.gr', 'sha1$ab$cd', false, true, false, now(), now())`,
  cyclades: `INSERT INTO db_flavor (id, cpu, ram, disk, disk_template, deleted) VALUES (1, 1, 1024, 20, 'drbd', false)`,
  pithos: `INSERT INTO nodes (node, parent, path) VALUES (1, 0, 'kpap@grnet.gr')`,
};

// ------------------------------------------------------------------------ snapshots

/** Catalogue (tables and columns) and every table's row count and content digest. */
async function snapshotDb(url: string): Promise<Record<string, string>> {
  const db = await openDb('astakos', url, { max: 1 });
  try {
    const out: Record<string, string> = {};
    const cols = await db.pool.query<{ t: string; c: string; ty: string }>(
      `SELECT table_schema || '.' || table_name AS t, column_name AS c, data_type AS ty FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, ordinal_position`);
    out['catalogue'] = cols.rows.map((r) => `${r.t}.${r.c}:${r.ty}`).join('\n');
    for (const t of new Set(cols.rows.map((r) => r.t))) {
      const r = await db.pool.query<{ n: string; d: string | null }>(
        `SELECT count(*) AS n, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS d FROM (SELECT md5(x::text) AS h FROM ${t} x) y`);
      out[t] = `${r.rows[0]!.n}:${r.rows[0]!.d}`;
    }
    return out;
  } finally {
    await db.close();
  }
}

async function snapshotAll(): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const url of [...Object.values(sandbox), ...Object.values(variant)]) out[url] = await snapshotDb(url);
  return out;
}

/** The bytes and mtime of a state file and its -wal/-shm (or their absence). */
function stateFingerprint(path: string): string {
  return ['', '-wal', '-shm'].map((suffix) => {
    const f = path + suffix;
    if (!existsSync(f)) return `${suffix}:absent`;
    const st = statSync(f);
    return st.isFile() ? `${suffix}:mtime ${st.mtimeMs}:mode ${st.mode.toString(8)}:sha256 ${createHash('sha256').update(readFileSync(f)).digest('hex')}` : `${suffix}:not a file`;
  }).join('|');
}

// ------------------------------------------------------------------------ fixtures

function config(name: string, body: unknown): string {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return f;
}

/** A config for the sandbox with URLS overriding some databases and a state file of its own. */
function deploymentConfig(name: string, urls: Partial<Urls> = {}, extra: Record<string, unknown> = {}): string {
  const u = { ...sandbox, ...urls };
  return config(name, {
    astakos: { db: u.astakos }, cyclades: { db: u.cyclades }, pithos: { db: u.pithos },
    state: statePathOf(name), backups: join(dir, `${name}-backups`), ...extra,
  });
}

function stateFor(cfg: string): string {
  return loadConfig(cfg).state;
}

/** The state file deploymentConfig(NAME) names. */
const statePathOf = (name: string): string => join(dir, `${name}-state`, 'upgrade.db');

/** A state file of this deployment with some steps done (what a resumed upgrade has). */
function writeState(path: string, cfg: string, done: string[] = ['1']): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const s = StateFile.open(path, { toolVersion: VERSION });
  try {
    s.setMeta('deployment', deploymentFingerprint(loadConfig(cfg)));
    for (const id of done) s.markDone(id, ['test']);
  } finally {
    s.close();
  }
}

async function makeVariants(): Promise<void> {
  const base = serverUrl();
  const names = { empty: 'inp_t_empty', old: 'inp_t_old', new13: 'inp_t_new', half: 'inp_t_half' };
  const urls = {} as typeof variant;
  if (base) {
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    try {
      for (const [k, n] of Object.entries(names)) {
        const db = testDbName(n);
        await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
        await admin.query(`CREATE DATABASE "${db}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
        urls[k as keyof typeof variant] = dbUrl(base, db);
      }
    } finally {
      await admin.end();
    }
  } else {
    const root = tempDir('inp-variants-');
    for (const [k, n] of Object.entries(names)) urls[k as keyof typeof variant] = `pglite:${join(root, n)}`;
  }
  const build = async (url: string, fn: (q: pg.Pool) => Promise<void>) => {
    const db = await openDb('astakos', url, { max: 1 });
    try { await fn(db.pool); } finally { await db.close(); }
  };
  await build(urls.empty, async () => undefined);
  // 0.11 era: the 0.12.5 schema without what 0.12 added (the tables and the migration row).
  await build(urls.old, async (q) => {
    await loadSchema(q, 'astakos', '0.12.5');
    await q.query('DROP TABLE im_additionalmail, im_emailchange CASCADE');
    await q.query(`DELETE FROM south_migrationhistory WHERE app_name = 'im' AND migration >= '0014'`);
  });
  await build(urls.new13, async (q) => { await loadSchema(q, 'astakos', '0.13'); });
  // Half-migrated by hand: two of 0.13's additions, nothing else.
  await build(urls.half, async (q) => {
    await loadSchema(q, 'astakos', '0.12.5');
    await q.query('ALTER TABLE im_astakosuser ADD COLUMN uuid varchar(255)');
    await q.query('CREATE TABLE im_astakosuserquota (id serial PRIMARY KEY, capacity bigint)');
  });
  variant = urls;
}

// ------------------------------------------------------------------------ the matrix

interface Case {
  name: string;
  args: () => string[];
  env?: () => NodeJS.ProcessEnv;
  /** The state file whose bytes must not change (absent ones must stay absent). */
  state?: () => string;
  code: number;
  cause: RegExp;
  /** Prepares files before the command (runs in the test's turn, not at load time). */
  setup?: () => void;
  skip?: () => string | false;
  /** Reaches the databases (these run one at a time: an embedded database serves one process). */
  db?: boolean;
}

const root = process.getuid?.() === 0;

const cases: Case[] = [
  // --- config
  { name: 'config: malformed JSON', code: 2, cause: /^config file .*bad-json\.json is not valid JSON: .* at line 2, column \d+$/,
    args: () => ['run', '--config', config('bad-json', '{"astakos": {"db": "postgres://u:pw@h/x"},\n  "cyclades": }')] },
  { name: 'config: unknown key', code: 2, cause: /^config file .*: unknown key "astakso" \(known: astakos, cyclades, pithos, state, backups\)$/,
    args: () => ['run', '--config', config('unknown-key', { astakso: { db: sandbox.astakos } })] },
  { name: 'config: unknown service key', code: 2, cause: /^config file .*: unknown key "astakos\.url" \(known: db, settings, apache, cron\)$/,
    args: () => ['run', '--config', config('unknown-skey', { astakos: { url: sandbox.astakos } })] },
  { name: 'config: a service that is not an object', code: 2, cause: /"astakos" must be an object like/,
    args: () => ['run', '--config', config('wrong-type-svc', { astakos: sandbox.astakos })] },
  { name: 'config: state path of the wrong type', code: 2, cause: /"state" must be a non-empty string \(a path\)$/,
    args: () => ['run', '--config', config('wrong-type-state', { state: 5 })] },
  { name: 'config: top level an array', code: 2, cause: /the top level must be a JSON object$/,
    args: () => ['status', '--config', config('array', '[]')] },
  { db: true, name: 'config: no database URLs', code: 2, cause: /^no database configured for astakos$/,
    args: () => ['run', '--config', config('no-dbs', { state: join(dir, 'no-dbs-state', 'upgrade.db') })],
    state: () => join(dir, 'no-dbs-state', 'upgrade.db') },
  { name: 'config: file missing', code: 2, cause: /^config file .*nowhere\.json does not exist$/,
    args: () => ['run', '--config', join(dir, 'nowhere.json')] },
  { name: 'config: file is a folder', code: 2, cause: /^config file .* is a folder, not a file$/,
    args: () => ['status', '--config', dir] },
  { name: 'config: file unreadable', code: 2, cause: /^config file .*unreadable\.json cannot be read \(permission denied\)$/,
    skip: () => root && 'root reads every file',
    setup: () => { chmodSync(deploymentConfig('unreadable'), 0o000); },
    args: () => ['run', '--config', join(dir, 'unreadable.json')] },
  // --- answers
  { name: 'answers: malformed JSON', code: 2, cause: /^answers file .* is not valid JSON: /,
    args: () => ['run', '--config', deploymentConfig('ans-json'), '--answers', config('answers-bad', '{"1": {"ignore-sessions": fals}}')],
    state: () => statePathOf('ans-json') },
  { name: 'answers: wrong shape', code: 2, cause: /^answers file .*: "1" must be an object of answers/,
    args: () => ['run', '--config', deploymentConfig('ans-shape'), '--answers', config('answers-shape', { 1: [true] })],
    state: () => statePathOf('ans-shape') },
  { name: 'answers: top level not an object', code: 2, cause: /^answers file .*: the top level must be a JSON object of step ids$/,
    args: () => ['run', '--config', deploymentConfig('ans-top'), '--answers', config('answers-top', '"yes"')],
    state: () => statePathOf('ans-top') },
  { name: 'answers: unknown step id', code: 2, cause: /^answers file .*: there is no step "2\.3" \(steps are 1, 2\.1, /,
    args: () => ['run', '--config', deploymentConfig('ans-step'), '--answers', config('answers-step', { 2.3: { confirm: true } })],
    state: () => statePathOf('ans-step') },
  { name: 'answers: an answer of the wrong type', code: 2, cause: /^answers file .*: "1"\."ignore-sessions" must be true or false, not "maybe"$/,
    args: () => ['run', '--config', deploymentConfig('ans-type'), '--answers', config('answers-type', { 1: { 'ignore-sessions': 'maybe' } })],
    state: () => statePathOf('ans-type') },
  { name: 'answers: file missing', code: 2, cause: /^answers file .*no-answers\.json does not exist$/,
    args: () => ['run', '--config', deploymentConfig('ans-missing'), '--answers', join(dir, 'no-answers.json')],
    state: () => statePathOf('ans-missing') },
  // --- URLs and databases
  { name: 'URL with a bad scheme', code: 2, cause: /"astakos\.db" must be a postgres:\/\/ URL/,
    args: () => ['run', '--config', deploymentConfig('scheme', { astakos: 'mysql://root:pw@db1/snf_apps' })],
    state: () => statePathOf('scheme') },
  { name: 'URL with a bad scheme from the environment', code: 2, cause: /^SNF_ASTAKOS_DB must be a postgres:\/\/ URL/,
    env: () => ({ SNF_ASTAKOS_DB: 'http://db1/snf_apps' }),
    args: () => ['run', '--config', deploymentConfig('scheme-env')],
    state: () => statePathOf('scheme-env') },
  { name: 'URL that is not a URL', code: 2, cause: /"cyclades\.db" must be a postgres:\/\/ URL/,
    args: () => ['run', '--config', deploymentConfig('not-url', { cyclades: 'db1/snf_apps' })],
    state: () => statePathOf('not-url') },
  { db: true, name: 'unreachable host/port', code: 1, cause: /^cannot reach the astakos database at 127\.0\.0\.1:1\/snf_apps: connection refused$/,
    args: () => ['run', '--config', deploymentConfig('unreachable', { astakos: 'postgres://snf:pw@127.0.0.1:1/snf_apps' })],
    state: () => statePathOf('unreachable') },
  { db: true, name: 'a database that does not exist', code: 1, cause: /^(cannot reach the pithos database at .*: database does not exist|the pithos database at pglite:.* does not exist \(no embedded database in that folder\))$/,
    args: () => ['run', '--config', deploymentConfig('nodb', { pithos: serverUrl() ? dbUrl(serverUrl()!, testDbName('inp_t_nonexistent')) : `pglite:${join(dir, 'nonexistent')}` })],
    state: () => statePathOf('nodb') },
  { db: true, name: 'astakos URL pointing at the cyclades database', code: 4,
    cause: /^the astakos database at .* is not an astakos database \(it holds the cyclades tables: db_virtualmachine, db_network\)$/,
    args: () => ['run', '--config', deploymentConfig('wrong-service', { astakos: sandbox.cyclades })],
    state: () => statePathOf('wrong-service') },
  { db: true, name: 'an empty database', code: 4, cause: /^the cyclades database at .* is empty \(no tables\)$/,
    args: () => ['run', '--config', deploymentConfig('empty', { cyclades: variant.empty })],
    state: () => statePathOf('empty') },
  { db: true, name: 'a 0.11-era database', code: 4, cause: /^the astakos database at .* is older than 0\.12\.5 \(missing: im 0014, table im_additionalmail, table im_emailchange\); snf-upgrade upgrades 0\.12\.5 only$/,
    args: () => ['run', '--config', deploymentConfig('old', { astakos: variant.old })],
    state: () => statePathOf('old') },
  { db: true, name: 'a database already at 0.13 before 3.2', code: 4, cause: /^the astakos database at .* is already at 0\.13, and step 1 works on 0\.12\.5$/,
    args: () => ['run', '--config', deploymentConfig('new13', { astakos: variant.new13 })],
    state: () => statePathOf('new13') },
  { db: true, name: 'a database half-migrated by hand', code: 4, cause: /^the astakos database at .* is half-migrated to 0\.13 \(present: im_astakosuser\.uuid, table im_astakosuserquota\), and step 2\.1 needs it at 0\.12\.5$/,
    setup: () => writeState(stateFor(deploymentConfig('half', { astakos: variant.half })), join(dir, 'half.json')),
    args: () => ['run', '--config', join(dir, 'half.json')],
    state: () => statePathOf('half') },
  { db: true, name: 'a database still at 0.12.5 after the state says 3.2 is done', code: 4, cause: /^the astakos database at .* is still at 0\.12\.5, and step 3\.3 needs it at 0\.13 \(step 3\.2 is done in this state file\)$/,
    setup: () => writeState(stateFor(deploymentConfig('behind')), join(dir, 'behind.json'), ['1', '2.1', '2.2', '3.1', '3.2']),
    args: () => ['confirm', '3.3', '--config', join(dir, 'behind.json')],
    state: () => statePathOf('behind') },
  { name: 'wrong password', code: 0, cause: /^$/, skip: () => 'the test server trusts every local connection, so a password is never checked',
    args: () => [] },
  // --- state files
  { name: 'state file from another deployment', code: 1, cause: /^state file .* belongs to another deployment \(astakos=elsewhere:5432\/snf_apps /,
    setup: () => {
      const path = join(dir, 'other-deployment.db');
      const s = StateFile.open(path);
      try { s.setMeta('deployment', 'astakos=elsewhere:5432/snf_apps cyclades=elsewhere:5432/snf_apps pithos=elsewhere:5432/snf_pithos'); s.markDone('1', ['x']); } finally { s.close(); }
    },
    args: () => ['run', '--config', deploymentConfig('other-dep'), '--state', join(dir, 'other-deployment.db')],
    state: () => join(dir, 'other-deployment.db') },
  { name: 'state file of random bytes', code: 1, cause: /^state file .* is damaged or not a state file \(not an SQLite database\)$/,
    setup: () => { writeFileSync(join(dir, 'random.db'), randomBytes(8192)); },
    args: () => ['run', '--config', deploymentConfig('st-random'), '--state', join(dir, 'random.db')],
    state: () => join(dir, 'random.db') },
  { name: 'state file truncated', code: 1, cause: /^state file .* is damaged or not a state file \(/,
    setup: () => {
      const path = join(dir, 'truncated.db');
      writeState(path, deploymentConfig('st-trunc'), ['1', '2.1', '2.2', '3.1']);
      truncateSync(path, Math.floor(statSync(path).size / 2));
    },
    args: () => ['status', '--config', deploymentConfig('st-trunc'), '--state', join(dir, 'truncated.db')],
    state: () => join(dir, 'truncated.db') },
  { name: 'state file of another program', code: 1, cause: /^state file .* is an SQLite database of another program$/,
    setup: () => {
      const db = new Database(join(dir, 'firefox.sqlite'));
      db.exec('CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places (url) VALUES (\'https://synnefo.org\')');
      db.close();
    },
    args: () => ['run', '--config', deploymentConfig('st-other'), '--state', join(dir, 'firefox.sqlite')],
    state: () => join(dir, 'firefox.sqlite') },
  { name: 'state file from a newer snf-upgrade', code: 1, cause: new RegExp(`^state file .* was written by a newer snf-upgrade \\(schema ${LATEST_SCHEMA + 1}, this one knows ${LATEST_SCHEMA}\\)$`),
    setup: () => {
      const path = join(dir, 'newer.db');
      writeState(path, deploymentConfig('st-newer'));
      const db = new Database(path);
      db.pragma(`user_version = ${LATEST_SCHEMA + 1}`);
      db.close();
    },
    args: () => ['run', '--config', deploymentConfig('st-newer'), '--state', join(dir, 'newer.db')],
    state: () => join(dir, 'newer.db') },
  { name: 'state path is a folder', code: 1, cause: /^state file .* is not a regular file$/,
    setup: () => { mkdirSync(join(dir, 'state-folder.db'), { recursive: true }); },
    args: () => ['run', '--config', deploymentConfig('st-folder'), '--state', join(dir, 'state-folder.db')] },
  { name: 'state path under a file', code: 1, cause: /^cannot use state file .*: a parent is not a folder$/,
    args: () => ['run', '--config', deploymentConfig('st-under'), '--state', join(dir, 'st-under.json', 'upgrade.db')] },
  // --- settings files
  { db: true, name: 'settings file with a Python syntax error', code: 4, cause: /^astakos settings: .*20-snf-astakos-app-settings\.conf.*:\d+:\d+/,
    setup: () => {
      const folders = {} as Record<Service, string>;
      for (const s of SERVICES) {
        folders[s] = join(dir, 'bad-settings', s);
        mkdirSync(folders[s], { recursive: true });
        writeFileSync(join(folders[s], '00-snf-common-admins.conf'), "ADMINS = (('Admin', 'admin@example.org'),)\n");
      }
      writeFileSync(join(folders.astakos, '20-snf-astakos-app-settings.conf'),
        "ASTAKOS_BASEURL = 'https://accounts.example.org'\nASTAKOS_QUOTAHOLDER_POOLSIZE = (200,\n");
      const cfg = deploymentConfig('settings');
      const raw = JSON.parse(readFileSync(cfg, 'utf8'));
      for (const s of SERVICES) raw[s].settings = folders[s];
      writeFileSync(cfg, JSON.stringify(raw));
      writeState(stateFor(cfg), cfg, ['1', '2.1', '2.2', '3.1', '3.2']);
    },
    args: () => ['confirm', '3.3', '--config', join(dir, 'settings.json')],
    state: () => statePathOf('settings') },
  // --- command line
  { name: 'unknown command', code: 2, cause: /^unknown command "frobnicate"$/, args: () => ['frobnicate', '--config', deploymentConfig('u-cmd')] },
  { name: 'unknown flag', code: 2, cause: /^Unknown option '--bogus'$/, args: () => ['run', '--bogus', '--config', deploymentConfig('u-flag')] },
  { name: 'flag without its value', code: 2, cause: /^Option '--config <value>' argument missing$/, args: () => ['status', '--config'] },
  { name: 'unknown step id', code: 2, cause: /^there is no step "7\.7"$/,
    args: () => ['run', '7.7', '--config', deploymentConfig('u-step')], state: () => statePathOf('u-step') },
  { name: 'unknown step id after --through', code: 2, cause: /^there is no step "12"$/,
    args: () => ['run', '--through', '12', '--config', deploymentConfig('u-through')], state: () => statePathOf('u-through') },
  { name: 'STEP and --through together', code: 2, cause: /^give either STEP or --through STEP, not both$/,
    args: () => ['run', '2.1', '--through', '2.2', '--config', deploymentConfig('u-both')], state: () => statePathOf('u-both') },
  { name: 'confirm without a step', code: 2, cause: /^confirm needs a STEP/,
    args: () => ['confirm', '--config', deploymentConfig('u-confirm')], state: () => statePathOf('u-confirm') },
  { name: 'confirm of a step that is not manual', code: 2, cause: /^step 2\.1 is not a manual step$/,
    args: () => ['confirm', '2.1', '--config', deploymentConfig('u-notmanual')], state: () => statePathOf('u-notmanual') },
  { name: 'report in an unknown format', code: 2, cause: /^unknown report format "pdf"$/,
    args: () => ['report', '--format', 'pdf', '--config', deploymentConfig('u-format')], state: () => statePathOf('u-format') },
];

const ONE_CAUSE = /^snf-upgrade: ([^\n]+)\n((?: {2}(?!next:)[^\n]*\n){0,8}) {2}next: [^\n]+\n$/;

describe('bad input: one-line cause, next step, README exit code, nothing written', () => {
  before(async () => {
    dir = tempDir('inp-');
    sandbox = await emptyDatabases('inp_t');
    for (const s of SERVICES) {
      const db = await openDb(s, sandbox[s], { max: 1 });
      try {
        await loadSchema(db.pool, s, '0.12.5');
        await db.pool.query(SAMPLE_ROWS[s]);
      } finally {
        await db.close();
      }
    }
    await makeVariants();
  });

  let databasesBefore: Record<string, Record<string, string>>;
  test('(the databases before)', async () => { databasesBefore = await snapshotAll(); });

  const runCase = async (c: Case) => {
    c.setup?.();
    const args = c.args();
    const statePath = c.state?.();
    const stateBefore = statePath ? stateFingerprint(statePath) : undefined;
    const r = await runCli(args, { NO_COLOR: '1', ...c.env?.() });
    assert.equal(r.code, c.code, `exit code\n${r.stderr}`);
    const m = ONE_CAUSE.exec(r.stderr);
    assert.ok(m, `stderr is one cause, details and a next line:\n${r.stderr}`);
    assert.match(m[1]!, c.cause);
    assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at .+:\d+:\d+|Error:/);
    assert.equal(r.stdout, '', 'nothing on stdout');
    if (statePath) assert.equal(stateFingerprint(statePath), stateBefore, `state file ${statePath} unchanged`);
    if (process.env.SNF_TEST_SHOW_MATRIX) process.stderr.write(`| ${c.name} | ${r.code} | ${r.stderr.split('\n')[0]} |\n`);
  };

  describe('refused before any database is reached', { concurrency: 6 }, () => {
    for (const c of cases.filter((x) => !x.db)) test(c.name, { skip: c.skip?.() }, () => runCase(c));
  });
  describe('refused by what the databases hold', () => {
    for (const c of cases.filter((x) => x.db)) test(c.name, { skip: c.skip?.() }, () => runCase(c));
  });

  test('no database changed (catalogue, row counts and contents of every table)', async () => {
    const after = await snapshotAll();
    for (const url of Object.keys(databasesBefore)) assert.deepEqual(after[url], databasesBefore[url], url);
  });
});
