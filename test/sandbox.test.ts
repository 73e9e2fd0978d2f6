// The sandbox: the project's schema files against the reference dumps, generated
// deployments (content, hard cases, invariants, determinism), the simulated steps 3.2
// and 4, and the `sandbox` command. Runs on the server named by SNF_TEST_PG_URL, or
// embedded.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parser as pythonParser } from '@lezer/python';
import { openDb, SERVICES, type Db, type Service } from '../src/db/connection.js';
import { catalogSnapshot, type CatalogSnapshot } from '../src/sandbox/catalog.js';
import { sandboxCommand } from '../src/sandbox/command.js';
import { createSandbox, dropSandbox, type CreateResult } from '../src/sandbox/create.js';
import { contentHashes, hardCaseReport, sandboxInvariants } from '../src/sandbox/report.js';
import { loadSchema, type Queryable, type SchemaVersion } from '../src/sandbox/schema.js';
import { simulateStep } from '../src/sandbox/simulate.js';
import { cleanupAll, emptyDatabases, serverUrl, tempDir, testDbName, usingServer, withDb } from './support.js';

const REF = new URL('../../shared/reference/schema/', import.meta.url);
const VERSIONS: SchemaVersion[] = ['0.12.5', '0.13'];
/** Reference catalogs by "service-version", filled by the first suite. */
const reference = new Map<string, CatalogSnapshot>();

function target(sub: string): { pg?: string; embedded?: string } {
  const base = serverUrl();
  return base ? { pg: base } : { embedded: join(tempDir(`${sub}-`), 'db') };
}

async function resetPublic(c: Queryable): Promise<void> {
  await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET search_path TO "$user", public');
}

async function versionRows(c: Queryable, service: Service): Promise<unknown[]> {
  const sql = service === 'pithos' ? 'SELECT * FROM public.alembic_version'
    : 'SELECT id, app_name, migration, applied FROM public.south_migrationhistory ORDER BY id';
  return (await c.query(sql)).rows;
}

/** Django 1.2 deletion of duplicate users (astakos.md §3.1), keeping the lowest id per folded email. */
async function removeDuplicateUsers(url: string): Promise<number> {
  return withDb('astakos', url, async (db) => {
    const rows = (await db.pool.query('SELECT id, email FROM auth_user ORDER BY id')).rows;
    const seen = new Set<string>();
    const del: number[] = [];
    for (const r of rows) {
      const k = (r.email as string).toLowerCase();
      if (seen.has(k)) del.push(r.id);
      else seen.add(k);
    }
    const c = await db.pool.connect();
    try {
      await c.query('BEGIN');
      for (const [t, col] of [['auth_message', 'user_id'], ['django_admin_log', 'user_id'], ['im_emailchange', 'user_id'],
        ['auth_user_groups', 'user_id'], ['auth_user_user_permissions', 'user_id'], ['im_invitation', 'inviter_id'],
        ['im_additionalmail', 'owner_id'], ['im_astakosuser', 'user_ptr_id'], ['auth_user', 'id']]) {
        await c.query(`DELETE FROM ${t} WHERE ${col} = ANY($1::integer[])`, [del]);
      }
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    return del.length;
  });
}

async function snapshots(urls: Record<Service, string>): Promise<Record<Service, CatalogSnapshot>> {
  const out = {} as Record<Service, CatalogSnapshot>;
  for (const s of SERVICES) out[s] = await withDb(s, urls[s], (db) => catalogSnapshot(db.pool));
  return out;
}

async function hashes(urls: Record<Service, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of SERVICES) {
    const h = await withDb(s, urls[s], (db) => contentHashes(db.pool));
    for (const [t, v] of Object.entries(h)) out[`${s}.${t}`] = v;
  }
  return out;
}

function pythonErrors(text: string): number {
  let errors = 0;
  pythonParser.parse(text).iterate({ enter: (n) => { if (n.type.isError) errors++; } });
  return errors;
}

after(cleanupAll);

describe('schema files', () => {
  it('load on this PostgreSQL and give exactly the catalogs and version rows of the reference dumps', async () => {
    const urls = await emptyDatabases('sbx_t_schema');
    await withDb('astakos', urls.astakos, async (db) => {
      const c = await db.pool.connect();
      try {
        for (const s of SERVICES) {
          for (const v of VERSIONS) {
            await resetPublic(c);
            await c.query(readFileSync(new URL(`${s}-${v}.sql`, REF), 'utf8'));
            await c.query('SET search_path TO "$user", public');
            const ref = await catalogSnapshot(c);
            const refRows = await versionRows(c, s);
            reference.set(`${s}-${v}`, ref);
            await resetPublic(c);
            await loadSchema(c, s, v);
            assert.deepEqual(await catalogSnapshot(c), ref, `${s} ${v}: catalog`);
            assert.deepEqual(await versionRows(c, s), refRows, `${s} ${v}: version rows`);
            if (s === 'pithos') {
              assert.deepEqual((await c.query('SELECT * FROM nodes')).rows, [{ node: 0, parent: 0, latest_version: null, path: '' }]);
            }
          }
        }
      } finally {
        c.release();
      }
    });
  });
});

describe('a small sandbox', () => {
  let a: CreateResult;
  let dirA: string;
  const logA: string[] = [];
  const HARD_CASES = [
    'astakos.users_active', 'astakos.users_inactive', 'astakos.users_email_verified', 'astakos.users_email_unverified',
    'astakos.provider_local', 'astakos.provider_shibboleth', 'astakos.provider_twitter', 'astakos.provider_google',
    'astakos.case_duplicate_pairs', 'astakos.case_duplicate_groups_3_or_more', 'astakos.exact_duplicate_email_groups',
    'astakos.case_duplicates_missed_by_sql_upper', 'astakos.case_duplicates_non_ascii', 'astakos.case_duplicates_with_plus', 'astakos.emails_with_plus',
    'astakos.emails_with_paren_or_bracket', 'astakos.emails_non_ascii', 'astakos.emails_mixed_case',
    'astakos.superusers_with_email_like_username', 'astakos.invitations', 'astakos.invitations_pending',
    'astakos.additional_mails', 'astakos.pending_email_changes',
    'cyclades.identifiers_case_variant_of_astakos_email', 'cyclades.identifiers_unknown_to_astakos',
    'cyclades.identifiers_uuid', 'cyclades.identifiers_numeric', 'cyclades.case_duplicate_groups',
    'cyclades.case_duplicate_groups_without_astakos_twin', 'cyclades.vms_deleted', 'cyclades.vms_build', 'cyclades.vms_error',
    'cyclades.vms_stopped', 'cyclades.vms_started', 'cyclades.vms_destroyed', 'cyclades.nics', 'cyclades.networks_public',
    'cyclades.networks_private', 'cyclades.networks_owner_null', 'cyclades.networks_owner_empty', 'cyclades.public_keys_numeric_owner',
    'pithos.identifiers_case_variant_of_astakos_email', 'pithos.identifiers_unknown_to_astakos', 'pithos.identifiers_uuid',
    'pithos.case_duplicate_groups', 'pithos.case_duplicate_groups_without_astakos_twin', 'pithos.accounts_regex_crash',
    'pithos.accounts_case_duplicates_with_plus', 'pithos.accounts_regex_dot_false_positives', 'pithos.versions_normal',
    'pithos.versions_history', 'pithos.versions_deleted', 'pithos.objects_deleted', 'pithos.attributes', 'pithos.attributes_plankton',
    'pithos.accounts_without_policy', 'pithos.accounts_explicit_quota', 'pithos.accounts_quota_unlimited',
    'pithos.containers_versioning_none', 'pithos.permission_holders_everybody', 'pithos.permission_holders_group',
    'pithos.permission_holders_user', 'pithos.permission_holders_uuid', 'pithos.permission_holders_mixed_case', 'pithos.groups',
    'pithos.group_members_other_case_than_account', 'pithos.group_members_uuid', 'pithos.public_active', 'pithos.public_inactive',
  ];

  /** Open handles that keep embedded instances running between tests (each start costs ~1-2 s). */
  const keep: Db[] = [];

  before(async () => {
    dirA = tempDir('sbx-a-');
    a = await createSandbox({ name: testDbName('sbx_t_a'), ...target('sbx-a'), scale: 'small', seed: 7,
      configPath: join(dirA, 'snf-upgrade-sbx_t_a.json'), log: (l) => logA.push(l) });
    if (!usingServer()) for (const s of SERVICES) keep.push(await openDb(s, a.urls[s], { max: 1 }));
  });

  after(async () => {
    for (const db of keep.splice(0)) await db.close();
  });

  it('reports rows per table and the time, and writes the config file', () => {
    assert.ok(a.ms > 0);
    assert.ok(a.counts['astakos.auth_user'] >= 1000);
    assert.equal(a.counts['astakos.auth_user'], a.counts['astakos.im_astakosuser']);
    assert.ok(a.counts['cyclades.db_virtualmachine'] > 500);
    assert.ok(a.counts['pithos.nodes'] > 5000);
    assert.ok(logA.some((l) => /done in \d/.test(l)), logA.join('\n'));
    const config = JSON.parse(readFileSync(a.configPath, 'utf8'));
    assert.deepEqual(Object.keys(config), ['astakos', 'cyclades', 'pithos', 'state', 'backups']);
    for (const s of SERVICES) {
      assert.deepEqual(Object.keys(config[s]), ['db', 'settings']);
      assert.equal(config[s].db, a.urls[s]);
      assert.ok(config[s].settings.startsWith('/') && existsSync(config[s].settings));
    }
    assert.equal(config.state, join(dirA, `${testDbName('sbx_t_a')}-state.db`));
    assert.equal(config.backups, join(dirA, `${testDbName('sbx_t_a')}-backups`));
  });

  it('has exactly the tables, columns, types and constraints of the 0.12.5 dumps', async () => {
    const snap = await snapshots(a.urls);
    for (const s of SERVICES) assert.deepEqual(snap[s], reference.get(`${s}-0.12.5`), s);
  });

  it('keeps its invariants: statistics add up, latest_version is the newest version, references resolve', async () => {
    assert.deepEqual(await sandboxInvariants(a.urls), []);
  });

  it('contains every hard case', async () => {
    const r = await hardCaseReport(a.urls);
    const missing = HARD_CASES.filter((k) => !(r[k] > 0));
    assert.deepEqual(missing, [], JSON.stringify(r, null, 1));
    assert.ok(r['astakos.login_span_days'] > 600, 'logins spread over two years');
    assert.ok(r['cyclades.disk_templates'] >= 3 && r['cyclades.flavors'] >= 10 && r['cyclades.backends'] >= 2);
  });

  it('writes settings files as on real hosts: valid Python, per-user dicts keyed by mixed-case emails', () => {
    const config = JSON.parse(readFileSync(a.configPath, 'utf8'));
    const files = (s: Service) => readdirSync(config[s].settings).sort();
    assert.ok(files('cyclades').includes('20-snf-cyclades-app-api.conf'));
    assert.ok(files('pithos').includes('20-snf-pithos-app-settings.conf'));
    assert.ok(files('astakos').includes('20-snf-astakos-app-settings.conf'));
    for (const s of SERVICES) {
      for (const f of files(s)) assert.equal(pythonErrors(readFileSync(join(config[s].settings, f), 'utf8')), 0, `${s}/${f}`);
    }
    const all = (s: Service) => files(s).map((f) => readFileSync(join(config[s].settings, f), 'utf8')).join('\n');
    const cyc = all('cyclades');
    for (const name of ['MAX_VMS_PER_USER', 'VMS_USER_QUOTA', 'MAX_NETWORKS_PER_USER', 'NETWORKS_USER_QUOTA', 'BACKEND_PER_USER', 'UI_SYSTEM_IMAGES_OWNERS']) {
      assert.match(cyc, new RegExp(`^${name} = `, 'm'), name);
    }
    assert.match(cyc, /'Maria\.K@example\.gr': 5,\n\s+'maria\.k@example\.gr': 8/);
    assert.match(all('pithos'), /^PITHOS_BACKEND_QUOTA = /m);
    assert.match(all('astakos'), /^ASTAKOS_DEFAULT_FROM_EMAIL = /m);
    assert.match(all('astakos'), /^ASTAKOS_DEFAULT_ADMIN_EMAIL = /m);
  });

  it('is a pure function of scale and seed', async () => {
    const dirB = tempDir('sbx-b-');
    const b = await createSandbox({ name: testDbName('sbx_t_b'), ...target('sbx-b'), scale: 'small', seed: 7, configPath: join(dirB, 'b.json') });
    const [ha, hb] = [await hashes(a.urls), await hashes(b.urls)];
    assert.deepEqual(hb, ha);
    assert.deepEqual(b.counts, a.counts);
    if (usingServer()) {
      // another seed gives other rows (checked on the server only, to keep embedded runs short)
      const c = await createSandbox({ name: testDbName('sbx_t_b'), ...target('sbx-b'), scale: 'small', seed: 8, configPath: join(dirB, 'b.json') });
      const hc = await hashes(c.urls);
      assert.notEqual(hc['astakos.auth_user'], ha['astakos.auth_user']);
      assert.notEqual(hc['pithos.versions'], ha['pithos.versions']);
    }
    await dropSandbox({ name: testDbName('sbx_t_b'), ...target('sbx-b'), configPath: join(dirB, 'b.json') });
  });

  it('simulate 3.2 stops in migration 0016 while duplicate emails remain, leaving 0015 applied', async () => {
    await assert.rejects(simulateStep('3.2', a.urls), /migration 0016 stopped: .*belong to more than one user/);
    const applied = await withDb('astakos', a.urls.astakos, async (db) =>
      (await db.pool.query("SELECT migration FROM south_migrationhistory WHERE app_name = 'im' ORDER BY id")).rows.map((r) => r.migration));
    assert.equal(applied.length, 16);
    assert.match(applied[15], /^0015_/);
    await assert.rejects(simulateStep('4', a.urls), /not migrated to 0\.13/);
  });

  it('after removing duplicates, simulate 3.2 gives the 0.13 catalogs and the data of 0016 and 0061', async () => {
    assert.ok((await removeDuplicateUsers(a.urls.astakos)) > 10);
    const r = await simulateStep('3.2', a.urls, { uuidSalt: 'test' });
    assert.ok(r.done.some((l) => /0016: .* uuids/.test(l)), r.done.join('\n'));
    const snap = await snapshots(a.urls);
    assert.deepEqual(snap.astakos, reference.get('astakos-0.13'));
    assert.deepEqual(snap.cyclades, reference.get('cyclades-0.13'));
    // pithos: the tables the 0.13 backend creates; public.url is the tool's job (6.4)
    const p13 = structuredClone(reference.get('pithos-0.13')!);
    p13.columns.public = p13.columns.public.filter((c) => !/ url /.test(c));
    p13.constraints.public = p13.constraints.public.filter((c) => !/\(url\)/.test(c));
    assert.deepEqual(snap.pithos, p13);

    await withDb('astakos', a.urls.astakos, async (db) => {
      const q = async (sql: string) => (await db.pool.query(sql)).rows[0];
      assert.equal((await q("SELECT count(*)::int AS n FROM im_astakosuser WHERE uuid !~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'")).n, 0);
      assert.equal((await q('SELECT count(*)::int AS n FROM im_astakosuserauthprovider')).n, (await q('SELECT count(*)::int AS n FROM auth_user')).n);
      assert.equal((await q("SELECT count(*)::int AS n FROM auth_user WHERE username <> lower(email) AND email ~ '^[ -~]*$' AND username <> 'root@example.org'")).n, 0);
      assert.equal((await q("SELECT username FROM auth_user WHERE email = 'Root.Admin@Example.org'")).username, 'root@example.org');
      assert.equal((await q("SELECT username FROM auth_user WHERE email = 'jürgen.müller@example.de'")).username, 'jürgen.müller@example.de');
      assert.equal((await q('SELECT count(*)::int AS n FROM im_astakosuser a JOIN auth_user u ON u.id = a.user_ptr_id WHERE u.is_active AND a.activation_sent IS NULL')).n, 0);
      assert.equal((await q("SELECT count(*)::int AS n FROM quotaholder_app_entity WHERE entity = 'system'")).n, 1);
      assert.equal((await q("SELECT count(*)::int AS n FROM south_migrationhistory WHERE app_name = 'im'")).n, 25);
    });
    await withDb('cyclades', a.urls.cyclades, async (db) => {
      const flavors = (await db.pool.query('SELECT DISTINCT flavor, mode, tags FROM db_network ORDER BY 1, 2')).rows;
      assert.deepEqual(flavors.map((f) => f.flavor).filter((x, i, all) => all.indexOf(x) === i),
        ['CUSTOM', 'IP_LESS_ROUTED', 'MAC_FILTERED', 'PHYSICAL_VLAN']);
      assert.ok(flavors.some((f) => f.flavor === 'IP_LESS_ROUTED' && f.mode === 'routed' && f.tags === 'ip-less-routed'));
    });
    const again = await simulateStep('3.2', a.urls);
    assert.ok(again.done.every((l) => /nothing to do|already exist/.test(l)), again.done.join('\n'));
    const four = await simulateStep('4', a.urls);
    assert.match(four.done.join('\n'), /no change/);
  });

  it('drop removes the databases, the settings, and the config file', async () => {
    for (const db of keep.splice(0)) await db.close();
    const r = await dropSandbox({ name: testDbName('sbx_t_a'), ...(usingServer() ? { pg: serverUrl() } : {}), configPath: a.configPath });
    assert.ok(r.removed.length >= 5, r.removed.join('\n'));
    assert.ok(!existsSync(a.configPath));
    assert.ok(!existsSync(join(dirA, `${testDbName('sbx_t_a')}-settings`)));
  });
});

describe('the sandbox command', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await sandboxCommand(argv, { out: (s) => { out += `${s}\n`; }, err: (s) => { err += `${s}\n`; } });
    return { code, out, err };
  }

  it('rejects bad flags with one line and exit code 2', async () => {
    for (const argv of [
      ['create', '--name', 'x', '--bogus'],
      ['create', '--scale', 'tiny'],
      ['create', '--name', 'x', '--scale', 'huge', '--embedded', '/tmp/x'],
      ['create', '--name', 'x', '--seed', 'abc', '--embedded', '/tmp/x'],
      ['create', '--name', 'x', '--pg', 'postgres://h/db', '--embedded', '/tmp/x'],
      ['create', '--name', 'Bad-Name', '--embedded', '/tmp/x'],
      ['simulate', '9', '--name', 'x'],
      ['simulate', '--name', 'x'],
      ['drop', '--name', 'x', '--scale', 'tiny'],
      ['frobnicate', '--name', 'x'],
    ]) {
      const r = await run(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.equal(r.out, '');
    }
    // drop without a place to drop from is a usage error too, with its next step
    const nowhere = await run('drop', '--name', 'x', '--config', join(tempDir('sbx-nowhere-'), 'none.json'));
    assert.equal(nowhere.code, 2, nowhere.err);
    assert.match(nowhere.err, /no --pg or --embedded given and no sandbox config at \S+none\.json \(give --pg URL or --embedded DIR/);
    const help = await run('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /sandbox create --name NAME/);
  });

  it('creates a tiny sandbox (with most hard cases), reports on it, simulates and drops it', async () => {
    const dir = tempDir('sbx-cmd-');
    const config = join(dir, 'cmd.json');
    const where = usingServer() ? ['--pg', serverUrl()!] : ['--embedded', join(dir, 'db')];
    const c = await run('create', '--name', testDbName('sbx_t_cmd'), ...where, '--scale', 'tiny', '--seed', '5', '--config', config);
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /pithos\.versions\s+[\d,]+/);
    assert.match(c.out, /rows in \d+\.\d s; config: /);
    const r = await run('report', '--name', testDbName('sbx_t_cmd'), '--config', config);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /invariants: all hold/);
    const count = (k: string) => Number(new RegExp(`${k.replace(/\./g, '\\.')}\\s+([\\d,]+)`).exec(r.out)?.[1].replace(/,/g, '') ?? 0);
    for (const k of ['astakos.case_duplicate_pairs', 'astakos.case_duplicate_groups_3_or_more', 'astakos.exact_duplicate_email_groups',
      'astakos.case_duplicates_non_ascii', 'astakos.emails_with_paren_or_bracket', 'astakos.emails_non_ascii',
      'cyclades.case_duplicate_groups_without_astakos_twin', 'cyclades.identifiers_unknown_to_astakos', 'cyclades.identifiers_uuid',
      'cyclades.public_keys_numeric_owner', 'cyclades.vms_build', 'cyclades.vms_error', 'cyclades.vms_stopped', 'cyclades.vms_started',
      'cyclades.vms_destroyed', 'cyclades.networks_owner_null', 'cyclades.networks_owner_empty',
      'pithos.case_duplicate_groups_without_astakos_twin', 'pithos.accounts_regex_crash', 'pithos.accounts_regex_dot_false_positives',
      'pithos.group_members_other_case_than_account', 'pithos.versions_history', 'pithos.versions_deleted',
      'pithos.public_active', 'pithos.public_inactive', 'pithos.permission_holders_group']) {
      assert.ok(count(k) > 0, `${k}: ${count(k)}`);
    }
    const s4 = await run('simulate', '4', '--name', testDbName('sbx_t_cmd'), '--config', config);
    assert.equal(s4.code, 1);
    assert.match(s4.err, /simulate step 3\.2 first/);
    const d = await run('drop', '--name', testDbName('sbx_t_cmd'), '--config', config);
    assert.equal(d.code, 0, d.err);
    assert.ok(!existsSync(config));
    const again = await run('simulate', '3.2', '--name', testDbName('sbx_t_cmd'), '--config', config);
    assert.equal(again.code, 1);
    assert.match(again.err, /no sandbox config/);
  });
});
