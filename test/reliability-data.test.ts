// Hostile data through steps 2.1 → 9.2 on a generated deployment: quotes, backslashes, LIKE
// wildcards, control characters, astral and non-ASCII case, emails at the column limit, and
// uuid-shaped names. Every step runs headlessly and must end with its verify passing, and the
// dedup groups, remapped owners and pithos paths must be exactly the expected ones.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pyLower } from '../src/core/fold.js';
import { MERGE_PREFIX, type DedupFindings, type MergeTarget } from '../src/core/dedup/index.js';
import { DEDUP_STEP } from './helpers/dedup.js';
import type { Service } from '../src/db/connection.js';
import { createSandbox, simulateStep } from '../src/sandbox/index.js';
import { StateFile } from '../src/state/index.js';
import { cleanupAll, cliIn as cli, sandboxTarget, tempDir, testDbName, withDb } from './support.js';

after(cleanupAll);

const LONG = `${'l'.repeat(68)}@x.org`; // 74 characters: auth_user.email is varchar(75)
const NOT_A_USER = '12345678-1234-4234-8234-123456789abc';

/** Hostile astakos users: [email, last login day] — in each case group the later login is kept. */
const USERS: [string, number][] = [
  ["o'neil@x.org", 1], ["O'Neil@x.org", 2],
  ['back\\slash@x.org', 2], ['BACK\\slash@x.org', 1],
  ['100%_off@x.org', 1], ['100%_OFF@x.org', 2], ['100zzoff@x.org', 3], ['100_off@x.org', 3],
  ['ÄB@x.org', 2], ['äb@x.org', 1],
  ['"quoted"@x.org', 1], ['"Quoted"@x.org', 2],
  [LONG, 1], [`L${LONG.slice(1)}`, 2],
  ['emoji😀@x.org', 2], ['EMOJI😀@x.org', 1],
  ['e\u0301@x.org', 1], ['é@x.org', 1],
  ['tab\there\u0001\u007f@x.org', 1], ['\ufffdjunk\u200b@x.org', 1],
  ['σίσυφος@x.gr', 1], ['ΣΊΣΥΦΟΣ@x.gr', 2],
  ['οδυσσεύς@x.gr', 1], ['ΟΔΥΣΣΕΎΣ@x.gr', 2],
];
/** Group key (Python lower()) → the email kept. */
const KEPT: Record<string, string> = {
  "o'neil@x.org": "O'Neil@x.org", 'back\\slash@x.org': 'back\\slash@x.org', '100%_off@x.org': '100%_OFF@x.org',
  'äb@x.org': 'ÄB@x.org', '"quoted"@x.org': '"Quoted"@x.org', [LONG]: `L${LONG.slice(1)}`, 'emoji😀@x.org': 'emoji😀@x.org',
};
/** Emails that are in no group although a LIKE pattern or a careless fold would join them. */
const ALONE = ['100zzoff@x.org', '100_off@x.org', 'e\u0301@x.org', 'é@x.org', 'tab\there\u0001\u007f@x.org', '\ufffdjunk\u200b@x.org'];
/**
 * Python 2 lowers Σ to σ everywhere, so a final ς never meets it; but 0016's iexact (UPPER()
 * in the database's locale) joins them where the locale folds Greek (not under LC_CTYPE C).
 * Where step 2 joins them (else the test records that merge itself), 6.1 / 6.2 carry it over:
 * the deleted user's VMs, keys and pithos account go to the survivor.
 */
const SIGMA = ['σίσυφος@x.gr', 'ΣΊΣΥΦΟΣ@x.gr'];
/** The same, but only the deleted side owns VMs, keys and a pithos account: they go to the survivor's uuid. */
const SIGMA_ONE_SIDE = ['οδυσσεύς@x.gr', 'ΟΔΥΣΣΕΎΣ@x.gr'];
/** [deleted, kept] pairs that only the database's upper() can join. */
const UPPER_ONLY = [SIGMA, SIGMA_ONE_SIDE];
/** The users that own VMs, keys and pithos accounts: all but the one-side pair's survivor. */
const OWNERS = USERS.map(([e]) => e).filter((e) => e !== SIGMA_ONE_SIDE[1]);
const OBJECT = `it's a "file" 100%_\\ ü.txt`;
/** A pithos quota on the accounts of these (alone, so their limit is theirs): 7.1 carries it to astakos. */
const QUOTA: Record<string, string> = { 'tab\there\u0001\u007f@x.org': '123456789', '100_off@x.org': '987654321' };
/** Step 5's definitions (those of the quota tests). */
const SERVICES = {
  cyclades: {
    resources: [
      { name: 'disk', group: 'compute', uplimit: 32212254720, unit: 'bytes', desc: 'Virtual machine disk size' },
      { name: 'cpu', group: 'compute', uplimit: 8, desc: 'Number of virtual machine processors' },
      { name: 'ram', group: 'compute', uplimit: 6442450944, unit: 'bytes', desc: 'Virtual machines' },
      { name: 'vm', group: 'compute', uplimit: 2, desc: 'Number of virtual machines' },
      { name: 'network.private', group: 'network', uplimit: 5, desc: 'Private networks' },
    ],
  },
  'pithos+': { resources: [{ name: 'diskspace', group: 'storage', uplimit: 5368709120, unit: 'bytes', desc: 'Pithos account diskspace' }] },
};

/** Adds the hostile users to astakos, a VM and a key each to cyclades, and an account each to pithos. */
async function addHostile(urls: Record<Service, string>): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  await withDb('astakos', urls.astakos, async ({ pool: q }) => {
    const base = Number((await q.query<{ m: number }>('SELECT max(id) AS m FROM auth_user')).rows[0]!.m) + 1000;
    for (const [i, [email, day]] of USERS.entries()) {
      const id = base + i;
      ids.set(email, id);
      await q.query(`INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
        VALUES ($1, $2, 'Hostile', 'User', $3, '!', false, true, false, timestamptz '2013-01-01 00:00:00+00' + $4 * interval '1 day', '2012-01-01 00:00:00+00')`,
      [id, `hostile${i}`, email, day]);
      await q.query(`INSERT INTO im_astakosuser (user_ptr_id, affiliation, provider, level, invitations, updated, is_verified, email_verified, has_credits, has_signed_terms)
        VALUES ($1, '', 'local', 4, 0, '2012-01-01 00:00:00+00', true, true, false, false)`, [id]);
    }
  });
  await withDb('cyclades', urls.cyclades, async ({ pool: q }) => {
    const vm = Number((await q.query<{ m: number }>('SELECT coalesce(max(id), 0) AS m FROM db_virtualmachine')).rows[0]!.m) + 1000;
    const key = Number((await q.query<{ m: number }>('SELECT coalesce(max(id), 0) AS m FROM userdata_publickeypair')).rows[0]!.m) + 1000;
    for (const [i, [email]] of USERS.entries()) {
      if (!OWNERS.includes(email)) continue;
      await q.query(`INSERT INTO db_virtualmachine (id, name, created, updated, hostid, flavor_id, deleted, suspended, operstate, buildpercentage, imageid, userid, backendtime)
        VALUES ($1, $2, '2012-01-01+00', '2012-01-01+00', '', (SELECT min(id) FROM db_flavor), false, false, 'STARTED', 100, 'img', $3, '2012-01-01+00')`,
      [vm + i, `vm '${i}' "\\%_`, email]);
      await q.query(`INSERT INTO userdata_publickeypair (id, "user", name, content, fingerprint) VALUES ($1, $2, $3, 'ssh-rsa AAAA', 'fp')`, [key + i, email, `key ${i}`]);
    }
  });
  await withDb('pithos', urls.pithos, async ({ pool: q }) => {
    const node = async (parent: number, path: string, size: number | null): Promise<number> => {
      const n = (await q.query<{ n: number }>('INSERT INTO nodes (parent, path) VALUES ($1, $2) RETURNING node AS n', [parent, path])).rows[0]!.n;
      if (size !== null) {
        const owner = path.split('/')[0]!;
        const v = await q.query<{ s: number }>(`INSERT INTO versions (node, hash, size, type, source, mtime, muser, uuid, checksum, cluster)
          VALUES ($1, md5($2), $3, 'text/plain', NULL, 1356998400.5, $4, md5($2 || 'u'), '', 0) RETURNING serial AS s`, [n, path, size, owner]);
        await q.query('UPDATE nodes SET latest_version = $1 WHERE node = $2', [v.rows[0]!.s, n]);
      }
      return n;
    };
    for (const [i, [email]] of [...USERS.entries(), [USERS.length, [NOT_A_USER, 0]] as const]) {
      if (email !== NOT_A_USER && !OWNERS.includes(email)) continue;
      const acct = await node(0, email, 0);
      if (QUOTA[email]) await q.query(`INSERT INTO policy (node, key, value) VALUES ($1, 'quota', $2)`, [acct, QUOTA[email]]);
      const cont = await node(acct, `${email}/pithos`, 0);
      await node(cont, `${email}/pithos/${OBJECT}`, 100 + i);
    }
    // a grant to wildcard-shaped and quoted names, a group with both
    const f = await q.query<{ id: number }>('INSERT INTO xfeatures (path) VALUES ($1) RETURNING feature_id AS id', [`back\\slash@x.org/pithos/${OBJECT}`]);
    for (const v of ['100zzoff@x.org', "o'neil@x.org", 'O\'Neil@x.org', '100%_off@x.org:team']) {
      await q.query('INSERT INTO xfeaturevals (feature_id, key, value) VALUES ($1, 0, $2)', [f.rows[0]!.id, v]);
    }
    for (const m of ['ÄB@x.org', '100_off@x.org', '"quoted"@x.org']) await q.query(`INSERT INTO groups (owner, name, member) VALUES ('100%_off@x.org', 'team', $1)`, [m]);
    // statistics as the tree says (the sandbox's own add up already)
    await q.query('DELETE FROM statistics');
    await q.query(`INSERT INTO statistics (node, population, size, mtime, cluster)
      WITH RECURSIVE anc(node, ancestor, depth) AS (
          SELECT node, parent, 1 FROM nodes WHERE node <> 0
        UNION ALL
          SELECT a.node, n.parent, a.depth + 1 FROM anc a JOIN nodes n ON n.node = a.ancestor WHERE a.ancestor <> 0)
      SELECT a.ancestor, sum(CASE WHEN a.depth = 1 THEN 1 ELSE 0 END), sum(v.size), max(v.mtime), v.cluster
        FROM anc a JOIN versions v ON v.node = a.node GROUP BY a.ancestor, v.cluster`);
  });
  return ids;
}

/**
 * A user X whose email is the uuid of a user Y that owns a pithos account (astakos at 0.13),
 * and X's pithos account, named by that email. Returns both uuids and Y's account name.
 */
async function uuidShapedEmail(urls: Record<Service, string>): Promise<{ x: string; y: string; yAccount: string }> {
  const X_UUID = 'f00dface-0000-4000-8000-000000000001';
  const y = await withDb('pithos', urls.pithos, async ({ pool: p }) => withDb('astakos', urls.astakos, async ({ pool: a }) => {
    const accounts = (await p.query<{ path: string }>(`SELECT path FROM nodes WHERE parent = 0 AND node <> 0 AND path LIKE '%@%' ORDER BY path`)).rows.map((r) => r.path);
    const r = await a.query<{ email: string; uuid: string }>(`SELECT u.email, m.uuid FROM auth_user u JOIN im_astakosuser m ON m.user_ptr_id = u.id
      WHERE u.email = ANY($1::text[]) ORDER BY u.email LIMIT 1`, [accounts]);
    return r.rows[0]!;
  }));
  await withDb('astakos', urls.astakos, async ({ pool }) => {
    const c = await pool.connect();
    try {
      await c.query('CREATE TEMP TABLE u AS SELECT * FROM auth_user WHERE id = (SELECT min(id) FROM auth_user)');
      await c.query('UPDATE u SET id = (SELECT max(id) + 1 FROM auth_user), username = $1, email = $1', [y.uuid]);
      await c.query('INSERT INTO auth_user SELECT * FROM u');
      await c.query('CREATE TEMP TABLE m AS SELECT * FROM im_astakosuser WHERE user_ptr_id = (SELECT min(id) FROM auth_user)');
      await c.query('UPDATE m SET user_ptr_id = (SELECT id FROM u), uuid = $1, auth_token = NULL', [X_UUID]);
      await c.query('INSERT INTO im_astakosuser SELECT * FROM m');
    } finally {
      c.release();
    }
  });
  await withDb('pithos', urls.pithos, async ({ pool: q }) => {
    const acct = (await q.query<{ n: number }>('INSERT INTO nodes (parent, path) VALUES (0, $1) RETURNING node AS n', [y.uuid])).rows[0]!.n;
    await q.query('INSERT INTO nodes (parent, path) VALUES ($1, $2)', [acct, `${y.uuid}/pithos`]);
  });
  return { x: X_UUID, y: y.uuid, yAccount: y.email };
}

/**
 * What 2.2 does for a group where the database's upper() folds Greek: deletes DELETED's user
 * (only the rows addHostile gave it) and records the merge into KEPT that 6.1 / 6.2 carry over.
 */
async function mergeAsStep2(astakosUrl: string, stateFile: string, deleted: string, kept: string, ids: Map<string, number>): Promise<void> {
  const id = ids.get(deleted)!;
  await withDb('astakos', astakosUrl, async ({ pool }) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('DELETE FROM im_astakosuser WHERE user_ptr_id = $1', [id]);
      await c.query('DELETE FROM auth_user WHERE id = $1', [id]);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  });
  const state = StateFile.open(stateFile);
  try {
    const target: MergeTarget = { into: kept, survivorId: ids.get(kept)!, deletedIds: [id], group: pyLower(deleted) };
    state.setDecision(DEDUP_STEP, MERGE_PREFIX + deleted, target, 'operator');
  } finally {
    state.close();
  }
}

describe('hostile data, steps 2.1 → 9.2 headless', () => {
  test('dedup groups, remapped owners and pithos paths are exactly right; every verify passes', async () => {
    const dir = tempDir('reliab-');
    const cfg = join(dir, 'snf-upgrade.json');
    const sbx = await createSandbox({ name: testDbName('reliab_t'), ...sandboxTarget(dir), scale: 'tiny', seed: 11, configPath: cfg });
    const ids = await addHostile(sbx.urls);
    const sigmaJoined = await withDb('astakos', sbx.urls.astakos, async ({ pool: q }) =>
      (await q.query<{ same: boolean }>('SELECT upper($1::text) = upper($2::text) AS same', SIGMA)).rows[0]!.same);
    const keptOf = (email: string): string | undefined => KEPT[pyLower(email)] ?? UPPER_ONLY.find((pair) => pair.includes(email))?.[1];
    const stateFile = JSON.parse((await import('node:fs')).readFileSync(cfg, 'utf8')).state as string;
    const state = StateFile.open(stateFile);
    try { state.markDone('1', ['test']); } finally { state.close(); }
    const answers = join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({
      '2.2': { confirm: true, survivors: Object.fromEntries([...Object.entries(KEPT), ...(sigmaJoined ? UPPER_ONLY.map(([, kept]) => [kept!, kept!]) : [])].map(([k, email]) => [k, ids.get(email!)])) },
      5: { 'rename-pithos': true, 'lower-defaults': true, services: SERVICES },
      '6.1': { confirm: 'delete' }, '6.2': { confirm: true }, '6.3': { confirm: 'delete' },
    }));
    const run = async (step: string) => {
      const r = await cli(cfg, 'run', step, '--accept-suggestions', '--answers', answers);
      assert.equal(r.code, 0, `${step}: ${r.err}${r.out}`);
      assert.doesNotMatch(r.out, /✗/, `${step}: ${r.out}`);
      return r.out;
    };

    // 2.1: exactly the expected groups among the hostile emails
    await run('2.1');
    const plan = JSON.parse((await cli(cfg, 'plan', '2.1', '--json')).out);
    const groups = (plan.findings.data as DedupFindings).groups;
    const hostile = new Set(USERS.map(([e]) => e));
    const found = groups.filter((g) => g.users.some((u) => hostile.has(u.email)))
      .map((g) => `${g.key}: ${g.users.map((u) => u.email).sort().join(' | ')}`).sort();
    const expected = [...Object.keys(KEPT).map((k) => `${k}: ${USERS.map(([e]) => e).filter((e) => pyLower(e) === k).sort().join(' | ')}`),
      ...(sigmaJoined ? UPPER_ONLY.map((pair) => `${pair[0]}: ${[...pair].sort().join(' | ')}`) : [])].sort();
    assert.deepEqual(found, expected);
    for (const e of [...ALONE, ...(sigmaJoined ? [] : UPPER_ONLY.flat())]) assert.ok(!groups.some((g) => g.users.some((u) => u.email === e)), `${JSON.stringify(e)} is in no group`);

    await run('2.2');
    if (!sigmaJoined) for (const [gone, kept] of UPPER_ONLY) await mergeAsStep2(sbx.urls.astakos, stateFile, gone!, kept!, ids);
    const deleted = USERS.map(([e]) => e).filter((e) => keptOf(e) !== undefined && keptOf(e) !== e);
    await withDb('astakos', sbx.urls.astakos, async ({ pool: q }) => {
      const left = (await q.query<{ email: string }>('SELECT email FROM auth_user WHERE id = ANY($1::int[])', [[...ids.values()]])).rows.map((r) => r.email);
      assert.deepEqual(left.sort(), USERS.map(([e]) => e).filter((e) => !deleted.includes(e)).sort());
    });

    await simulateStep('3.2', sbx.urls, { uuidSalt: 'reliab' });
    const s2 = StateFile.open(stateFile);
    try { for (const id of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4']) s2.markDone(id, ['test']); } finally { s2.close(); }
    await run('5');
    const uuidOf = await withDb('astakos', sbx.urls.astakos, async ({ pool: q }) => new Map(
      (await q.query<{ email: string; uuid: string }>('SELECT u.email, a.uuid FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id')).rows.map((r) => [r.email, r.uuid])));
    /** The uuid each hostile email ends as: its own, or its group's survivor's. */
    const target = (email: string): string => uuidOf.get(keptOf(email) ?? email)!;

    // an email equal to another user's uuid, with a pithos account under that name
    const twin = await uuidShapedEmail(sbx.urls);

    for (const step of ['6.1', '6.2', '6.3', '6.4', '7.1', '7.2', '8', '9.1', '9.2']) await run(step);

    await withDb('cyclades', sbx.urls.cyclades, async ({ pool: q }) => {
      const vms = await q.query<{ name: string; userid: string }>(`SELECT name, userid FROM db_virtualmachine WHERE name LIKE 'vm ''%'`);
      assert.equal(vms.rows.length, OWNERS.length, 'every hostile VM kept (merged, not deleted)');
      const owners = new Set(vms.rows.map((r) => r.userid));
      assert.deepEqual([...owners].sort(), [...new Set(OWNERS.map(target))].sort());
      const keys = await q.query<{ user: string }>(`SELECT "user" FROM userdata_publickeypair WHERE name LIKE 'key %'`);
      assert.deepEqual([...new Set(keys.rows.map((r) => r.user))].sort(), [...owners].sort());
    });
    await withDb('pithos', sbx.urls.pithos, async ({ pool: q }) => {
      const paths = (await q.query<{ path: string }>('SELECT path FROM nodes WHERE path LIKE $1', [`%/pithos/${OBJECT.replace(/[\\%_]/g, (c) => `\\${c}`)}`])).rows.map((r) => r.path);
      const want = [...new Set([...OWNERS.map(target), NOT_A_USER])].map((a) => `${a}/pithos/${OBJECT}`).sort();
      assert.deepEqual(paths.sort(), want, 'one object per surviving account (merged twins collapse onto one path), under its uuid');
      const grants = (await q.query<{ value: string }>('SELECT v.value FROM xfeaturevals v JOIN xfeatures x ON x.feature_id = v.feature_id WHERE x.path = $1',
        [`${target('back\\slash@x.org')}/pithos/${OBJECT}`])).rows.map((r) => r.value).sort();
      assert.deepEqual(grants, [target('100zzoff@x.org'), target("O'Neil@x.org"), `${target('100%_off@x.org')}:team`].sort());
      const members = (await q.query<{ member: string }>(`SELECT member FROM groups WHERE owner = $1 AND name = 'team'`, [target('100%_off@x.org')])).rows.map((r) => r.member).sort();
      assert.deepEqual(members, [target('ÄB@x.org'), target('100_off@x.org'), target('"quoted"@x.org')].sort());
      // a name that is a uuid stays that uuid's account (as 6.1–6.3 treat it), though it is also X's email:
      // 6.2 merged it with Y's account, and 6.4 did not move it to X
      const accounts = (await q.query<{ path: string }>('SELECT path FROM nodes WHERE parent = 0 AND node <> 0 AND path = ANY($1::text[])',
        [[twin.x, twin.y, twin.yAccount]])).rows.map((r) => r.path);
      assert.deepEqual(accounts, [twin.y]);
    });
    // 7.1 → 9.1: the quotas and the usage of the hostile accounts reach the quotaholder under their uuids
    await withDb('astakos', sbx.urls.astakos, async ({ pool: q }) => {
      const holding = async (email: string) => (await q.query<{ capacity: string; imported: string }>(
        `SELECT p.capacity::text AS capacity, h.imported::text AS imported FROM quotaholder_app_holding h JOIN quotaholder_app_policy p ON p.policy = h.policy_id
          WHERE h.entity_id = $1 AND h.resource = 'pithos+.diskspace'`, [target(email)])).rows[0];
      for (const [email, quota] of Object.entries(QUOTA)) {
        const i = USERS.findIndex(([e]) => e === email);
        assert.deepEqual(await holding(email), { capacity: quota, imported: String(100 + i) }, JSON.stringify(email));
      }
    });
  });
});
