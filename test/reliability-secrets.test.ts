// Secrets never leave where they are: known passwords and tokens are put into everything the
// tool can see (database URLs, PGPASSWORD, the sandbox's user passwords and tokens, service
// tokens, SECRET_KEY and DATABASES passwords in the settings files), the upgrade is walked
// headlessly from step 1 to 9.2 (manual steps simulated), with failures on the way, and every
// command's output and every file the tool wrote is searched for each secret (all but the
// stdout of `snippets --reveal`, whose purpose is to print the quotaholder token). The state file
// and the backups must be 0600, and the folders the tool creates closed to others.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeAllEmbedded, openDb, SERVICES, type Service } from '../src/db/connection.js';
import { KEPT_IN_DATABASE } from '../src/db/secrets.js';
import { createSandbox, simulateStep, type SimulatedStep } from '../src/sandbox/index.js';
import { cleanupAll, runCli, sandboxTarget, serverUrl, tempDir, testDbName, withDb } from './support.js';

after(cleanupAll);

/**
 * Steps 3.4 to 9.2, a second backup and a few more plans too. Always against a server; on
 * embedded databases (every command starts three of them) only with SNF_TEST_FULL_WALK=1,
 * to keep the suite's time.
 */
const FULL_WALK = serverUrl() !== undefined || process.env.SNF_TEST_FULL_WALK === '1';

const secret = (what: string): string => `${what}-${randomBytes(9).toString('hex')}`;
const URL_PASSWORD = secret('urlpw');
const PGPASSWORD = secret('pgpass');
const BAD_URL_PASSWORD = secret('badurlpw');
const UNQUOTED_PASSWORD = `z${randomBytes(4).toString('hex')}`;
const PLANTED: Record<string, string> = {
  SECRET_KEY: secret('secretkey'),
  CYCLADES_ASTAKOS_SERVICE_TOKEN: secret('cyctoken'),
  PITHOS_SERVICE_TOKEN: secret('pithostoken'),
  ASTAKOS_QUOTAHOLDER_TOKEN: secret('qhtoken'),
  DATABASES_PASSWORD: secret('djangodbpw'),
};

let dir: string;
let run: string;
let configPath: string;
let urls: Record<Service, string>;
let settings: Record<Service, string>;
const secrets = new Map<string, string>(); // value → where it came from
/** Every command's output, and every state-file version seen right after a command. */
const seen: { what: string; text: string }[] = [];

function addSecret(value: string | null | undefined, origin: string): void {
  if (value && value.length >= 8 && !secrets.has(value)) secrets.set(value, origin);
}

/** Settings values that are credentials (names as Synnefo spells them), after any rewrite. */
function harvestSettings(): void {
  for (const s of SERVICES) {
    for (const f of readdirSync(settings[s]).filter((n) => n.endsWith('.conf'))) {
      const text = readFileSync(join(settings[s], f), 'utf8');
      for (const m of text.matchAll(/^\s*([A-Z_]*(?:TOKEN|SECRET_KEY|PASSWORD)[A-Z_]*)\s*=\s*u?['"]([^'"]*)['"]/gm)) addSecret(m[2], `${s}/${f} ${m[1]}`);
      for (const m of text.matchAll(/['"]PASSWORD['"]\s*:\s*u?['"]([^'"]*)['"]/g)) addSecret(m[1], `${s}/${f} DATABASES`);
    }
  }
}

/** Every credential column's values in the three databases. */
async function harvestDatabases(): Promise<void> {
  for (const s of SERVICES) {
    const db = await openDb(s, urls[s], { max: 1 });
    try {
      const cols = await db.pool.query<{ t: string; c: string }>(
        `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'
          AND (column_name IN ('password', 'password_hash', 'auth_token', 'activation_key', 'token', 'secret')
               OR (table_name = 'im_invitation' AND column_name = 'code'))`);
      for (const { t, c } of cols.rows) {
        const r = await db.pool.query<{ v: string | null }>(`SELECT DISTINCT "${c}"::text AS v FROM "${t}"`);
        for (const { v } of r.rows) addSecret(v, `${s}.${t}.${c}`);
      }
    } finally {
      await db.close();
    }
  }
}

function statePath(): string {
  return join(run, 'state', 'upgrade.db');
}

/** Runs the CLI with the secret PGPASSWORD in its environment; keeps everything it printed. */
async function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; code?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const t0 = Date.now();
  const r = await runCli([...args, '--config', configPath], { PGPASSWORD, NO_COLOR: '1', ...opts.env });
  const what = `snf-upgrade ${args.join(' ')}`;
  if (process.env.SNF_TEST_SHOW_SECRETS) process.stderr.write(`${Date.now() - t0} ms: ${what}\n`);
  seen.push({ what: `${what} (stdout)`, text: r.stdout }, { what: `${what} (stderr)`, text: r.stderr });
  for (const suffix of ['', '-wal', '-shm']) {
    const f = statePath() + suffix;
    if (existsSync(f)) seen.push({ what: `state file${suffix} after ${what}`, text: readFileSync(f).toString('latin1') });
  }
  if (opts.code !== undefined) assert.equal(r.code, opts.code, `${what}\n${r.stderr}`);
  return r;
}

async function simulate(step: SimulatedStep): Promise<void> {
  await simulateStep(step, urls, { settings });
  await closeAllEmbedded(); // the next command's process opens the embedded databases itself
}

function withPassword(url: string): string {
  if (!url.startsWith('postgres')) return url;
  const u = new URL(url);
  u.username ||= 'postgres';
  u.password = URL_PASSWORD;
  return u.toString();
}

/** Files under ROOT, except the database dumps and what the test itself wrote. */
function toolFiles(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const f = join(root, name);
    if (statSync(f).isDirectory()) out.push(...toolFiles(f));
    else if (!/\.(dump|tar\.gz)$/.test(name)) out.push(f);
  }
  return out;
}

describe('secrets: no password or token in any output or file; state and backups 0600', () => {
  before(async () => {
    dir = tempDir('sec-');
    const base = serverUrl();
    const sbx = await createSandbox({
      name: testDbName('sec_t_sbx'), scale: 'tiny', seed: 11, configPath: join(dir, 'sandbox.json'),
      ...sandboxTarget(dir),
    });
    const sandboxConfig = JSON.parse(readFileSync(sbx.configPath, 'utf8'));
    settings = {} as Record<Service, string>;
    for (const s of SERVICES) settings[s] = sandboxConfig[s].settings;
    urls = {} as Record<Service, string>;
    for (const s of SERVICES) urls[s] = withPassword(sbx.urls[s]);
    // The tool's own folders do not exist yet: it creates them.
    run = join(dir, 'run');
    mkdirSync(run);
    configPath = join(dir, 'snf-upgrade.json');
    writeFileSync(configPath, JSON.stringify({
      astakos: { db: urls.astakos, settings: settings.astakos }, cyclades: { db: urls.cyclades, settings: settings.cyclades },
      pithos: { db: urls.pithos, settings: settings.pithos }, state: statePath(), backups: join(run, 'backups'),
    }, null, 2));

    const append = (s: Service, file: string, lines: string) => {
      const f = join(settings[s], file);
      writeFileSync(f, `${existsSync(f) ? readFileSync(f, 'utf8') : ''}\n${lines}\n`);
    };
    append('astakos', '20-snf-astakos-app-settings.conf', `SECRET_KEY = '${PLANTED.SECRET_KEY}'\nASTAKOS_QUOTAHOLDER_TOKEN = '${PLANTED.ASTAKOS_QUOTAHOLDER_TOKEN}'`);
    append('cyclades', '20-snf-cyclades-app-api.conf', `CYCLADES_ASTAKOS_SERVICE_TOKEN = '${PLANTED.CYCLADES_ASTAKOS_SERVICE_TOKEN}'`);
    append('pithos', '20-snf-pithos-app-settings.conf', `PITHOS_SERVICE_TOKEN = '${PLANTED.PITHOS_SERVICE_TOKEN}'`);
    // The sandbox writes DATABASES for server databases only; embedded ones get the host's usual file.
    for (const s of ['astakos', 'cyclades'] as const) {
      const f = join(settings[s], '10-snf-webproject-database.conf');
      if (!existsSync(f)) {
        writeFileSync(f, `DATABASES = {\n    'default': {\n        'ENGINE': 'django.db.backends.postgresql_psycopg2',\n        'NAME': 'snf_apps',\n`
          + `        'USER': 'synnefo',\n        'PASSWORD': '',\n        'HOST': 'db1',\n        'PORT': '5432',\n    },\n}\n`);
      }
    }
    for (const f of SERVICES.map((s) => join(settings[s], '10-snf-webproject-database.conf')).filter((x) => existsSync(x))) {
      const text = readFileSync(f, 'utf8');
      assert.match(text, /'PASSWORD': ''/, `${f} has a DATABASES password to fill`);
      writeFileSync(f, text.replace(/'PASSWORD': ''/g, `'PASSWORD': '${PLANTED.DATABASES_PASSWORD}'`));
    }
    for (const [k, v] of Object.entries(PLANTED)) addSecret(v, `planted ${k}`);
    addSecret(PGPASSWORD, 'PGPASSWORD');
    addSecret(BAD_URL_PASSWORD, 'a bad URL');
    addSecret(UNQUOTED_PASSWORD, 'a password without quotes in a config file');
    if (base) addSecret(URL_PASSWORD, 'database URLs');
    harvestSettings();
    await harvestDatabases();
  });

  test('the upgrade from step 1 to 9.2, headless, with failures on the way', async () => {
    await cli(['--help'], { code: 0 });
    await cli(['--version'], { code: 0 });
    await cli(['status'], { code: 0 });
    await cli(['no-such-command'], { code: 2 });
    await cli(['verify'], { code: 0 }); // read-only: nothing is done yet, so nothing is checked
    await cli(['run', '1', '--yes'], { code: 0 });
    await cli(['run', '2.1'], { code: 0 });
    if (FULL_WALK) await cli(['plan', '2.2', '--json'], { code: 0 });
    const answers = join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({ 2.2: { confirm: false } }));
    const declined = await cli(['run', '2.2', '--accept-suggestions', '--answers', answers], { code: 1 });
    assert.match(declined.stderr, /not confirmed; nothing changed/);
    const migrating = ['2.2', '5', '6.1', '6.2', '6.3', '6.4', '7.1', '7.2', '8', '9.1', '9.2'];
    writeFileSync(answers, JSON.stringify(Object.fromEntries(migrating.map((id) => [id, { confirm: true }]))));
    await cli(['run', '2.2', '--accept-suggestions', '--answers', answers], { code: 0 });
    await cli(['confirm', '3.1'], { code: 0 });
    if (FULL_WALK) {
      await cli(['confirm', '3.2'], { code: 4 }); // not done yet: says why
      await cli(['plan', '3.2'], { code: 0 });
    }
    const manual = FULL_WALK ? ['3.2', '3.3', '3.4', '3.5', '3.6', '4'] as const : ['3.2', '3.3'] as const;
    for (const step of manual) {
      await simulate(step);
      await cli(['confirm', step], { code: 0 });
    }
    await cli(['plan', '3.5'], { code: 0 }); // the 3.5 snippets, the service token hidden
    await cli(['snippets', '3.3'], { code: 0 });
    // `snippets --reveal` is the one output meant to carry a secret (the quotaholder token): it
    // must, and it is the only one; its stdout stays out of the search, its stderr does not.
    const token = await withDb('astakos', urls.astakos, async (db) =>
      (await db.pool.query<{ value: string }>(`SELECT value FROM snf_upgrade_secrets WHERE step = 'snippets'`)).rows[0]!.value);
    await closeAllEmbedded();
    addSecret(token, 'quotaholder token (astakos snf_upgrade_secrets)');
    const revealed = await runCli(['snippets', '3.3', '--reveal', '--config', configPath], { PGPASSWORD, NO_COLOR: '1' });
    assert.equal(revealed.code, 0, revealed.stderr);
    assert.equal(revealed.stdout.split('\n').filter((l) => l.endsWith(`_TOKEN = '${token}'`)).length, 4, 'the revealed lines carry the token');
    seen.push({ what: 'snf-upgrade snippets 3.3 --reveal (stderr)', text: revealed.stderr });
    if (FULL_WALK) await cli(['run', '--through', '9.2', '--yes', '--accept-suggestions', '--answers', answers, '--json'], { code: 0 });
    if (FULL_WALK) await cli(['backup'], { code: 0 });
    await cli(['report', '--format', 'md'], { code: 0 });
    await cli(['report', '--format', 'json'], { code: 0 });
    const status = JSON.parse((await cli(['status', '--json'], { code: 0 })).stdout);
    assert.equal(status.current, FULL_WALK ? '10' : '3.4', 'every step of the walk is done');
  });

  test('failures that repeat a URL with a password in it', async () => {
    let n = 0;
    for (const bad of [
      `postgres://snf:${BAD_URL_PASSWORD}@127.0.0.1:1/snf_apps`,
      `postgres://snf:${BAD_URL_PASSWORD}@db1:notaport/snf_apps`,
      `postgres://snf:${BAD_URL_PASSWORD}@[::1/snf_apps`,
      `postgresql://snf@127.0.0.1:1/snf_apps?password=${BAD_URL_PASSWORD}`,
    ]) {
      const env = { SNF_ASTAKOS_DB: bad };
      const other = ['--state', join(dir, 'other-states', `${++n}.db`)];
      // status shows each database's error in its table, and exits 1 (every database opened: two are enough)
      // a URL that pg's parser refuses is named as such, with the hint to percent-encode (exit 2)
      const unparseable = bad.includes('[::1/');
      const status = n % 2 ? await cli(['status', ...other], { env, code: unparseable ? 2 : 1 }) : undefined;
      if (status) assert.match(status.stdout, unparseable ? /astakos +<unparseable url> +the astakos database URL does not parse/ : /astakos .*cannot reach the astakos database at/);
      const r = await cli(['run', '1', '--yes', ...other], { env });
      if (unparseable) assert.match(r.stderr, /does not parse[^]*next: if its password holds any of @ : \/ \? #/);
      assert.ok(r.code === 1 || r.code === 2, `${bad}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, /^snf-upgrade: .*\n(  .*\n)*  next: /);
      assert.doesNotMatch(r.stderr, /unexpected error/);
      if (process.env.SNF_TEST_SHOW_SECRETS) process.stderr.write(`${r.code} ${r.stderr.split('\n')[0]}\n  status: ${status?.stdout.split('\n').find((l) => l.includes('astakos '))}\n`);
    }
    // the wrong answer file names the URL's password nowhere either
    await cli(['run', '1', '--answers', join(dir, 'nowhere.json')], { code: 2 });
    // A password written without quotes: V8's message quotes the ten characters either side.
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, `{"astakos": {"db": "postgres://snf@db1/snf_apps", "password": ${UNQUOTED_PASSWORD}}}`);
    const r = await runCli(['status', '--config', broken]);
    seen.push({ what: 'status with a broken config (stderr)', text: r.stderr });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^snf-upgrade: config file .* is not valid JSON: Unexpected token 'z' at line 1, column 63\n  next: /);
  });

  test('no secret in any output, state file version, report or file the tool wrote', async () => {
    await harvestDatabases(); // the tokens and hashes as they are after the upgrade too
    harvestSettings();
    assert.ok(secrets.size >= 20, `secrets to look for: ${secrets.size}`);
    const origins = new Set([...secrets.values()].map((o) => o.replace(/ .*$/, '')));
    for (const o of ['astakos.auth_user.password', 'astakos.im_astakosuser.auth_token', 'planted', 'PGPASSWORD']) assert.ok(origins.has(o), `secrets include ${o}`);
    if (process.env.SNF_TEST_SHOW_SECRETS) process.stderr.write(`${secrets.size} secrets from ${[...origins].join(', ')}\n`);
    const files = [...toolFiles(run), ...(existsSync(join(dir, 'other-states')) ? toolFiles(join(dir, 'other-states')) : [])];
    assert.ok(files.some((f) => f === statePath()), 'the state file is among the files searched');
    // Step 2.2 deleted users: their before-images are in the state file, with the credentials left out.
    assert.ok(readFileSync(statePath()).toString('latin1').includes(KEPT_IN_DATABASE), 'before-images with credentials were recorded');
    for (const f of files) seen.push({ what: relative(dir, f), text: readFileSync(f).toString('latin1') });
    const leaks: string[] = [];
    for (const { what, text } of seen) {
      for (const [value, origin] of secrets) {
        if (text.includes(value)) leaks.push(`${what}: ${origin}`);
      }
    }
    assert.deepEqual([...new Set(leaks)], [], 'secrets found');
  });

  test('the state file and every backup are 0600, the folders the tool made closed to others', () => {
    assert.equal(statSync(statePath()).mode & 0o777, 0o600, 'state file');
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(statePath() + suffix)) assert.equal(statSync(statePath() + suffix).mode & 0o777, 0o600, suffix);
    }
    const dumps = readdirSync(join(run, 'backups')).filter((n) => /\.(dump|tar\.gz)$/.test(n));
    assert.ok(dumps.length >= (FULL_WALK ? 6 : 3), `backups of step 1 (and of the backup command): ${dumps.join(', ')}`);
    // Every file the tool keeps in its folders (dumps, exports) is the owner's alone.
    const walk = (folder: string): void => {
      assert.equal(statSync(folder).mode & 0o077, 0, `${folder} is ${(statSync(folder).mode & 0o777).toString(8)}`);
      for (const name of readdirSync(folder)) {
        const f = join(folder, name);
        if (statSync(f).isDirectory()) walk(f);
        else assert.equal(statSync(f).mode & 0o777, 0o600, relative(dir, f));
      }
    };
    walk(join(run, 'state'));
    walk(join(run, 'backups'));
  });
});
