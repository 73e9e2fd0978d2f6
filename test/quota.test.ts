// Steps 5, 7.1, 7.2, 8, 9.1, 9.2 (src/core/quota) on a generated 0.12.5 deployment taken
// through the earlier steps: limits and usage per user against values computed here, plainly
// and independently of the module (rows read into the test, sums done in TypeScript); the
// export files against the six-field format; unlimited pithos quotas; 10^32 values; rejected
// rows with their line and reason; the warning for a lowered default; plan 8 writing
// nothing; a re-run changing nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HeadlessAsker, type Answers } from '../src/cli/asker.js';
import { main } from '../src/cli/main.js';
import { loadConfig, type Config } from '../src/config.js';
import { CHANGED_012, fmtLimit, parseQuotaLine, QH_INF } from '../src/core/quota/index.js';
import { loadSettingsDir, parseSettings, PyDict, readAstakosServices } from '../src/core/settings/index.js';
import type { ApplyResult } from '../src/core/step.js';
import { openDb, type Db, type Service } from '../src/db/connection.js';
import { Engine, type EngineEvent, type PlanView } from '../src/engine/index.js';
import { NeedsAnswer, UserError } from '../src/errors.js';
import { findStep } from '../src/runbook/steps.js';
import { createSandbox, dropSandbox, simulateStep } from '../src/sandbox/index.js';
import { buildReport, reportMarkdown } from '../src/engine/report.js';
import { StateFile } from '../src/state/index.js';
import { cleanupAll, runCli, serverUrl, tempDir, testDbName } from './support.js';
import { sandboxWalk } from './helpers/walk.js';

after(cleanupAll);

// ------------------------------------------------------------------ plain helpers

const INF = '100000000000000000000000000000000'; // 10^32
const E30 = '1000000000000000000000000000000'; // 10^30, what the export files carry
const GIB = 1024n ** 3n;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let dir: string;
let config: Config;
const open = new Map<Service, Db>();

async function db(s: Service): Promise<Db> {
  let d = open.get(s);
  if (!d) {
    d = await openDb(s, config[s].db!, { max: 2 });
    open.set(s, d);
  }
  return d;
}
async function q<T = any>(s: Service, text: string, values: unknown[] = []): Promise<T[]> {
  return (await (await db(s)).pool.query(text, values)).rows as T[];
}
/** The CLI closes every embedded database when it ends: let go of ours first. */
async function release(): Promise<void> {
  for (const d of open.values()) await d.close();
  open.clear();
}

interface Run extends ApplyResult { status: string; logs: string[] }
async function run(step: string, answers: Answers = {}, yes = true): Promise<Run> {
  const state = StateFile.open(config.state);
  const engine = new Engine(config, state, new HeadlessAsker(answers, yes, true), 'quota test');
  const logs: string[] = [];
  engine.on((e: EngineEvent) => { if (e.type === 'log') logs.push(`${e.level}: ${e.message}`); });
  try {
    const o = await engine.run(step);
    return { status: o.status, summary: o.summary, rows: 0, logs };
  } finally {
    await engine.close();
    state.close();
  }
}
async function planOf(step: string, answers: Answers = {}): Promise<PlanView> {
  const state = StateFile.open(config.state);
  const engine = new Engine(config, state, new HeadlessAsker(answers, false, false), 'quota test');
  try {
    return await engine.plan(step);
  } finally {
    await engine.close();
    state.close();
  }
}
function withState<T>(f: (s: StateFile) => T): T {
  const s = StateFile.open(config.state);
  try {
    return f(s);
  } finally {
    s.close();
  }
}

/** Everything the quota steps write, and the journal, as one comparable text. */
async function snapshot(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const t of ['im_service', 'im_resource', 'im_astakosuserquota', 'quotaholder_app_entity', 'quotaholder_app_policy', 'quotaholder_app_holding']) {
    out[t] = await q('astakos', `SELECT * FROM ${t} ORDER BY 1`);
  }
  out.journal = await q('astakos', 'SELECT step, batch FROM snf_upgrade_journal ORDER BY 1, 2');
  return JSON.stringify(out);
}

// The sandbox's answers: step 5 defaults lower VMs (3 → 2) and pithos space (50 GiB → 5 GiB),
// keep networks at 0.12's 5, and make cpu "unlimited" (10^32, past any JS number).
const SERVICES_ANSWER = {
  cyclades: {
    resources: [
      { name: 'disk', group: 'compute', uplimit: 32212254720, unit: 'bytes', desc: 'Virtual machine disk size' },
      { name: 'cpu', group: 'compute', uplimit: INF, desc: 'Number of virtual machine processors' },
      { name: 'ram', group: 'compute', uplimit: 6442450944, unit: 'bytes', desc: 'Virtual machines' },
      { name: 'vm', group: 'compute', uplimit: 2, desc: 'Number of virtual machines' },
      { name: 'network.private', group: 'network', uplimit: 5, desc: 'Private networks' },
    ],
  },
  'pithos+': { resources: [{ name: 'diskspace', group: 'storage', uplimit: 5368709120, unit: 'bytes', desc: 'Pithos account diskspace' }] },
};
const STEP5: Answers = { 5: { 'rename-pithos': true, services: SERVICES_ANSWER } };

interface AUser { uid: number; uuid: string; email: string; username: string; verified: boolean }
async function astakosUsers(): Promise<AUser[]> {
  return q<AUser>('astakos', `SELECT a.user_ptr_id AS uid, a.uuid, u.email, u.username, a.email_verified AS verified
                                FROM im_astakosuser a JOIN auth_user u ON u.id = a.user_ptr_id ORDER BY a.uuid`);
}

/** Cyclades usage per owner, summed here from the rows (RAM MiB and disk GiB turned into bytes). */
async function cycladesUsageByOwner(): Promise<Map<string, Record<string, bigint>>> {
  const flavors = new Map((await q('cyclades', 'SELECT id, cpu, ram, disk FROM db_flavor')).map((f) => [f.id, f]));
  const out = new Map<string, Record<string, bigint>>();
  const of = (o: string) => {
    let u = out.get(o);
    if (!u) out.set(o, (u = { 'cyclades.vm': 0n, 'cyclades.cpu': 0n, 'cyclades.ram': 0n, 'cyclades.disk': 0n, 'cyclades.network.private': 0n }));
    return u;
  };
  for (const v of await q('cyclades', 'SELECT userid, deleted, flavor_id FROM db_virtualmachine')) {
    if (v.deleted || !v.userid) continue;
    const f = flavors.get(v.flavor_id);
    const u = of(v.userid);
    u['cyclades.vm']! += 1n;
    u['cyclades.cpu']! += BigInt(f.cpu);
    u['cyclades.ram']! += BigInt(f.ram) * 1048576n;
    u['cyclades.disk']! += BigInt(f.disk) * 1073741824n;
  }
  for (const n of await q('cyclades', 'SELECT userid, deleted FROM db_network')) {
    if (n.deleted || !n.userid) continue;
    of(n.userid)['cyclades.network.private']! += 1n;
  }
  return out;
}

/** Pithos usage per account path: NORMAL-cluster versions of the account's containers and their objects. */
async function pithosUsageByAccount(): Promise<Map<string, bigint>> {
  const nodes = await q<{ node: number; parent: number; path: string }>('pithos', 'SELECT node, parent, path FROM nodes');
  const parent = new Map(nodes.map((n) => [n.node, n.parent]));
  const account = new Map(nodes.filter((n) => n.parent === 0 && n.node !== 0).map((n) => [n.node, n.path]));
  const out = new Map<string, bigint>([...account.values()].map((p) => [p, 0n]));
  for (const v of await q<{ node: number; size: string; cluster: number }>('pithos', 'SELECT node, size::text AS size, cluster FROM versions')) {
    if (v.cluster !== 0) continue;
    const p = parent.get(v.node)!;
    const owner = account.get(p) ?? (p !== 0 ? account.get(parent.get(p)!) : undefined);
    if (owner !== undefined) out.set(owner, out.get(owner)! + BigInt(v.size));
  }
  return out;
}

async function pithosPolicies(): Promise<Map<string, string>> {
  const rows = await q('pithos', `SELECT n.path, p.value FROM nodes n JOIN policy p ON p.node = n.node WHERE n.parent = 0 AND n.node <> 0 AND p.key = 'quota'`);
  return new Map(rows.map((r) => [r.path, r.value]));
}

/** The cyclades per-user dicts of the original (0.12) settings files, exact keys. */
function dicts012(): { vms: Map<string, bigint>; nets: Map<string, bigint>; maxVms: bigint; maxNets: bigint } {
  const s = loadSettingsDir(config.cyclades.settings!).settings;
  const dict = (name: string) => {
    const v = s.get(name)?.value;
    return new Map(v instanceof PyDict ? v.stringItems().filter((kv): kv is [string, bigint] => typeof kv[1] === 'bigint') : []);
  };
  return { vms: dict('VMS_USER_QUOTA'), nets: dict('NETWORKS_USER_QUOTA'), maxVms: s.get('MAX_VMS_PER_USER')!.value as bigint, maxNets: s.get('MAX_NETWORKS_PER_USER')!.value as bigint };
}

// ------------------------------------------------------------------ the deployment

describe('quota steps 5 → 9.2 on a sandbox', () => {
  /** A verified user given a negative VM limit in the settings, one given a project grant, one named in the extra file. */
  let negUser: AUser;
  let grantUser: AUser;
  let fileUser: AUser;
  let fileUser2: AUser;
  let extraFile: string;
  let headroomAt5: { vm: { lose: number; onDefault: number; over: number }; disk: { lose: number; onDefault: number; over: number } };

  before(async () => {
    dir = tempDir('quota-');
    const pg = serverUrl();
    const r = await createSandbox({
      name: testDbName('quota_t_main'), ...(pg ? { pg } : { embedded: join(dir, 'db') }), scale: 'tiny', seed: 5, configPath: join(dir, 'snf-upgrade.json'),
    });
    config = loadConfig(r.configPath);
    withState((s) => s.markDone('1', ['test: not part of the quota tests']));
    await run('2.1');
    await run('2.2', { 2.2: { confirm: true } });

    // 0.12 data the quota steps must cope with: a negative per-user VM limit in the settings
    const api = join(config.cyclades.settings!, '20-snf-cyclades-app-api.conf');
    const text = readFileSync(api, 'utf8');
    const lower = text.toLowerCase();
    const candidates = (await q<{ uid: number; email: string }>('astakos',
      `SELECT a.user_ptr_id AS uid, u.email FROM im_astakosuser a JOIN auth_user u ON u.id = a.user_ptr_id WHERE a.email_verified ORDER BY a.user_ptr_id`))
      .filter((u) => !lower.includes(u.email.toLowerCase()) && /^[a-z0-9._]+@[a-z0-9.]+$/.test(u.email)).slice(0, 4);
    assert.equal(candidates.length, 4);
    writeFileSync(api, text.replace('VMS_USER_QUOTA = {\n', `VMS_USER_QUOTA = {\n    '${candidates[0]!.email}': -2,\n`));
    await release();
    await simulateStep('3.2', r.urls);
    withState((s) => { for (const id of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4']) s.markDone(id, ['test']); });
    const all = await astakosUsers();
    [negUser, grantUser, fileUser, fileUser2] = candidates.map((c) => all.find((u) => u.uid === c.uid)!) as [AUser, AUser, AUser, AUser];
    assert.ok([negUser, grantUser, fileUser, fileUser2].every((u) => u.verified && UUID_RE.test(u.uuid)));
  });

  after(async () => {
    await release();
    const pg = serverUrl();
    if (pg) await dropSandbox({ name: testDbName('quota_t_main'), pg, configPath: join(dir, 'snf-upgrade.json') });
  });

  it('step 5 asks before loading lower defaults, with the user counts; a no loads nothing', async () => {
    const empty = async () => {
      assert.deepEqual((await q('astakos', 'SELECT name FROM im_service ORDER BY id')).map((r) => r.name), ['cyclades', 'pithos']);
      assert.equal((await q('astakos', 'SELECT count(*)::int AS n FROM im_resource'))[0].n, 0);
    };
    await assert.rejects(run('5', { 5: { services: SERVICES_ANSWER } }, false), (e: unknown) => e instanceof NeedsAnswer
      && /^step 5 asks: Load default limits lower than 0\.12's\? cyclades\.vm: 3 → 2; \d+ of the \d+ email-verified users on the default would lose headroom \(\d+ already use more\); pithos\+\.diskspace: 50 GiB → 5 GiB; \d+ of the \d+ email-verified users/.test((e as Error).message)
      && /"5": \{"lower-defaults": true\}/.test((e as NeedsAnswer).next));
    await empty();
    // declined: 0.12's limits are offered instead, with the ASTAKOS_SERVICES that keeps them
    await assert.rejects(run('5', { 5: { services: SERVICES_ANSWER, 'lower-defaults': false, 'rename-pithos': true } }, false), (e: unknown) => e instanceof NeedsAnswer
      && /^step 5 asks: Load 0\.12's limits as the defaults instead\? cyclades\.vm 3, pithos\+\.diskspace 50 GiB/.test((e as Error).message)
      && /"5": \{"keep-0\.12-defaults": true\}/.test((e as NeedsAnswer).next));
    await empty();
    let dict: string[] = [];
    await assert.rejects(run('5', { 5: { services: SERVICES_ANSWER, 'lower-defaults': false, 'keep-0.12-defaults': false, 'rename-pithos': true } }, false), (e: unknown) => {
      dict = (e as UserError).details;
      return e instanceof UserError && !(e instanceof NeedsAnswer) && /lower default limits were declined \(cyclades\.vm, pithos\+\.diskspace\), and so were 0\.12's; nothing was loaded/.test(e.message)
        && /put the ASTAKOS_SERVICES of \S+ \(0\.12's limits, below\) in \S+ and run step 5 again/.test(e.next);
    });
    await empty();
    // the lines paste into the astakos settings as Python, and say 0.12's limits
    const pasted = readAstakosServices(parseSettings(`${dict.join('\n')}\n`, 'pasted.conf').settings.get('ASTAKOS_SERVICES')!.value!);
    const limits = new Map(pasted.services.flatMap((sv) => sv.resources.map((r) => [r.fullName, r.uplimit])));
    assert.equal(limits.get('cyclades.vm'), 3n);
    assert.equal(limits.get('pithos+.diskspace'), 50n * 1024n ** 3n);
  });

  it('step 5 will not load anything before the pithos → pithos+ rename is confirmed', async () => {
    await assert.rejects(run('5', { 5: { services: SERVICES_ANSWER, 'lower-defaults': true } }, false), (e: unknown) => e instanceof NeedsAnswer && /pithos\+/.test((e as Error).message));
    assert.deepEqual((await q('astakos', 'SELECT name FROM im_service ORDER BY id')).map((r) => r.name), ['cyclades', 'pithos']);
    assert.equal((await q('astakos', 'SELECT count(*)::int AS n FROM im_resource'))[0].n, 0);
  });

  it('step 5 renames the service, loads the definitions and warns about the lowered defaults with the user counts', async () => {
    // the independent count: verified users on the new default whose 0.12 limit or usage exceeds it
    const users = (await astakosUsers()).filter((u) => u.verified);
    const byUsername = new Map((await astakosUsers()).map((u) => [u.username, u.uuid]));
    const knownUuids = new Set(byUsername.values());
    const uuidOf = (id: string) => (knownUuids.has(id) ? id : id.includes('@') ? byUsername.get(id.toLowerCase()) : undefined);
    const d = dicts012();
    const overridden = new Set<string>();
    for (const [k, v] of d.vms) if (v >= 0n && uuidOf(k)) overridden.add(`${uuidOf(k)} vm`);
    const policies = await pithosPolicies();
    for (const [path, v] of policies) if (/^[0-9]+$/.test(v) && uuidOf(path)) overridden.add(`${uuidOf(path)} disk`);
    const vmsOf = new Map<string, bigint>();
    for (const [owner, u] of await cycladesUsageByOwner()) {
      const id = uuidOf(owner);
      if (id) vmsOf.set(id, (vmsOf.get(id) ?? 0n) + u['cyclades.vm']!);
    }
    const spaceOf = new Map<string, bigint>();
    for (const [path, n] of await pithosUsageByAccount()) {
      const id = uuidOf(path);
      if (id) spaceOf.set(id, (spaceOf.get(id) ?? 0n) + n);
    }
    const count = (kind: 'vm' | 'disk', limit012: (u: AUser) => bigint, usage: Map<string, bigint>, nd: bigint) => {
      const on = users.filter((u) => !overridden.has(`${u.uuid} ${kind}`));
      return {
        onDefault: on.length,
        lose: on.filter((u) => limit012(u) > nd || (usage.get(u.uuid) ?? 0n) > nd).length,
        over: on.filter((u) => (usage.get(u.uuid) ?? 0n) > nd).length,
      };
    };
    const disk012 = (u: AUser) => {
      const v = policies.get(u.email) ?? policies.get(u.uuid);
      if (v === undefined) return 50n * GIB;
      return BigInt(v) <= 0n ? QH_INF : BigInt(v);
    };
    headroomAt5 = {
      vm: count('vm', (u) => d.vms.get(u.email) ?? d.maxVms, vmsOf, 2n),
      disk: count('disk', disk012, spaceOf, 5n * GIB),
    };

    const r = await run('5', STEP5);
    assert.equal(r.status, 'done');
    assert.deepEqual((await q('astakos', 'SELECT id, name FROM im_service ORDER BY id')).map((x) => `${x.id} ${x.name}`), ['1 cyclades', '2 pithos+']);
    const res = await q('astakos', `SELECT s.name || '.' || r.name AS n, r.uplimit::text AS u, r.unit, r."group" FROM im_resource r JOIN im_service s ON s.id = r.service_id ORDER BY 1`);
    assert.deepEqual(res.map((x) => `${x.n} ${x.u} ${x.unit ?? '-'} ${x.group}`), [
      'cyclades.cpu 100000000000000000000000000000000 - compute', 'cyclades.disk 32212254720 bytes compute', 'cyclades.network.private 5 - network',
      'cyclades.ram 6442450944 bytes compute', 'cyclades.vm 2 - compute', 'pithos+.diskspace 5368709120 bytes storage',
    ]);
    // the quotaholder side of astakos-init: service entities and their 10^32 source holdings
    const ents = await q('astakos', 'SELECT entity, owner_id, key FROM quotaholder_app_entity ORDER BY 1');
    assert.deepEqual(ents.map((e) => `${e.entity} ${e.owner_id} ${e.key}`), ['cyclades system 1', 'pithos+ system 1', 'system system ']);
    const src = await q('astakos', `SELECT h.entity_id, h.resource, p.quantity::text AS q, p.capacity::text AS c, p.import_limit::text AS i, p.export_limit::text AS e, h.imported::text AS imp
                                      FROM quotaholder_app_holding h JOIN quotaholder_app_policy p ON p.policy = h.policy_id ORDER BY 2`);
    assert.equal(src.length, 6);
    for (const h of src) assert.deepEqual([h.q, h.c, h.i, h.e, h.imp], [INF, INF, INF, INF, '0'], `${h.entity_id} ${h.resource}`);

    const vmLine = r.summary.find((l) => l.includes('cyclades.vm: the new default limit 2 is lower than 0.12\'s MAX_VMS_PER_USER 3'));
    assert.ok(vmLine, r.summary.join('\n'));
    const m = /: (\d+) of the (\d+) email-verified users on the default would lose headroom \((\d+) of them already use more than 2\)/.exec(vmLine!);
    assert.ok(m, vmLine);
    assert.deepEqual([Number(m![1]), Number(m![2]), Number(m![3])], [headroomAt5.vm.lose, headroomAt5.vm.onDefault, headroomAt5.vm.over]);
    const diskLine = r.summary.find((l) => l.includes('pithos+.diskspace: the new default limit 5 GiB is lower than 0.12\'s PITHOS_BACKEND_QUOTA 50 GiB'));
    assert.ok(diskLine, r.summary.join('\n'));
    const m2 = /: (\d+) of the (\d+) email-verified users on the default would lose headroom \((\d+) of them/.exec(diskLine!);
    assert.deepEqual([Number(m2![1]), Number(m2![2]), Number(m2![3])], [headroomAt5.disk.lose, headroomAt5.disk.onDefault, headroomAt5.disk.over]);
    assert.ok(headroomAt5.vm.lose > 0 && headroomAt5.disk.lose > 0);
    assert.ok(!r.summary.some((l) => /network\.private: the new default limit .* is lower/.test(l)), 'networks were not lowered (5 = 5)');
    assert.ok(r.logs.some((l) => l.startsWith('warn: 5: cyclades.vm: the new default limit 2 is lower')), r.logs.join('\n'));
    const findings = withState((s) => s.getFindings('5', 'summary')[0]!.data as { summary: string[] });
    assert.ok(findings.summary.some((l) => l.includes('MAX_VMS_PER_USER') && l.includes('would lose headroom')), 'a findings line too');
  });

  it('steps 6.1–6.4 bring cyclades and pithos to uuids', async () => {
    const real = ['6.1', '6.2', '6.3', '6.4'].every((id) => findStep(id)?.module?.apply);
    if (real) {
      const confirm = { confirm: true };
      for (const id of ['6.1', '6.2', '6.3', '6.4']) assert.equal((await run(id, { [id]: confirm })).status, 'done', id);
    } else {
      // Stand-in until the remap steps exist: owners and account names → uuids, as username = lower(identifier).
      const byUsername = new Map((await astakosUsers()).map((u) => [u.username, u.uuid]));
      for (const [table, col] of [['db_virtualmachine', 'userid'], ['db_network', 'userid'], ['userdata_publickeypair', '"user"']]) {
        for (const r of await q('cyclades', `SELECT DISTINCT ${col} AS id FROM ${table} WHERE ${col} LIKE '%@%'`)) {
          const uuid = byUsername.get(r.id.toLowerCase());
          if (uuid) await q('cyclades', `UPDATE ${table} SET ${col} = $2 WHERE ${col} = $1`, [r.id, uuid]);
        }
      }
      for (const r of await q('pithos', `SELECT path FROM nodes WHERE parent = 0 AND node <> 0 AND path LIKE '%@%' ORDER BY path`)) {
        const uuid = byUsername.get(r.path.toLowerCase());
        if (!uuid || (await q('pithos', 'SELECT 1 FROM nodes WHERE path = $1', [uuid])).length) continue;
        await q('pithos', `UPDATE nodes SET path = $2 || substr(path, length($1) + 1) WHERE path = $1 OR left(path, length($1) + 1) = $1 || '/'`, [r.path, uuid]);
      }
      withState((s) => { for (const id of ['6.1', '6.2', '6.3', '6.4']) s.markDone(id, ['test stand-in']); });
    }
    assert.equal((await q('cyclades', `SELECT count(*)::int AS n FROM db_virtualmachine v WHERE userid LIKE '%@%' AND NOT deleted`))[0].n >= 0, true);
  });

  it('7.1 / 7.2: initial quotas from pithos policies and cyclades settings; the files in the six-field format; bad rows rejected with line and reason', async () => {
    // more 0.12 data: a negative pithos quota, a 10^32 one, one on an account astakos does not know
    const accounts = await q('pithos', `SELECT node, path FROM nodes WHERE parent = 0 AND node <> 0 ORDER BY path`);
    const uuidAccounts = accounts.filter((a) => UUID_RE.test(a.path) && !(a.path as string).startsWith('b1946ac9'));
    const setPolicy = async (node: number, value: string) => {
      await q('pithos', `DELETE FROM policy WHERE node = $1 AND key = 'quota'`, [node]);
      await q('pithos', `INSERT INTO policy (node, key, value) VALUES ($1, 'quota', $2)`, [node, value]);
    };
    const users = await astakosUsers();
    const verifiedUuids = new Set(users.filter((u) => u.verified).map((u) => u.uuid));
    const withoutPolicy = [];
    const policies = await pithosPolicies();
    for (const a of uuidAccounts) if (!policies.has(a.path) && verifiedUuids.has(a.path)) withoutPolicy.push(a);
    const negAccount = withoutPolicy[0]!;
    const infAccount = withoutPolicy[1]!;
    await setPolicy(negAccount.node, '-5');
    await setPolicy(infAccount.node, INF);
    const ghost = (await q('pithos', `INSERT INTO nodes (node, parent, latest_version, path) VALUES ((SELECT max(node) + 1 FROM nodes), 0, NULL, 'ghost.user@nowhere.example') RETURNING node`))[0].node;
    await setPolicy(ghost, '1073741824');
    // an account astakos does not know, kept under its name at 6.4 (else 7.1 stops on 6.4's broken promise)
    withState((st) => st.setDecision('6.4', 'unknown:ghost.user@nowhere.example', 'keep', 'operator'));

    const plan71 = await planOf('7.1');
    const rej71 = (plan71.findings.data as { rejected: { where: string; reason: string }[] }).rejected;
    assert.ok(rej71.some((x) => x.where.includes(`"${negAccount.path}" (node ${negAccount.node})`) && /negative quota -5/.test(x.reason)), JSON.stringify(rej71));
    assert.ok(rej71.some((x) => x.where.includes('"ghost.user@nowhere.example"') && /unknown user/.test(x.reason)), JSON.stringify(rej71));

    const r71 = await run('7.1');
    assert.equal(r71.status, 'done');
    assert.ok(r71.summary.some((l) => l.startsWith('rejected pithos account') && l.includes('negative quota -5')), r71.summary.join('\n'));
    assert.ok(r71.logs.some((l) => l.includes('ghost.user@nowhere.example') && l.includes('unknown user')));

    // an operator's own file for 7.2, with one bad line of each kind
    extraFile = join(dir, 'extra-quota.txt');
    const lines = [
      `${fileUser.uuid} cyclades.vm 7 0 ${E30} ${E30}`,
      `${fileUser.uuid} cyclades.gpu 3 0 ${E30} ${E30}`,
      `00000000-0000-4000-8000-000000000000 cyclades.vm 3 0 ${E30} ${E30}`,
      `${fileUser2.uuid} cyclades.network.private -1 0 ${E30} ${E30}`,
      `${fileUser2.uuid} cyclades.vm 3 0 ${E30}`,
      `${fileUser2.uuid} cyclades.ram ${INF} 0 ${INF} ${INF}`,
      `${fileUser2.email} cyclades.vm 3 0 ${E30} ${E30}`,
      `${fileUser2.uuid} cyclades.disk 2.5 0 ${E30} ${E30}`,
    ];
    writeFileSync(extraFile, `${lines.join('\n')}\n`);
    const answers72 = { 7.2: { file: extraFile } };
    const plan72 = await planOf('7.2', answers72);
    const rej72 = (plan72.findings.data as { rejected: { where: string; reason: string }[] }).rejected;
    const at = (n: number) => rej72.find((x) => x.where === `${extraFile}:${n}`)?.reason ?? '(not rejected)';
    assert.match(at(2), /unknown resource cyclades\.gpu/);
    assert.match(at(3), /unknown user/);
    assert.match(at(4), /negative capacity -1/);
    assert.match(at(5), /not 6 fields/);
    assert.match(at(7), /unknown user/);
    assert.match(at(8), /not a whole decimal number/);
    assert.equal(at(1), '(not rejected)');
    assert.equal(at(6), '(not rejected)');
    // the settings' negative entry, at its file and line
    const neg = rej72.find((x) => x.where.includes('VMS_USER_QUOTA') && /negative limit -2/.test(x.reason));
    assert.ok(neg, JSON.stringify(rej72));
    const [, file, line] = /^(.*):(\d+): VMS_USER_QUOTA/.exec(neg!.where)!;
    assert.match(readFileSync(file!, 'utf8').split('\n')[Number(line) - 1]!, /: -2,/);

    const r72 = await run('7.2', answers72);
    assert.equal(r72.status, 'done');

    // the files: six single-space fields, uuid of an astakos user, registered resource, 0, 10^30, 10^30
    const known = new Set(users.map((u) => u.uuid));
    const resources = new Set((await q('astakos', `SELECT s.name || '.' || r.name AS n FROM im_resource r JOIN im_service s ON s.id = r.service_id`)).map((x) => x.n));
    const rows = await q('astakos', `SELECT a.uuid, s.name || '.' || r.name AS res, q.capacity::text AS c, q.quantity::text AS qn, q.import_limit::text AS il, q.export_limit::text AS el
                                       FROM im_astakosuserquota q JOIN im_astakosuser a ON a.user_ptr_id = q.user_id
                                       JOIN im_resource r ON r.id = q.resource_id JOIN im_service s ON s.id = r.service_id`);
    const inDb = new Map(rows.map((x) => [`${x.uuid} ${x.res}`, `${x.c} ${x.qn} ${x.il} ${x.el}`]));
    for (const name of ['pithos-quota.txt', 'cyclades-quota.txt']) {
      const path = join(config.backups, 'quota', name);
      assert.ok(existsSync(path), path);
      const text = readFileSync(path, 'utf8');
      assert.ok(text.endsWith('\n') && text.length > 0);
      for (const l of text.slice(0, -1).split('\n')) {
        const f = l.split(' ');
        assert.equal(f.length, 6, l);
        assert.ok(UUID_RE.test(f[0]!) && known.has(f[0]!), l);
        assert.ok(resources.has(f[1]!), l);
        assert.match(f[2]!, /^[0-9]+$/);
        assert.deepEqual(f.slice(3), ['0', E30, E30], l);
        assert.ok(parseQuotaLine(l).ok);
        const key = `${f[0]} ${f[1]}`;
        if (key !== `${fileUser.uuid} cyclades.vm`) assert.equal(inDb.get(key), `${f[2]} 0 ${E30} ${E30}`, l);
      }
      assert.ok(r71.summary.concat(r72.summary).some((s) => s.includes(path)), `the summary says where ${name} is`);
    }
    const pithosFile = readFileSync(join(config.backups, 'quota', 'pithos-quota.txt'), 'utf8');
    // unlimited stays unlimited: every 0 policy (and the 10^32 one) is 10^32, never 0
    for (const [path, v] of await pithosPolicies()) {
      if (!known.has(path)) continue;
      if (v === '0' || v === INF) {
        assert.ok(pithosFile.includes(`${path} pithos+.diskspace ${INF} 0 ${E30} ${E30}\n`), path);
        assert.equal(inDb.get(`${path} pithos+.diskspace`), `${INF} 0 ${E30} ${E30}`);
      }
    }
    assert.ok(!pithosFile.includes(negAccount.path), 'the negative quota is not in the file');
    assert.ok([...(await pithosPolicies()).values()].includes('0'), 'the sandbox has unlimited pithos quotas');
    // the operator file's good lines are in, its bad ones are not
    assert.equal(inDb.get(`${fileUser.uuid} cyclades.vm`), `7 0 ${E30} ${E30}`);
    assert.equal(inDb.get(`${fileUser2.uuid} cyclades.ram`), `${INF} 0 ${INF} ${INF}`);
    assert.equal(inDb.get(`${fileUser2.uuid} cyclades.network.private`), undefined);
    assert.equal(inDb.get(`${negUser.uuid} cyclades.vm`), undefined, 'the negative settings limit was not imported');
    assert.ok(![...inDb.values()].some((v) => v.startsWith('-')), 'nothing negative in im_astakosuserquota');
  });

  it('plan 8 is a read-only --verify: it reports every verified user and writes nothing', async () => {
    // a project membership, so that step 8 sums grants on top of the base limit
    const app = 1;
    await q('astakos', `INSERT INTO im_chain (chain) VALUES (1)`);
    await q('astakos', `INSERT INTO im_projectapplication (id, applicant_id, state, owner_id, chain, name, end_date, member_join_policy, member_leave_policy, issue_date)
                        VALUES ($1, $2, 1, $2, 1, 'research', now() + interval '1 year', 1, 1, now())`, [app, grantUser.uid]);
    await q('astakos', `INSERT INTO im_project (id, application_id, creation_date, name, state, is_active) VALUES (1, $1, now(), 'research', 1, true)`, [app]);
    await q('astakos', `INSERT INTO im_projectresourcegrant (resource_id, project_application_id, member_capacity, member_import_limit, member_export_limit)
                        SELECT r.id, $1, 3, 5, 7 FROM im_resource r WHERE r.name = 'vm'`, [app]);
    await q('astakos', `INSERT INTO im_projectmembership (person_id, request_date, project_id, state, is_active, application_id) VALUES ($1, now(), 1, 1, true, $2)`, [grantUser.uid, app]);

    const verified = (await astakosUsers()).filter((u) => u.verified).length;
    const before = await snapshot();
    await release();
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['plan', '8', '--json', '--config', config.file!], { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false });
    assert.equal(code, 0, err.join('\n'));
    const view = JSON.parse(out.join('\n'));
    assert.equal(view.findings.data.verified, verified);
    assert.equal(view.findings.data.notRegistered, verified);
    assert.ok(view.findings.summary.some((l: string) => l.startsWith(`users not registered in the quotaholder: ${verified} (`)), view.findings.summary.join('\n'));
    assert.ok(view.findings.summary.includes(`quotas differ for ${verified} users`));
    assert.ok(view.plan.changes.some((c: { table: string; action: string; rows: number }) => c.table === 'quotaholder_app_entity' && c.action === 'insert' && c.rows === verified));
    assert.equal(await snapshot(), before, 'plan 8 changed the database');
  });

  it('8: every verified user\'s limits are the effective ones (initial quota or default, plus grants), 10^32 exact', async () => {
    const r = await run('8');
    assert.equal(r.status, 'done');
    // the tables it filled have planner statistics of their real size (the next steps look rows up in them)
    for (const t of ['quotaholder_app_entity', 'quotaholder_app_holding', 'quotaholder_app_policy']) {
      const [stat] = await q('astakos', `SELECT c.reltuples::bigint::text AS planned, (SELECT count(*) FROM ${t})::text AS actual FROM pg_class c WHERE c.relname = $1`, [t]);
      assert.equal(stat!.planned, stat!.actual, `${t}: statistics after step 8`);
    }
    // independent: read the rows, sum in TypeScript
    const users = await astakosUsers();
    const resources = await q('astakos', `SELECT r.id, s.name || '.' || r.name AS n, r.uplimit::text AS u FROM im_resource r JOIN im_service s ON s.id = r.service_id`);
    const quotas = new Map((await q('astakos', `SELECT user_id, resource_id, capacity::text AS c, quantity::text AS q, import_limit::text AS i, export_limit::text AS e FROM im_astakosuserquota`))
      .map((x) => [`${x.user_id} ${x.resource_id}`, x]));
    const grants = await q('astakos', `SELECT m.person_id, g.resource_id, g.member_capacity::text AS c, g.member_import_limit::text AS i, g.member_export_limit::text AS e
                                         FROM im_projectmembership m JOIN im_projectresourcegrant g ON g.project_application_id = m.application_id WHERE m.is_active`);
    const expected = new Map<string, string>();
    for (const u of users.filter((x) => x.verified)) {
      for (const res of resources) {
        const base = quotas.get(`${u.uid} ${res.id}`);
        let [qn, c, i, e] = base ? [BigInt(base.q), BigInt(base.c), BigInt(base.i), BigInt(base.e)] : [0n, BigInt(res.u), QH_INF, QH_INF];
        for (const g of grants) {
          if (g.person_id !== u.uid || g.resource_id !== res.id) continue;
          c += BigInt(g.c);
          i += BigInt(g.i);
          e += BigInt(g.e);
        }
        expected.set(`${u.uuid} ${res.n}`, `${qn} ${c} ${i} ${e}`);
      }
    }
    const held = await q('astakos', `SELECT h.entity_id, h.resource, h.flags::text AS f, p.quantity::text AS q, p.capacity::text AS c, p.import_limit::text AS i, p.export_limit::text AS e
                                       FROM quotaholder_app_holding h JOIN quotaholder_app_policy p ON p.policy = h.policy_id
                                      WHERE h.entity_id NOT IN ('cyclades', 'pithos+')`);
    const actual = new Map(held.map((h) => [`${h.entity_id} ${h.resource}`, `${h.q} ${h.c} ${h.i} ${h.e}`]));
    assert.equal(actual.size, expected.size);
    assert.deepEqual([...actual].sort(), [...expected].sort());
    assert.ok(held.every((h) => h.f === '0'));
    const ents = await q('astakos', `SELECT entity, owner_id, key FROM quotaholder_app_entity WHERE entity NOT IN ('system', 'cyclades', 'pithos+')`);
    assert.deepEqual(ents.map((x) => x.entity).sort(), users.filter((u) => u.verified).map((u) => u.uuid).sort());
    assert.ok(ents.every((x) => x.owner_id === 'system' && x.key === '1'));
    assert.equal((await q('astakos', `SELECT count(*)::int AS n FROM quotaholder_app_policy p WHERE NOT EXISTS (SELECT 1 FROM quotaholder_app_holding h WHERE h.policy_id = p.policy)`))[0].n, 0, 'no orphan policies');
    // 10^32 and sums past it survive as exact decimals
    const other = users.find((u) => u.verified && u.uuid !== fileUser2.uuid)!;
    assert.equal(actual.get(`${other.uuid} cyclades.cpu`), `0 ${INF} ${INF} ${INF}`);
    assert.equal(actual.get(`${fileUser2.uuid} cyclades.ram`), `0 ${INF} ${INF} ${INF}`);
    const vmBase = quotas.get(`${grantUser.uid} ${resources.find((x) => x.n === 'cyclades.vm')!.id}`);
    assert.equal(actual.get(`${grantUser.uuid} cyclades.vm`), vmBase ? `0 ${BigInt(vmBase.c) + 3n} ${BigInt(vmBase.i) + 5n} ${BigInt(vmBase.e) + 7n}` : `0 5 ${INF.slice(0, -1)}5 ${INF.slice(0, -1)}7`);

    // the report lists every user whose limit changed relative to 0.12
    const d = dicts012();
    const policies = await pithosPolicies();
    const changed = new Set<string>();
    for (const u of users.filter((x) => x.verified)) {
      const cap = (res: string) => BigInt(actual.get(`${u.uuid} ${res}`)!.split(' ')[1]!);
      const norm = (v: bigint) => (v >= QH_INF ? QH_INF : v);
      const vm012 = d.vms.get(u.email) ?? d.vms.get(u.uuid) ?? d.maxVms;
      const net012 = d.nets.get(u.email) ?? d.nets.get(u.uuid) ?? d.maxNets;
      const p = policies.get(u.uuid) ?? policies.get(u.email);
      const disk012 = p === undefined ? 50n * GIB : BigInt(p) <= 0n ? QH_INF : BigInt(p);
      if (norm(vm012) !== norm(cap('cyclades.vm')) || norm(net012) !== norm(cap('cyclades.network.private')) || norm(disk012) !== norm(cap('pithos+.diskspace'))) changed.add(u.uuid);
    }
    // every one in the state file (and the report); the summary shows the first 20
    const all = withState((st) => st.getFindings('8', CHANGED_012).map((f) => f.data as string));
    const listed = new Set(all.map((l) => /^([0-9a-f-]{36}) \(/.exec(l)?.[1]));
    assert.equal(all.length, listed.size);
    assert.deepEqual([...listed].sort(), [...changed].sort());
    assert.ok(changed.size > 20, `${changed.size} changed: enough to test the summary's cut`);
    const shown = r.summary.filter((l) => /^ {2}[0-9a-f-]{36} \(/.test(l)).map((l) => l.trim());
    assert.deepEqual(shown, all.slice(0, 20));
    assert.ok(r.summary.includes(changed.size > 20
      ? `${changed.size} users whose limits changed relative to 0.12 (the first 20; snf-upgrade report lists all):`
      : `${changed.size} users whose limits changed relative to 0.12:`), r.summary.join('\n'));
    const grantLine = all.find((l) => l.includes(grantUser.uuid))!;
    assert.ok(grantLine.includes(`cyclades.vm ${d.maxVms} → 5`), grantLine);
    assert.ok(all.some((l) => l.includes(negUser.uuid) && l.includes('cyclades.vm -2 → 2')), 'the user whose negative limit was rejected');
    const md = reportMarkdown(withState((st) => buildReport(st, [])));
    assert.ok(md.includes(`- ${CHANGED_012} (${all.length}):\n${all.map((l) => `  - ${l}`).join('\n')}`), 'the report lists every one');
  });

  let r91: Run;
  let r92: Run;
  it('9.2 killed before its commit changes nothing; killed after it, the next run finds the work done', async () => {
    r91 = await run('9.1');
    assert.equal(r91.status, 'done');
    const usageSum = async () => (await q('astakos', `SELECT coalesce(sum(imported), 0)::text AS s FROM quotaholder_app_holding WHERE resource LIKE 'cyclades.%' AND entity_id NOT IN ('cyclades')`))[0].s;
    const journal = async () => (await q('astakos', `SELECT count(*)::int AS n FROM snf_upgrade_journal WHERE step = '9.2'`))[0].n;
    assert.equal(await usageSum(), '0');
    await release();
    const early = await runCli(['run', '9.2', '--config', config.file!], { SNF_UPGRADE_FAULT: 'batch:before-commit:kill' });
    assert.equal(early.code, null, early.stderr);
    assert.equal(await usageSum(), '0', 'a batch killed before COMMIT left nothing');
    assert.equal(await journal(), 0);
    await release();
    const late = await runCli(['run', '9.2', '--config', config.file!], { SNF_UPGRADE_FAULT: 'batch:after-commit:kill' });
    assert.equal(late.code, null, late.stderr);
    assert.notEqual(await usageSum(), '0', 'the committed batch stays');
    assert.equal(await journal(), 1);
    assert.equal(withState((st) => st.getStep('9.2').status), 'running');
    r92 = await run('9.2');
    assert.equal(r92.status, 'done');
    assert.match(r92.summary[0]!, /already held the current usage; nothing changed/);
    assert.equal(await journal(), 1, 'no second batch');
  });

  it('9.1 / 9.2: usage per user equals the sizes and counts computed here; what cannot be recorded is reported', async () => {
    const users = await astakosUsers();
    const verified = new Set(users.filter((u) => u.verified).map((u) => u.uuid));
    const held = new Map((await q('astakos', `SELECT entity_id, resource, imported::text AS a, importing::text AS b, exported::text AS c, exporting::text AS d,
                                                       returned::text AS e, "returning"::text AS f, released::text AS g, releasing::text AS h
                                                  FROM quotaholder_app_holding WHERE entity_id NOT IN ('cyclades', 'pithos+')`))
      .map((h) => [`${h.entity_id} ${h.resource}`, [h.a, h.b, h.c, h.d, h.e, h.f, h.g, h.h].join(' ')]));
    const reset = (v: bigint) => `${v} ${v} 0 0 0 0 0 0`;

    const space = await pithosUsageByAccount();
    for (const uuid of verified) assert.equal(held.get(`${uuid} pithos+.diskspace`), reset(space.get(uuid) ?? 0n), `pithos usage of ${uuid}`);
    const unrecorded91 = [...space].filter(([path, n]) => n > 0n && !verified.has(path)).map(([path]) => path);
    assert.ok(unrecorded91.length > 0, 'the sandbox has pithos accounts that are not verified users');
    for (const path of unrecorded91) assert.ok(r91.summary.some((l) => l.startsWith(`not recorded: account ${path} `)), path);

    const cyc = await cycladesUsageByOwner();
    for (const uuid of verified) {
      const u = cyc.get(uuid);
      for (const res of ['cyclades.vm', 'cyclades.cpu', 'cyclades.ram', 'cyclades.disk', 'cyclades.network.private']) {
        assert.equal(held.get(`${uuid} ${res}`), reset(u?.[res] ?? 0n), `${res} of ${uuid}`);
      }
    }
    const unrecorded92 = [...cyc.keys()].filter((o) => !verified.has(o));
    assert.ok(unrecorded92.length > 0, 'the sandbox has cyclades owners that are not verified users');
    for (const o of unrecorded92) assert.ok(r92.summary.some((l) => l.startsWith(`not recorded: owner ${o} `)), o);
    assert.ok(r92.logs.some((l) => l.startsWith('warn: 9.2: not recorded')));
    // ram and disk in bytes: one user's figures are whole MiB / GiB and match flavors × 2^20 / 2^30
    const big = [...verified].map((v) => cyc.get(v)).find((u) => u && u['cyclades.disk']! > 0n)!;
    assert.equal(big['cyclades.disk']! % (1024n ** 3n), 0n);
    assert.ok(fmtLimit('cyclades.disk', big['cyclades.disk']!).endsWith('GiB'));
  });

  it('a re-run of 5 → 9.2 changes nothing and says so', async () => {
    const before = await snapshot();
    withState((s) => { for (const id of ['5', '7.1', '7.2', '8', '9.1', '9.2']) s.resetStep(id); });
    // the databases' record of those steps too, or the state file would disagree with them
    for (const service of ['astakos', 'cyclades', 'pithos'] as const) await q(service, `DELETE FROM snf_upgrade_steps WHERE step IN ('5', '7.1', '7.2', '8', '9.1', '9.2')`);
    const answers = { ...STEP5, 7.2: { file: extraFile } };
    const first: Record<string, string> = {};
    for (const id of ['5', '7.1', '7.2', '8', '9.1', '9.2']) {
      const r = await run(id, answers);
      assert.equal(r.status, 'done', id);
      first[id] = r.summary.join('\n');
    }
    assert.equal(await snapshot(), before, 'the re-run changed something');
    assert.match(first['5']!, /loaded already; nothing changed/);
    assert.match(first['7.1']!, /already in place; nothing changed/);
    assert.match(first['7.2']!, /already in place; nothing changed/);
    assert.match(first['8']!, /already in sync; nothing changed/);
    assert.match(first['9.1']!, /already held the current usage; nothing changed/);
    assert.match(first['9.2']!, /already held the current usage; nothing changed/);
  });
});

describe('step 5 with the lower defaults declined', () => {
  it('loads 0.12\'s default limits on the operator\'s word and records the ASTAKOS_SERVICES that keeps them', async () => {
    const { cfg, urls, walk } = await sandboxWalk('keep012', 12);
    for (const id of ['1', '2.1', '2.2']) await walk.run(id);
    for (const id of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4']) await walk.confirm(id);
    const answers = join(dirname(cfg), 'keep012.json');
    writeFileSync(answers, JSON.stringify({ 5: { 'rename-pithos': true, 'lower-defaults': false, 'keep-0.12-defaults': true } }));
    const r = await runCli(['run', '5', '--answers', answers, '--config', cfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /0\.12's default limits loaded instead of the lower ones \(declined\): cyclades\.vm 3, cyclades\.network\.private 5, pithos\+\.diskspace 50 GiB/);
    const kept = /ASTAKOS_SERVICES in \S+\/20-snf-astakos-app-settings\.conf on the astakos host becomes what (\S+) holds:/.exec(r.stdout)![1]!;
    // the file to install is Python that says 0.12's limits
    const services = readAstakosServices(parseSettings(readFileSync(kept, 'utf8'), kept).settings.get('ASTAKOS_SERVICES')!.value!).services;
    assert.equal(services.flatMap((sv) => sv.resources).find((x) => x.fullName === 'cyclades.vm')?.uplimit, 3n);
    assert.equal(statSync(kept).mode & 0o777, 0o600);
    const db = await openDb('astakos', urls.astakos);
    try {
      const rows = (await db.pool.query<{ name: string; uplimit: string }>(`SELECT s.name || '.' || r.name AS name, r.uplimit::text AS uplimit
        FROM im_resource r JOIN im_service s ON s.id = r.service_id WHERE r.name IN ('vm', 'diskspace') ORDER BY 1`)).rows;
      assert.deepEqual(rows, [{ name: 'cyclades.vm', uplimit: '3' }, { name: 'pithos+.diskspace', uplimit: String(50n * 1024n ** 3n) }]);
    } finally {
      await db.close();
    }
  });
});

describe('the six-field quota line', () => {
  it('reads what user-set-initial-quota reads, and refuses what would break the sync', () => {
    const u = '6119a50b-cbc7-42c0-bafc-4b6570e3f6ac';
    const ok = parseQuotaLine(`${u} cyclades.vm +7 0 ${E30} ${E30}\r`);
    assert.ok(ok.ok && ok.record.capacity === 7n && ok.record.exportLimit === 10n ** 30n);
    const inf = parseQuotaLine(`${u} pithos+.diskspace ${INF} 0 ${INF} ${INF}`);
    assert.ok(inf.ok && inf.record.capacity === QH_INF && inf.record.capacity.toString() === INF);
    const bad = (line: string) => { const p = parseQuotaLine(line); return p.ok ? 'ok' : p.reason; };
    assert.match(bad(`${u} cyclades.vm -1 0 0 0`), /negative capacity/);
    assert.match(bad(`${u}  cyclades.vm 1 0 0 0`), /not 6 fields/);
    assert.match(bad(`${u}\tcyclades.vm 1 0 0 0`), /not 6 fields/);
    assert.match(bad(`${u} cyclades.vm 1e3 0 0 0`), /not a whole decimal number/);
    assert.match(bad(`${u} cyclades.vm 1${'0'.repeat(33)} 0 0 0`), /above 10\^32/);
    assert.match(bad(''), /not 6 fields/);
  });
});
