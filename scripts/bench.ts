// npm run bench [-- --scale large|small|N] [--seed N] [--name NAME] [--dir DIR] [--sample N] [--keep]
//
// Builds a sandbox on SNF_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres),
// runs every migrating step through the Engine as the headless CLI does (one Engine session
// per step, HeadlessAsker with --yes --accept-suggestions and every dangerous confirmation
// answered), and prints per step: rows changed, wall time, rows/s, peak RSS. Then, on copies of
// cyclades and pithos taken (CREATE DATABASE … TEMPLATE) just before 6.3/6.4, the floor (one
// plain UPDATE … FROM mapping per table) and the row-by-row cost (one UPDATE per primary key,
// on a sample, rolled back, extrapolated) of the biggest rewrites, and the targets.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { HeadlessAsker, type Answers } from '../src/cli/asker.js';
import { loadConfig, type Config } from '../src/config.js';
import { SERVICES, scrubSecrets, type Service } from '../src/db/connection.js';
import { Engine, type EngineEvent } from '../src/engine/index.js';
import { STEPS } from '../src/runbook/steps.js';
import { createSandbox, dropSandbox, parseScale, simulateStep, type SimulatedStep } from '../src/sandbox/index.js';
import { StateFile } from '../src/state/index.js';

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    scale: { type: 'string', default: 'large' },
    seed: { type: 'string', default: '1' },
    name: { type: 'string', default: 'snfbench' },
    dir: { type: 'string' },
    sample: { type: 'string', default: '2000' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (flags.help) {
  process.stdout.write('usage: npm run bench -- [--scale tiny|small|medium|large|N] [--seed N] [--name NAME] [--dir DIR] [--sample N] [--keep]\n');
  process.exit(0);
}

const ADMIN = process.env.SNF_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const scale = parseScale(flags.scale!);
const seed = Number(flags.seed);
const name = flags.name!;
const SAMPLE = Number(flags.sample);
const dir = resolve(flags.dir ?? mkdtempSync(join(tmpdir(), 'snf-bench-')));
mkdirSync(dir, { recursive: true });
const configPath = join(dir, `snf-upgrade-${name}.json`);
const REF = (s: Service) => `${name}_ref_${s}`;

const MIGRATING = ['2.1', '2.2', '5', '6.1', '6.2', '6.3', '6.4', '7.1', '7.2', '8', '9.1', '9.2'];
// Every step that asks a dangerous confirmation is answered yes (the count-typed word of 2.2 too).
const answers: Answers = Object.fromEntries(MIGRATING.map((id) => [id, { confirm: true }]));

const out = (s = '') => process.stdout.write(`${s}\n`);
const note = (s: string) => process.stderr.write(`  ${s}\n`);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function table(head: string[], rows: Array<Array<string | number>>): void {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  out(line(head));
  out(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of cells.slice(1)) out(line(r));
}

// ------------------------------------------------------------------ RSS sampling

let peakAll = process.memoryUsage().rss;
let peakStep = 0;
const sampler = setInterval(() => {
  const r = process.memoryUsage().rss;
  if (r > peakStep) peakStep = r;
  if (r > peakAll) peakAll = r;
}, 100);
sampler.unref();

// ------------------------------------------------------------------ engine sessions

function openState(config: Config): StateFile {
  const urls = SERVICES.map((s) => config[s].db).filter((u): u is string => !!u);
  return StateFile.open(config.state, { create: true, scrub: (t) => scrubSecrets(t, urls), toolVersion: 'bench' });
}

/** One engine session, as one `snf-upgrade run|confirm STEP` invocation. */
async function session<T>(config: Config, fn: (e: Engine) => Promise<T>): Promise<T> {
  const state = openState(config);
  let engine: Engine | undefined;
  let outcome: 'completed' | 'failed' = 'completed';
  try {
    engine = new Engine(config, state, new HeadlessAsker(answers, true, true), 'bench');
    return await fn(engine);
  } catch (err) {
    outcome = 'failed';
    throw err;
  } finally {
    await engine?.close(outcome);
    state.close();
  }
}

interface StepFigure {
  step: string;
  kind: string;
  rows: number;
  ms: number;
  rss: number;
  load: string;
  /** Per table of the big rewrites: rows and ms, from the step's own log lines / progress events. */
  tables: Map<string, { rows: number; ms: number }>;
}

const figures: StepFigure[] = [];

// Where a step's time goes: its module's inspect / plan / apply / verify, timed by wrapping the
// module objects of the runbook in this process only (the engine calls them as usual).
const PHASES = ['inspect', 'plan', 'apply', 'verify'] as const;
const phaseMs = new Map<string, Record<string, number>>();
for (const def of STEPS) {
  const m = def.module as Record<string, unknown> | undefined;
  if (!m || def.kind === 'manual') continue;
  const wrapped: Record<string, unknown> = { ...m };
  for (const ph of PHASES) {
    const f = m[ph];
    if (typeof f !== 'function') continue;
    wrapped[ph] = async (...args: unknown[]) => {
      const t = performance.now();
      try {
        return await (f as (...a: unknown[]) => Promise<unknown>).apply(m, args);
      } finally {
        const rec = phaseMs.get(def.id) ?? {};
        rec[ph] = (rec[ph] ?? 0) + performance.now() - t;
        phaseMs.set(def.id, rec);
      }
    };
  }
  def.module = wrapped as unknown as typeof def.module;
}

async function measure(step: string, kind: string, fn: () => Promise<number>, tables = new Map<string, { rows: number; ms: number }>()): Promise<StepFigure> {
  peakStep = process.memoryUsage().rss;
  const t0 = performance.now();
  const rows = await fn();
  const ms = performance.now() - t0;
  const r = process.memoryUsage().rss;
  if (r > peakStep) peakStep = r;
  const f: StepFigure = { step, kind, rows, ms, rss: peakStep, load: load(), tables };
  figures.push(f);
  process.stderr.write(`■ ${step} (${kind}): ${int(rows)} rows in ${secs(ms)}, peak RSS ${mb(peakStep)}, load ${f.load}\n`);
  return f;
}

async function runStep(config: Config, step: string): Promise<StepFigure> {
  const tables = new Map<string, { rows: number; ms: number }>();
  return measure(step, 'run', () => session(config, async (engine) => {
    // per-table times: pithos 6.4 logs "<table>: N row(s) in X s"; cyclades 6.3 emits a progress
    // event before each batch, so a table lasts from its first event to the next table's.
    let cur: { table: string; t: number } | undefined;
    const close = (t: number) => {
      if (!cur) return;
      const e = tables.get(cur.table) ?? { rows: 0, ms: 0 };
      e.ms += t - cur.t;
      tables.set(cur.table, e);
    };
    let lastProgress = 0;
    engine.on((e: EngineEvent) => {
      if (e.type === 'log') {
        const m = /^(\w+): (\d+) row\(s\) in ([\d.]+) s/.exec(e.message);
        if (m && step === '6.4') tables.set(m[1]!, { rows: Number(m[2]), ms: Number(m[3]) * 1000 });
        if (e.level !== 'info') note(`${e.level}: ${e.message}`);
      } else if (e.type === 'progress' && step === '6.3' && e.progress.table) {
        const t = performance.now();
        if (cur?.table !== e.progress.table) {
          close(t);
          cur = { table: e.progress.table, t };
        }
      } else if (e.type === 'progress' && Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        note(`${e.step} ${e.progress.table ?? ''} ${e.progress.done}${e.progress.total !== undefined ? ` / ${e.progress.total}` : ''}`);
      }
    });
    const o = await engine.run(step);
    close(performance.now());
    if (o.status !== 'done') throw new Error(`step ${step} ended ${o.status}: ${o.summary.join('; ')}`);
    const batches = engine.state.batchesFor(step);
    if (step === '6.3') {
      for (const [t, e] of tables) e.rows = batches.filter((b) => b.batch.startsWith(`${t}:`)).reduce((n, b) => n + b.rows, 0);
    }
    return batches.reduce((n, b) => n + b.rows, 0);
  }), tables);
}

async function manualStep(config: Config, urls: Record<Service, string>, step: string): Promise<void> {
  const simulated = ['3.2', '3.3', '3.4', '3.5', '3.6', '4'];
  await measure(step, simulated.includes(step) ? 'simulated' : 'confirmed', async () => {
    if (simulated.includes(step)) {
      await simulateStep(step as SimulatedStep, urls, {
        settings: { astakos: config.astakos.settings, cyclades: config.cyclades.settings, pithos: config.pithos.settings },
        log: note,
      });
    }
    await session(config, (e) => e.confirm(step));
    return 0;
  });
}

/** What the home screen needs: a fresh state file + engine, deployment(), steps(), interrupted(). */
async function firstScreen(config: Config): Promise<number> {
  const t0 = performance.now();
  await session(config, async (engine) => {
    await engine.deployment();
    engine.steps();
    await engine.interrupted();
  });
  return performance.now() - t0;
}

// ------------------------------------------------------------------ references

async function client(db: string): Promise<pg.Client> {
  const u = new URL(ADMIN);
  u.pathname = `/${db}`;
  const c = new pg.Client({ connectionString: u.toString(), application_name: 'snf-upgrade bench' });
  await c.connect();
  return c;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN, application_name: 'snf-upgrade bench' });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

interface Big {
  label: string;
  service: 'cyclades' | 'pithos';
  table: string;
  pk: string;
  /** SQL (over alias t and mapping m) for the new value, and the join condition. */
  newValue: string;
  join: string;
  set: string;
  oursStep: string;
  oursTable: string;
}

const BIG: Big[] = [
  { label: 'pithos nodes.path', service: 'pithos', table: 'nodes', pk: 'node', set: 'path',
    newValue: 'm.uuid || substr(t.path, length(m.identifier) + 1)', join: "t.node <> 0 AND m.identifier = split_part(t.path, '/', 1)",
    oursStep: '6.4', oursTable: 'nodes' },
  { label: 'pithos versions.muser', service: 'pithos', table: 'versions', pk: 'serial', set: 'muser',
    newValue: 'm.uuid', join: 't.muser = m.identifier', oursStep: '6.4', oursTable: 'versions' },
  { label: 'cyclades db_virtualmachine.userid', service: 'cyclades', table: 'db_virtualmachine', pk: 'id', set: 'userid',
    newValue: 'm.uuid', join: 't.userid = m.identifier', oursStep: '6.3', oursTable: 'db_virtualmachine' },
  { label: 'cyclades db_network.userid', service: 'cyclades', table: 'db_network', pk: 'id', set: 'userid',
    newValue: 'm.uuid', join: 't.userid = m.identifier', oursStep: '6.3', oursTable: 'db_network' },
  { label: 'cyclades userdata_publickeypair.user', service: 'cyclades', table: 'userdata_publickeypair', pk: 'id', set: '"user"',
    newValue: 'm.uuid', join: 't."user" = m.identifier', oursStep: '6.3', oursTable: 'userdata_publickeypair' },
];

const IDENTS: Record<'cyclades' | 'pithos', string> = {
  cyclades: `SELECT "user" AS id FROM userdata_publickeypair UNION SELECT userid FROM db_virtualmachine UNION SELECT userid FROM db_network`,
  pithos: `SELECT split_part(path, '/', 1) FROM nodes WHERE node <> 0 UNION SELECT muser FROM versions`,
};

interface RefFigure { big: Big; rows: number; floorMs: number; sampleRows: number; sampleMs: number; rowByRowMs: number }

/** The mapping table bench_map(identifier PK, uuid) in a reference copy: lower(identifier) = username. */
async function buildMap(c: pg.Client, service: 'cyclades' | 'pithos', users: Array<{ username: string; uuid: string }>): Promise<number> {
  await c.query('DROP TABLE IF EXISTS bench_users; DROP TABLE IF EXISTS bench_map');
  await c.query('CREATE TABLE bench_users (username varchar(256) PRIMARY KEY, uuid varchar(256) NOT NULL)');
  await c.query('INSERT INTO bench_users SELECT * FROM unnest($1::text[], $2::text[])', [users.map((u) => u.username), users.map((u) => u.uuid)]);
  const r = await c.query(`CREATE TABLE bench_map AS SELECT i.id AS identifier, u.uuid FROM (${IDENTS[service]}) i(id)
                             JOIN bench_users u ON u.username = lower(i.id) WHERE i.id IS NOT NULL AND i.id <> ''`);
  await c.query('ALTER TABLE bench_map ADD PRIMARY KEY (identifier); ANALYZE bench_map');
  return r.rowCount ?? 0;
}

async function references(urls: Record<Service, string>): Promise<{ refs: RefFigure[]; mapMs: Record<string, number> }> {
  const a = await client(`${name}_astakos`);
  const users = (await a.query<{ username: string; uuid: string }>(
    'SELECT u.username, a.uuid FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id WHERE a.uuid IS NOT NULL')).rows;
  await a.end();
  void urls;
  const refs: RefFigure[] = [];
  const mapMs: Record<string, number> = {};
  for (const service of ['cyclades', 'pithos'] as const) {
    const c = await client(REF(service));
    try {
      await c.query("SET client_min_messages = 'warning'");
      let t = performance.now();
      const mapped = await buildMap(c, service, users);
      mapMs[service] = performance.now() - t;
      note(`${service} reference: mapping of ${mapped} identifier(s) built in ${secs(mapMs[service]!)}`);
      for (const big of BIG.filter((b) => b.service === service)) {
        // row-by-row: one UPDATE per primary key, SAMPLE rows spread over the table, rolled back
        const todo = Number((await c.query(`SELECT count(*) AS n FROM ${big.table} t JOIN bench_map m ON ${big.join}`)).rows[0].n);
        const sample = (await c.query<{ pk: number; v: string }>(
          `SELECT pk, v FROM (SELECT t.${big.pk} AS pk, ${big.newValue} AS v, row_number() OVER (ORDER BY t.${big.pk}) AS rn
                                FROM ${big.table} t JOIN bench_map m ON ${big.join}) s
            WHERE rn % greatest(1, $1::bigint / $2) = 0 LIMIT $2`, [todo, SAMPLE])).rows;
        await c.query('BEGIN');
        t = performance.now();
        for (const r of sample) {
          await c.query({ name: `rbr-${big.table}`, text: `UPDATE ${big.table} SET ${big.set} = $1 WHERE ${big.pk} = $2`, values: [r.v, r.pk] });
        }
        const sampleMs = performance.now() - t;
        await c.query('ROLLBACK');
        // floor: one plain statement, autocommit
        t = performance.now();
        const u = await c.query(`UPDATE ${big.table} t SET ${big.set} = ${big.newValue} FROM bench_map m WHERE ${big.join}`);
        const floorMs = performance.now() - t;
        const f: RefFigure = {
          big, rows: u.rowCount ?? 0, floorMs, sampleRows: sample.length, sampleMs,
          rowByRowMs: sample.length ? (sampleMs / sample.length) * todo : 0,
        };
        refs.push(f);
        note(`${big.label}: floor ${int(f.rows)} rows in ${secs(floorMs)}; row-by-row ${sample.length} rows in ${secs(sampleMs)} → ${secs(f.rowByRowMs)} extrapolated`);
      }
    } finally {
      await c.end();
    }
  }
  return { refs, mapMs };
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const started = performance.now();
  out(`snf-upgrade bench: scale ${String(scale)}, seed ${seed}, server ${scrubSecrets(ADMIN)}, ${cpus().length} CPU(s), node ${process.version}`);
  out(`load average at start: ${load()}`);
  out(`work dir ${dir}`);
  out('step 1 (services down, backups) is not run: it is marked done in the state file (backups skipped)');
  const env = ['SNF_UPGRADE_REMAP_BATCH', 'SNF_UPGRADE_PITHOS_BATCH', 'SNF_UPGRADE_PITHOS_CHUNK'].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`);
  if (env.length) out(`knobs: ${env.join(' ')}`);

  try {
    const t0 = performance.now();
    const sb = await createSandbox({ name, pg: ADMIN, scale, seed, configPath, log: note });
    const buildMs = performance.now() - t0;
    const c = sb.counts;
    out(`sandbox built in ${secs(buildMs)}: ${int(c['astakos.auth_user'] ?? 0)} users, ${int(c['pithos.nodes'] ?? 0)} pithos nodes, ${int(c['pithos.versions'] ?? 0)} versions, `
      + `${int(c['cyclades.db_virtualmachine'] ?? 0)} VMs, ${int(Object.values(c).reduce((n, x) => n + x, 0))} rows in all; load ${load()}`);
    const config = loadConfig(configPath);

    const screenBefore = await firstScreen(config);
    { const s = openState(config); s.markDone('1', ['bench: backups skipped (not measured)']); s.close(); }

    for (const def of STEPS) {
      if (def.id === '1') continue;
      if (def.id === '10') break;
      if (def.kind === 'manual') { await manualStep(config, sb.urls, def.id); continue; }
      if (def.id === '6.3') {
        // the reference copies: the same data the tool's 6.3 and 6.4 start from
        const t = performance.now();
        await admin(async (ad) => {
          for (const s of ['cyclades', 'pithos'] as const) {
            await ad.query(`DROP DATABASE IF EXISTS "${REF(s)}"`);
            await ad.query(`CREATE DATABASE "${REF(s)}" TEMPLATE "${name}_${s}"`);
          }
        });
        note(`reference copies ${REF('cyclades')}, ${REF('pithos')} made in ${secs(performance.now() - t)}`);
      }
      await runStep(config, def.id);
    }
    const screenAfter = await firstScreen(config);
    // worst case of the home screen: a step left "running" (interrupted() asks every database)
    { const s = openState(config); s.markRunning('6.4', null); s.close(); }
    const screenInterrupted = await firstScreen(config);
    { const s = openState(config); s.markDone('6.4', ['bench']); s.close(); }

    const { refs, mapMs } = await references(sb.urls);

    // ------------------------------------------------------------ report
    out();
    out(`== per step (load average now ${load()})`);
    table(['step', 'kind', 'rows changed', 'wall', 'rows/s', 'peak RSS', 'load 1/5/15'],
      figures.map((f) => [f.step, f.kind, int(f.rows), secs(f.ms), f.rows ? int(f.rows / (f.ms / 1000)) : '-', mb(f.rss), f.load]));
    const migr = figures.filter((f) => f.kind === 'run');
    const migrMs = migr.reduce((n, f) => n + f.ms, 0);
    const migrRows = migr.reduce((n, f) => n + f.rows, 0);
    const manualMs = figures.filter((f) => f.kind !== 'run').reduce((n, f) => n + f.ms, 0);
    out(`data migration (the ${migr.length} migrating steps): ${int(migrRows)} rows in ${secs(migrMs)} (${int(migrRows / (migrMs / 1000))} rows/s); `
      + `simulated/confirmed manual steps ${secs(manualMs)} (not the tool's work)`);

    out();
    out('== where each migrating step spends its time (module phases as the engine calls them; "other" = engine: locks, journal, state file)');
    table(['step', 'inspect', 'plan', 'apply', 'verify', 'other', 'wall'], migr.map((f) => {
      const p = phaseMs.get(f.step) ?? {};
      const sum = PHASES.reduce((n, ph) => n + (p[ph] ?? 0), 0);
      return [f.step, ...PHASES.map((ph) => (p[ph] === undefined ? '-' : secs(p[ph]!))), secs(f.ms - sum), secs(f.ms)];
    }));

    out();
    out('== biggest rewrites: ours vs floor vs row-by-row');
    out(`floor: one UPDATE … FROM bench_map per table on a copy made just before 6.3/6.4 (mapping built apart: cyclades ${secs(mapMs.cyclades ?? 0)}, pithos ${secs(mapMs.pithos ?? 0)});`);
    out(`row-by-row: one prepared UPDATE per primary key, ${SAMPLE} rows spread over the table, in a transaction rolled back, extrapolated`);
    const cmp = refs.map((r) => {
      const ours = figures.find((f) => f.step === r.big.oursStep)?.tables.get(r.big.oursTable) ?? { rows: 0, ms: NaN };
      return { r, ours };
    });
    table(['table', 'ours rows', 'ours', 'floor rows', 'floor', 'row-by-row (est.)', 'ours/floor', 'row-by-row/ours'],
      cmp.map(({ r, ours }) => [r.big.label, int(ours.rows), secs(ours.ms), int(r.rows), secs(r.floorMs), secs(r.rowByRowMs),
        `${(ours.ms / r.floorMs).toFixed(2)}×`, `${(r.rowByRowMs / ours.ms).toFixed(1)}×`]));

    out();
    out('== targets');
    // the tool's peak: the highest step peak (the bench's own reference work comes after, and is apart)
    const peak = Math.max(...figures.map((f) => f.rss));
    const screen = Math.max(screenBefore, screenAfter, screenInterrupted);
    const verdict = (ok: boolean, by: string) => (ok ? `met (${by})` : `MISSED (${by})`);
    const rows: Array<[string, string, string]> = [];
    for (const { r, ours } of cmp) {
      const x = ours.ms / r.floorMs;
      rows.push([`ours ≤ 1.3× floor: ${r.big.label}`, `${x.toFixed(2)}×`, verdict(x <= 1.3, x <= 1.3 ? `${(1.3 - x).toFixed(2)}× to spare` : `${(x - 1.3).toFixed(2)}× over, ${secs(ours.ms - 1.3 * r.floorMs)} too slow`)]);
    }
    rows.push(['whole data migration < 5 min', secs(migrMs), verdict(migrMs < 300_000, `${((migrMs / 300_000) * 100).toFixed(0)}% of the budget`)]);
    rows.push(['peak RSS < 256 MB', `${mb(peak)} (step ${figures.find((f) => f.rss === peak)?.step}; whole bench process ${mb(peakAll)})`, verdict(peak < 256 * 2 ** 20, `${((peak / (256 * 2 ** 20)) * 100).toFixed(0)}% of the budget`)]);
    rows.push(['first screen < 1 s', `${secs(screen)} (fresh ${secs(screenBefore)}, after ${secs(screenAfter)}, interrupted ${secs(screenInterrupted)})`,
      verdict(screen < 1000, `${((screen / 1000) * 100).toFixed(0)}% of the budget`)]);
    table(['target', 'measured', 'verdict'], rows);
    out();
    out(`total bench time ${secs(performance.now() - started)}; load average at end ${load()}`);
  } finally {
    clearInterval(sampler);
    if (flags.keep) {
      out(`kept: databases ${name}_{astakos,cyclades,pithos} and ${REF('cyclades')}, ${REF('pithos')}; config ${configPath}`);
    } else {
      await admin(async (ad) => {
        for (const s of ['cyclades', 'pithos'] as const) await ad.query(`DROP DATABASE IF EXISTS "${REF(s)}" WITH (FORCE)`);
      }).catch((e) => note(`could not drop the reference copies: ${(e as Error).message}`));
      await dropSandbox({ name, pg: ADMIN, configPath }).catch((e) => note(`could not drop the sandbox: ${(e as Error).message}`));
      if (!flags.dir) rmSync(dir, { recursive: true, force: true });
      out('bench databases dropped (--keep keeps them)');
    }
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${scrubSecrets((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
