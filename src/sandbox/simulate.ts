// What the manual steps of the upgrade guide do, performed on a sandbox:
//   3.2  astakos `snf-manage syncdb && migrate` (quotaholder tables, South im 0015-0024
//        with the data of 0016 exactly as upstream), cyclades `migrate` (db 0059-0061),
//        and the tables the pithos 0.13 backend creates when it starts (config,
//        qh_serials; NOT the alembic revisions, which are the tool's step 6.4).
//   4    astakos up: no change to the databases.
//   11   the closing checklist on the settings copies: the rewritten files installed,
//        PITHOS_USE_QUOTAHOLDER = True (services restarted: nothing to do on the data).
// Like South, each migration commits on its own: if 0016 fails (duplicate emails left,
// usernames that collide), 0015 stays applied and 0016 can be run again.
import { randomBytes } from 'node:crypto';
import { pyLower } from '../core/fold.js';
import { openDb, SERVICES, type Service } from '../db/connection.js';
import { EXIT, UserError } from '../errors.js';
import { simulateClosing, simulateSettingsStep } from './simulate-settings.js';
import { ASTAKOS_CONTENT_TYPES_013, contentTypesSql } from './gen-astakos.js';
import { runSchemaSection, schemaSections, type Queryable } from './schema.js';

export type SimulatedStep = '3.2' | '3.3' | '3.4' | '3.5' | '3.6' | '4' | '11';
export const SIMULATED_STEPS: readonly SimulatedStep[] = ['3.2', '3.3', '3.4', '3.5', '3.6', '4', '11'];

export interface SimulateOptions {
  log?: (line: string) => void;
  /** Salt of the md5-based uuids of migration 0016 (default: random, as uuid4 is). */
  uuidSalt?: string;
  /** The sandbox's settings folders (steps 3.3–3.6 write into them). */
  settings?: Partial<Record<Service, string>>;
}

export interface SimulateResult {
  /** What was done, one line each. */
  done: string[];
}

/** South history rows of the 0.13 file for APP whose number is in [from, to]. */
function southRows(service: 'astakos' | 'cyclades', app: string): Array<{ number: number; name: string }> {
  const sql = schemaSections(`${service}-0.13.sql`).get('version-rows') ?? '';
  const rows: Array<{ number: number; name: string }> = [];
  for (const m of sql.matchAll(/VALUES \(\d+, '([^']+)', '((\d{4})_[^']*)'/g)) {
    if (m[1] === app) rows.push({ number: Number(m[3]), name: m[2] });
  }
  return rows;
}

async function applied(c: Queryable, app: string): Promise<Set<string>> {
  const r = await c.query('SELECT migration FROM south_migrationhistory WHERE app_name = $1', [app]);
  return new Set(r.rows.map((x) => x.migration as string));
}

async function record(c: Queryable, app: string, migration: string): Promise<void> {
  await c.query('INSERT INTO south_migrationhistory (app_name, migration, applied) VALUES ($1, $2, now())', [app, migration]);
}

async function inTransaction<T>(c: Queryable, f: () => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    const r = await f();
    await c.query('COMMIT');
    return r;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function tableExists(c: Queryable, table: string): Promise<boolean> {
  const r = await c.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = 'public' AND c.relname = $1 AND c.relkind = 'r'`, [table]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Django 1.2's email_re (django/core/validators.py), as a PostgreSQL regular expression
 * for `~*` (case-insensitive; in a C-collation database that folds ASCII only, as
 * Python 2's re.IGNORECASE without re.UNICODE does).
 */
export const DJANGO_EMAIL_RE =
  "^([-!#$%&'*+/=?^_`{}|~0-9a-z]+(\\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
  + '|"([\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f!#-\\[\\]-\\x7f]|\\\\[\\x01-\\x09\\x0b\\x0c\\x0e-\\x7f])*"'
  + ')@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,6}\\.?$';

function sqlLit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** SQL of an md5-based version-4 uuid (canonical lowercase form) from SALT and an integer id expression. */
function uuidSql(salt: string, idExpr: string): string {
  return `(overlay(overlay(md5(${sqlLit(`${salt}:`)} || ${idExpr}) placing '4' from 13 for 1)
                   placing substr('89ab', 1 + ${idExpr} % 4, 1) from 17 for 1))::uuid::text`;
}

/** Migration 0016 `auth_providers_and_projects`, data part (astakos.md §2.4). */
async function migration0016(c: Queryable, salt: string, log: (l: string) => void): Promise<void> {
  // Step A: activation fix-up, then a uuid for every user
  const a1 = await c.query(`UPDATE im_astakosuser a SET activation_sent = now(), email_verified = true
                              FROM auth_user u
                             WHERE u.id = a.user_ptr_id AND u.is_active AND a.activation_sent IS NULL`);
  const a2 = await c.query(`UPDATE im_astakosuser SET uuid = ${uuidSql(salt, 'user_ptr_id')} WHERE uuid IS NULL`);
  // Step B: one auth provider per user
  const b = await c.query(`
    INSERT INTO im_astakosuserauthprovider (affiliation, user_id, module, identifier, active, auth_backend, info_data, created)
    SELECT NULL, a.user_ptr_id,
           CASE WHEN coalesce(a.provider, '') NOT IN ('', 'local') THEN a.provider ELSE 'local' END,
           CASE WHEN coalesce(a.provider, '') NOT IN ('', 'local') THEN a.third_party_identifier END,
           true, 'astakos', '', now()
      FROM im_astakosuser a ORDER BY a.user_ptr_id`);
  // Step C: duplicate emails (Django email__iexact: UPPER() in PostgreSQL) make 0016 prompt.
  // The install guide creates the database with LC_CTYPE 'C', where UPPER() folds ASCII
  // only; COLLATE "C" gives that on any engine (PGlite's LC_CTYPE is C.UTF-8).
  const dups = await c.query(`
    SELECT upper(u.email COLLATE "C") AS k, string_agg(u.id || ' ' || u.email, ', ' ORDER BY u.id) AS users, count(*) AS n
      FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id
     GROUP BY upper(u.email COLLATE "C") HAVING count(*) > 1 ORDER BY 1`);
  if (dups.rows.length > 0) {
    throw new UserError(
      `migration 0016 stopped: ${dups.rows.length} email(s) belong to more than one user (e.g. ${dups.rows[0].users}); `
      + 'upstream it prompts for the user to keep and, without a terminal, fails with EOFError',
      'remove the duplicate users first (guide step 2), then simulate step 3.2 again (0015 stays applied)');
  }
  // Step D: username := lower(email) unless the username already looks like an email.
  // ASCII emails in SQL; non-ASCII ones lower-cased here, as Python's unicode.lower() does.
  const d1 = await c.query(`
    UPDATE auth_user u SET username = lower(u.email COLLATE "C")
      FROM im_astakosuser a
     WHERE a.user_ptr_id = u.id AND NOT (u.username ~* ${sqlLit(DJANGO_EMAIL_RE)})
       AND u.email !~ '[^\\x01-\\x7f]' AND u.username IS DISTINCT FROM lower(u.email COLLATE "C")`);
  const wide = await c.query(`
    SELECT u.id, u.email FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id
     WHERE NOT (u.username ~* ${sqlLit(DJANGO_EMAIL_RE)}) AND u.email ~ '[^\\x01-\\x7f]' ORDER BY u.id`);
  if (wide.rows.length > 0) {
    await c.query(`UPDATE auth_user u SET username = x.username
                     FROM unnest($1::integer[], $2::text[]) AS x(id, username) WHERE u.id = x.id`,
    [wide.rows.map((r) => r.id), wide.rows.map((r) => pyLower(r.email as string))]);
  }
  log(`astakos 0016: ${a1.rowCount} activations fixed, ${a2.rowCount} uuids, ${b.rowCount} auth providers, `
    + `${(d1.rowCount ?? 0) + wide.rows.length} usernames set to the lower-cased email`);
}

async function simulateAstakos(url: string, opts: SimulateOptions, done: string[]): Promise<void> {
  const log = (l: string) => {
    done.push(l);
    opts.log?.(l);
  };
  const db = await openDb('astakos', url, { max: 1, application: 'snf-upgrade sandbox' });
  const c = await db.pool.connect();
  try {
    const rows = southRows('astakos', 'im').filter((r) => r.number >= 15);
    let have = await applied(c, 'im');
    if (rows.every((r) => have.has(r.name))) {
      log('astakos: already at 0.13 (im 0024 applied); nothing to do');
      return;
    }
    // syncdb: the quotaholder app (no South migrations) and its fixture, new content types
    if (!(await tableExists(c, 'quotaholder_app_entity'))) {
      await inTransaction(c, () => runSchemaSection(c, 'astakos-0.13-migrate.sql', 'syncdb'));
      log('astakos syncdb: created the quotaholder_app tables and the "system" entity');
    }
    await inTransaction(c, () => c.query(contentTypesSql(ASTAKOS_CONTENT_TYPES_013, true)));
    // migrate: im 0015 … 0024, each in its own transaction
    const salt = opts.uuidSalt ?? randomBytes(16).toString('hex');
    for (const r of rows) {
      if (have.has(r.name)) continue;
      await inTransaction(c, async () => {
        if (r.number === 15) await runSchemaSection(c, 'astakos-0.13-migrate.sql', '0015');
        else if (r.number === 16) await migration0016(c, salt, log);
        else if (r.number === 17) await runSchemaSection(c, 'astakos-0.13-migrate.sql', '0017-0024');
        await record(c, 'im', r.name);
      }).catch((err: unknown) => {
        const e = err as { code?: string; detail?: string; constraint?: string };
        if (e.code === '23505') {
          throw new UserError(`migration ${r.name.slice(0, 4)} failed: ${e.detail ?? 'a unique constraint was violated'}`
            + ' (two users would get the same username)',
          'remove or rename one of the colliding users, then simulate step 3.2 again');
        }
        throw err;
      });
      if (r.number !== 16) log(`astakos: applied im ${r.name}`);
      have = await applied(c, 'im');
    }
  } finally {
    c.release();
    await db.close();
  }
}

async function simulateCyclades(url: string, opts: SimulateOptions, done: string[]): Promise<void> {
  const log = (l: string) => {
    done.push(l);
    opts.log?.(l);
  };
  const db = await openDb('cyclades', url, { max: 1, application: 'snf-upgrade sandbox' });
  const c = await db.pool.connect();
  try {
    const rows = southRows('cyclades', 'db').filter((r) => r.number >= 59);
    const have = await applied(c, 'db');
    if (rows.every((r) => have.has(r.name))) {
      log('cyclades: already at 0.13 (db 0061 applied); nothing to do');
      return;
    }
    for (const r of rows) {
      if (have.has(r.name)) continue;
      await inTransaction(c, async () => {
        if (r.number === 59) await runSchemaSection(c, 'cyclades-0.13-migrate.sql', '0059');
        else if (r.number === 60) await runSchemaSection(c, 'cyclades-0.13-migrate.sql', '0060');
        else if (r.number === 61) {
          // 0061 network_flavors: every network (deleted ones too) is saved again
          const n = await c.query(`
            UPDATE db_network SET
              mode = CASE flavor WHEN 'PUBLIC_ROUTED' THEN 'routed' WHEN 'PRIVATE_MAC_FILTERED' THEN 'bridged'
                                 WHEN 'PRIVATE_PHYSICAL_VLAN' THEN 'bridged' WHEN 'CUSTOM_ROUTED' THEN 'routed'
                                 WHEN 'CUSTOM_BRIDGED' THEN 'bridged' ELSE mode END,
              tags = CASE flavor WHEN 'PUBLIC_ROUTED' THEN 'ip-less-routed' WHEN 'PRIVATE_MAC_FILTERED' THEN 'private-filtered'
                                 WHEN 'PRIVATE_PHYSICAL_VLAN' THEN 'physical-vlan' WHEN 'CUSTOM_ROUTED' THEN NULL
                                 WHEN 'CUSTOM_BRIDGED' THEN NULL ELSE tags END,
              flavor = CASE flavor WHEN 'PUBLIC_ROUTED' THEN 'IP_LESS_ROUTED' WHEN 'PRIVATE_MAC_FILTERED' THEN 'MAC_FILTERED'
                                   WHEN 'PRIVATE_PHYSICAL_VLAN' THEN 'PHYSICAL_VLAN' WHEN 'CUSTOM_ROUTED' THEN 'CUSTOM'
                                   WHEN 'CUSTOM_BRIDGED' THEN 'CUSTOM' ELSE flavor END,
              updated = now()`);
          log(`cyclades 0061: ${n.rowCount} networks given 0.13 flavors`);
        }
        await record(c, 'db', r.name);
      }).catch((err: unknown) => {
        const e = err as { code?: string; message?: string };
        if (e.code === '22001') {
          throw new UserError(`migration ${r.name.slice(0, 4)} failed: ${e.message} (a network link is longer than 32 characters)`,
            'shorten db_network.link of those networks, then simulate step 3.2 again');
        }
        throw err;
      });
      if (r.number !== 61) log(`cyclades: applied db ${r.name}`);
    }
  } finally {
    c.release();
    await db.close();
  }
}

async function simulatePithosStart(url: string, opts: SimulateOptions, done: string[]): Promise<void> {
  const db = await openDb('pithos', url, { max: 1, application: 'snf-upgrade sandbox' });
  try {
    const before = await tableExists(db.pool, 'qh_serials');
    await runSchemaSection(db.pool, 'pithos-0.13-backend.sql', 'backend-start');
    const l = before ? 'pithos: config and qh_serials already exist' : 'pithos: the 0.13 backend created config and qh_serials';
    done.push(l);
    opts.log?.(l);
  } finally {
    await db.close();
  }
}

/** Whether astakos is at 0.13 (im 0024 applied). */
async function astakosAt013(url: string): Promise<boolean> {
  const db = await openDb('astakos', url, { max: 1, application: 'snf-upgrade sandbox' });
  try {
    const last = southRows('astakos', 'im').at(-1)!;
    return (await applied(db.pool, 'im')).has(last.name);
  } finally {
    await db.close();
  }
}

export async function simulateStep(step: SimulatedStep, urls: Record<Service, string>, opts: SimulateOptions = {}): Promise<SimulateResult> {
  for (const s of SERVICES) {
    if (!urls[s]) throw new UserError(`no ${s} database given`, 'use the config file written by "sandbox create"', EXIT.usage);
  }
  const done: string[] = [];
  if (step === '3.2') {
    await simulateAstakos(urls.astakos, opts, done);
    await simulateCyclades(urls.cyclades, opts, done);
    await simulatePithosStart(urls.pithos, opts, done);
  } else if (step === '3.3' || step === '3.4' || step === '3.5' || step === '3.6') {
    done.push(...await simulateSettingsStep(step, urls, opts.settings ?? {}, opts.log ?? (() => undefined)));
  } else if (step === '4') {
    if (!(await astakosAt013(urls.astakos))) {
      throw new UserError('astakos is not migrated to 0.13, so it cannot be started', 'simulate step 3.2 first');
    }
    const l = 'astakos: started with the 0.13 code (no change to the databases)';
    done.push(l);
    opts.log?.(l);
  } else if (step === '11') {
    done.push(...simulateClosing(opts.settings ?? {}, opts.log ?? (() => undefined)));
  } else {
    throw new UserError(`step ${String(step)} cannot be simulated`, `choose one of ${SIMULATED_STEPS.join(', ')}`, EXIT.usage);
  }
  return { done };
}
