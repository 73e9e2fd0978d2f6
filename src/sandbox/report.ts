// What a sandbox contains, by querying it: counts of every hard case (for tests and for
// the operator of the demo), invariants that must hold, and a content hash per table.
import { openDb, SERVICES, type Db, type Service } from '../db/connection.js';
import type { Queryable } from './schema.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Python/JS-style case folding (what astakos 0.13 applies to usernames). */
const fold = (s: string) => s.toLowerCase();

async function withDbs<T>(urls: Record<Service, string>, f: (dbs: Record<Service, Db>) => Promise<T>): Promise<T> {
  const dbs = {} as Record<Service, Db>;
  try {
    for (const s of SERVICES) dbs[s] = await openDb(s, urls[s], { max: 1, application: 'snf-upgrade sandbox' });
    return await f(dbs);
  } finally {
    for (const s of SERVICES) await dbs[s]?.close().catch(() => undefined);
  }
}

async function one(c: Queryable, sql: string): Promise<number> {
  const r = await c.query(sql);
  return Number(Object.values(r.rows[0] ?? { n: 0 })[0] ?? 0);
}

/** Spellings grouped by their case-folded form. */
function groups(values: Iterable<string>): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const v of values) {
    const k = fold(v);
    let g = m.get(k);
    if (!g) m.set(k, (g = new Set()));
    g.add(v);
  }
  return m;
}

/** How identifiers of a service relate to the astakos emails. */
function identifierCases(prefix: string, idents: string[], astakosExact: Set<string>, astakosFolded: Map<string, number>,
  out: Record<string, number>): void {
  let unknown = 0, variant = 0, uuids = 0, numeric = 0, exact = 0;
  for (const id of idents) {
    if (astakosExact.has(id)) exact++;
    else if (astakosFolded.has(fold(id))) variant++;
    else if (UUID_RE.test(id)) uuids++;
    else if (/^[0-9]+$/.test(id)) numeric++;
    else unknown++;
  }
  out[`${prefix}.identifiers`] = idents.length;
  out[`${prefix}.identifiers_exact_astakos_email`] = exact;
  out[`${prefix}.identifiers_case_variant_of_astakos_email`] = variant;
  out[`${prefix}.identifiers_unknown_to_astakos`] = unknown;
  out[`${prefix}.identifiers_uuid`] = uuids;
  out[`${prefix}.identifiers_numeric`] = numeric;
  // case duplicates within the service for which astakos has a single user (no astakos twin)
  let dupGroups = 0, onlyHere = 0;
  for (const [k, g] of groups(idents)) {
    if (g.size < 2) continue;
    dupGroups++;
    if ((astakosFolded.get(k) ?? 0) <= 1) onlyHere++;
  }
  out[`${prefix}.case_duplicate_groups`] = dupGroups;
  out[`${prefix}.case_duplicate_groups_without_astakos_twin`] = onlyHere;
}

/**
 * Counts of every hard case the references describe, by querying the three databases
 * (works at 0.12.5 and after the simulated steps). Keys are 'service.case'.
 */
export async function hardCaseReport(urls: Record<Service, string>): Promise<Record<string, number>> {
  return withDbs(urls, async ({ astakos: a, cyclades: c, pithos: p }) => {
    const out: Record<string, number> = {};
    // ------------------------------------------------------------ astakos
    const users = (await a.pool.query(`SELECT u.email, upper(u.email COLLATE "C") AS up, u.is_active, x.email_verified, x.provider
                                         FROM auth_user u JOIN im_astakosuser x ON x.user_ptr_id = u.id`)).rows;
    const emails = users.map((r) => r.email as string);
    out['astakos.users'] = users.length;
    out['astakos.users_active'] = users.filter((r) => r.is_active).length;
    out['astakos.users_inactive'] = users.filter((r) => !r.is_active).length;
    out['astakos.users_email_verified'] = users.filter((r) => r.email_verified).length;
    out['astakos.users_email_unverified'] = users.filter((r) => !r.email_verified).length;
    for (const prov of ['local', 'shibboleth', 'twitter', 'google', '']) {
      out[`astakos.provider_${prov || 'empty'}`] = users.filter((r) => (r.provider ?? '') === prov).length;
    }
    const byFold = new Map<string, typeof users>();
    for (const r of users) {
      const k = fold(r.email);
      byFold.set(k, [...(byFold.get(k) ?? []), r]);
    }
    // missedBySqlUpper: groups that UPPER() in a C database (as the install guide creates)
    // does not see, so migration 0016 does not prompt but then fails on the usernames
    let pairs = 0, bigger = 0, exactDup = 0, missedBySqlUpper = 0, plusDup = 0, nonAscii = 0;
    for (const g of byFold.values()) {
      if (g.length < 2) continue;
      if (g.length === 2) pairs++;
      else bigger++;
      if (new Set(g.map((r) => r.email)).size < g.length) exactDup++;
      if (new Set(g.map((r) => r.up)).size > 1) missedBySqlUpper++;
      if (g[0].email.includes('+')) plusDup++;
      if (/[^\x00-\x7f]/.test(g[0].email)) nonAscii++;
    }
    out['astakos.case_duplicate_pairs'] = pairs;
    out['astakos.case_duplicate_groups_3_or_more'] = bigger;
    out['astakos.exact_duplicate_email_groups'] = exactDup;
    out['astakos.case_duplicates_missed_by_sql_upper'] = missedBySqlUpper;
    out['astakos.case_duplicates_with_plus'] = plusDup;
    out['astakos.case_duplicates_non_ascii'] = nonAscii;
    out['astakos.emails_with_plus'] = emails.filter((e) => e.includes('+')).length;
    out['astakos.emails_with_paren_or_bracket'] = emails.filter((e) => /[()[\]]/.test(e)).length;
    out['astakos.emails_non_ascii'] = emails.filter((e) => /[^\x00-\x7f]/.test(e)).length;
    out['astakos.emails_mixed_case'] = emails.filter((e) => e !== e.toLowerCase()).length;
    out['astakos.login_span_days'] = await one(a.pool, `SELECT coalesce(extract(day FROM max(last_login) - min(last_login)), 0) FROM auth_user`);
    out['astakos.superusers_with_email_like_username'] = await one(a.pool,
      `SELECT count(*) FROM auth_user WHERE is_superuser AND username LIKE '%@%' AND username <> lower(email)`);
    out['astakos.invitations'] = await one(a.pool, 'SELECT count(*) FROM im_invitation');
    out['astakos.invitations_pending'] = await one(a.pool, 'SELECT count(*) FROM im_invitation WHERE NOT is_consumed');
    out['astakos.additional_mails'] = await one(a.pool, 'SELECT count(*) FROM im_additionalmail');
    out['astakos.pending_email_changes'] = await one(a.pool, 'SELECT count(*) FROM im_emailchange');
    const exact = new Set(emails);
    const folded = new Map<string, number>();
    for (const e of emails) folded.set(fold(e), (folded.get(fold(e)) ?? 0) + 1);

    // ------------------------------------------------------------ cyclades
    const owners = (await c.pool.query(`SELECT userid AS id FROM db_virtualmachine UNION SELECT userid FROM db_network
                                        UNION SELECT "user" FROM userdata_publickeypair`)).rows
      .map((r) => r.id as string | null).filter((x): x is string => x !== null && x !== '');
    identifierCases('cyclades', owners, exact, folded, out);
    out['cyclades.vms'] = await one(c.pool, 'SELECT count(*) FROM db_virtualmachine');
    out['cyclades.vms_deleted'] = await one(c.pool, 'SELECT count(*) FROM db_virtualmachine WHERE deleted');
    for (const st of ['BUILD', 'ERROR', 'STOPPED', 'STARTED', 'DESTROYED']) {
      out[`cyclades.vms_${st.toLowerCase()}`] = await one(c.pool, `SELECT count(*) FROM db_virtualmachine WHERE operstate = '${st}'`);
    }
    out['cyclades.flavors'] = await one(c.pool, 'SELECT count(*) FROM db_flavor');
    out['cyclades.disk_templates'] = await one(c.pool, 'SELECT count(DISTINCT disk_template) FROM db_flavor');
    out['cyclades.backends'] = await one(c.pool, 'SELECT count(*) FROM db_backend');
    out['cyclades.nics'] = await one(c.pool, 'SELECT count(*) FROM db_networkinterface');
    out['cyclades.networks_public'] = await one(c.pool, 'SELECT count(*) FROM db_network WHERE public');
    out['cyclades.networks_private'] = await one(c.pool, 'SELECT count(*) FROM db_network WHERE NOT public');
    out['cyclades.networks_owner_null'] = await one(c.pool, 'SELECT count(*) FROM db_network WHERE userid IS NULL');
    out['cyclades.networks_owner_empty'] = await one(c.pool, "SELECT count(*) FROM db_network WHERE userid = ''");
    out['cyclades.public_keys'] = await one(c.pool, 'SELECT count(*) FROM userdata_publickeypair');
    out['cyclades.public_keys_numeric_owner'] = await one(c.pool, `SELECT count(*) FROM userdata_publickeypair WHERE "user" ~ '^[0-9]+$'`);

    // ------------------------------------------------------------ pithos
    const accounts = (await p.pool.query('SELECT path FROM nodes WHERE parent = 0 AND node <> 0')).rows.map((r) => r.path as string);
    identifierCases('pithos', accounts, exact, folded, out);
    const accountSet = new Set(accounts);
    const accountFolded = new Set(accounts.map(fold));
    out['pithos.accounts'] = accounts.length;
    out['pithos.accounts_regex_crash'] = accounts.filter((x) => /[()[\]]/.test(x)).length;
    out['pithos.accounts_case_duplicates_with_plus'] = [...groups(accounts).values()].filter((g) => g.size > 1 && [...g][0].includes('+')).length;
    out['pithos.accounts_regex_dot_false_positives'] = await one(p.pool, `
      WITH acc AS (SELECT path FROM nodes WHERE parent = 0 AND node <> 0),
           dots AS (SELECT a.path, i FROM acc a, generate_series(1, length(a.path)) i WHERE substr(a.path, i, 1) = '.'),
           masked AS (SELECT d.path, lower(overlay(d.path placing '*' from d.i for 1) COLLATE "C") AS k FROM dots d),
           other AS (SELECT b.path, lower(overlay(b.path placing '*' from i for 1) COLLATE "C") AS k
                       FROM acc b, generate_series(1, length(b.path)) i WHERE substr(b.path, i, 1) <> '.')
      SELECT count(DISTINCT (m.path, o.path)) FROM masked m JOIN other o ON o.k = m.k WHERE lower(m.path COLLATE "C") <> lower(o.path COLLATE "C")`);
    out['pithos.containers'] = await one(p.pool, 'SELECT count(*) FROM nodes n JOIN nodes a ON a.node = n.parent WHERE a.parent = 0 AND a.node <> 0 AND n.node <> 0');
    out['pithos.nodes'] = await one(p.pool, 'SELECT count(*) FROM nodes');
    for (const [cl, name] of [[0, 'normal'], [1, 'history'], [2, 'deleted']] as const) {
      out[`pithos.versions_${name}`] = await one(p.pool, `SELECT count(*) FROM versions WHERE cluster = ${cl}`);
    }
    out['pithos.objects_deleted'] = await one(p.pool, `SELECT count(*) FROM nodes n JOIN versions v ON v.serial = n.latest_version WHERE v.cluster = 2`);
    out['pithos.attributes'] = await one(p.pool, 'SELECT count(*) FROM attributes');
    out['pithos.attributes_plankton'] = await one(p.pool, "SELECT count(*) FROM attributes WHERE domain = 'plankton'");
    out['pithos.accounts_without_policy'] = await one(p.pool,
      'SELECT count(*) FROM nodes n WHERE n.parent = 0 AND n.node <> 0 AND NOT EXISTS (SELECT 1 FROM policy p WHERE p.node = n.node)');
    out['pithos.accounts_explicit_quota'] = await one(p.pool,
      "SELECT count(*) FROM policy p JOIN nodes n ON n.node = p.node WHERE n.parent = 0 AND p.key = 'quota'");
    out['pithos.accounts_quota_unlimited'] = await one(p.pool,
      "SELECT count(*) FROM policy p JOIN nodes n ON n.node = p.node WHERE n.parent = 0 AND p.key = 'quota' AND p.value = '0'");
    out['pithos.containers_versioning_none'] = await one(p.pool, "SELECT count(*) FROM policy WHERE key = 'versioning' AND value = 'none'");
    const holders = (await p.pool.query('SELECT value FROM xfeaturevals')).rows.map((r) => r.value as string);
    out['pithos.permissions'] = holders.length;
    out['pithos.permission_holders_everybody'] = holders.filter((v) => v === '*').length;
    out['pithos.permission_holders_group'] = holders.filter((v) => v.includes(':')).length;
    out['pithos.permission_holders_user'] = holders.filter((v) => v !== '*' && !v.includes(':') && !UUID_RE.test(v)).length;
    out['pithos.permission_holders_uuid'] = holders.filter((v) => UUID_RE.test(v)).length;
    out['pithos.permission_holders_mixed_case'] = holders.filter((v) => v !== v.toLowerCase()).length;
    const members = (await p.pool.query('SELECT DISTINCT member FROM groups')).rows.map((r) => r.member as string);
    out['pithos.groups'] = await one(p.pool, 'SELECT count(*) FROM (SELECT DISTINCT owner, name FROM groups) g');
    out['pithos.group_members'] = await one(p.pool, 'SELECT count(*) FROM groups');
    out['pithos.group_members_other_case_than_account'] = members.filter((m) => !accountSet.has(m) && accountFolded.has(fold(m))).length;
    out['pithos.group_members_uuid'] = members.filter((m) => UUID_RE.test(m)).length;
    out['pithos.public_active'] = await one(p.pool, 'SELECT count(*) FROM public WHERE active');
    out['pithos.public_inactive'] = await one(p.pool, 'SELECT count(*) FROM public WHERE NOT active');
    out['pithos.statistics'] = await one(p.pool, 'SELECT count(*) FROM statistics');
    return out;
  });
}

/** Violations of the invariants a generated sandbox promises (empty when all hold). */
export async function sandboxInvariants(urls: Record<Service, string>): Promise<string[]> {
  return withDbs(urls, async ({ astakos: a, cyclades: c, pithos: p }) => {
    const bad: string[] = [];
    const check = async (db: Db, what: string, sql: string) => {
      const n = await one(db.pool, sql);
      if (n !== 0) bad.push(`${db.service}: ${what} (${n})`);
    };
    await check(a, 'auth_user rows without im_astakosuser', 'SELECT count(*) FROM auth_user u WHERE NOT EXISTS (SELECT 1 FROM im_astakosuser a WHERE a.user_ptr_id = u.id)');
    await check(c, 'NICs of deleted VMs', 'SELECT count(*) FROM db_networkinterface n JOIN db_virtualmachine v ON v.id = n.machine_id WHERE v.deleted');
    await check(c, 'deleted VMs not DESTROYED/ERROR', "SELECT count(*) FROM db_virtualmachine WHERE deleted AND operstate NOT IN ('DESTROYED', 'ERROR')");
    await check(p, 'root node missing', "SELECT 1 - count(*) FROM nodes WHERE node = 0 AND parent = 0 AND path = '' AND latest_version IS NULL");
    await check(p, 'latest_version is not the newest version', `
      SELECT count(*) FROM nodes n JOIN (SELECT node, max(serial) AS m FROM versions GROUP BY node) v ON v.node = n.node
       WHERE n.latest_version IS DISTINCT FROM v.m`);
    await check(p, 'nodes other than the root without versions', 'SELECT count(*) FROM nodes n WHERE n.node <> 0 AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.node = n.node)');
    await check(p, 'more than one NORMAL version per node', 'SELECT count(*) FROM (SELECT node FROM versions WHERE cluster = 0 GROUP BY node HAVING count(*) > 1) x');
    await check(p, 'a NORMAL version that is not latest_version', `
      SELECT count(*) FROM versions v JOIN nodes n ON n.node = v.node WHERE v.cluster = 0 AND n.latest_version <> v.serial`);
    await check(p, 'latest_version in the HISTORY cluster', `
      SELECT count(*) FROM nodes n JOIN versions v ON v.serial = n.latest_version WHERE v.cluster = 1`);
    await check(p, 'versions.source not an older version of the same node', `
      SELECT count(*) FROM versions v LEFT JOIN versions s ON s.serial = v.source
       WHERE v.source IS NOT NULL AND (s.serial IS NULL OR s.node <> v.node OR s.serial >= v.serial)`);
    await check(p, 'xfeatures on paths that are not objects', 'SELECT count(*) FROM xfeatures x WHERE NOT EXISTS (SELECT 1 FROM nodes n WHERE n.path = x.path)');
    await check(p, 'public rows on paths that are not objects', 'SELECT count(*) FROM public x WHERE NOT EXISTS (SELECT 1 FROM nodes n WHERE n.path = x.path)');
    // statistics = the ideal values recomputed from versions (pithos.md §1.7)
    await check(p, 'statistics differ from the sums of their subtrees', `
      WITH RECURSIVE anc(node, ancestor, depth) AS (
          SELECT node, parent, 1 FROM nodes WHERE node <> 0
        UNION ALL
          SELECT a.node, n.parent, a.depth + 1 FROM anc a JOIN nodes n ON n.node = a.ancestor WHERE a.ancestor <> 0),
      ideal AS (
        SELECT a.ancestor AS node, v.cluster, sum(CASE WHEN a.depth = 1 THEN 1 ELSE 0 END) AS population,
               sum(v.size) AS size, max(v.mtime) AS mtime
          FROM anc a JOIN versions v ON v.node = a.node GROUP BY a.ancestor, v.cluster)
      SELECT count(*) FROM ideal i FULL JOIN statistics s ON s.node = i.node AND s.cluster = i.cluster
       WHERE i.node IS NULL OR s.node IS NULL OR s.population <> i.population OR s.size <> i.size OR s.mtime IS DISTINCT FROM i.mtime`);
    return bad;
  });
}

/** md5 of each table's rows (sorted text form): equal hashes = identical content. */
export async function contentHashes(c: Queryable): Promise<Record<string, string>> {
  const tables = (await c.query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                   WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`)).rows.map((r) => r.relname as string);
  const out: Record<string, string> = {};
  for (const t of tables) {
    const r = await c.query(`SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM public."${t}" x`);
    out[t] = r.rows[0].h;
  }
  return out;
}
