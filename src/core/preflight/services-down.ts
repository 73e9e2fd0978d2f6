// The first step: services down (no other database sessions) and a checked backup of each
// database: one per physical database, so services sharing one (snf_apps) share its dump.
import type { Check, StepContext, StepModule } from '../step.js';
import { serviceNames, SERVICES, type Db } from '../../db/connection.js';
import { backupDatabase, formatBytes, pgDumpProblem, removePartials, type BackupFile } from '../../db/backup.js';
import { adoptHostDump, hostDumpCommand } from '../../db/host-dump.js';
import { answerOf } from '../answers.js';
import { describeSession, otherSessions } from '../../db/sessions.js';
import { NeedsAnswer, UserError } from '../../errors.js';

/** SERVICE: the services of one physical database ("astakos and cyclades" when shared). */
interface ServiceFinding {
  service: string; label: string; sessions: string[];
  /** Why this machine's pg_dump cannot dump it, and the command that backs it up on its host. */
  dumpProblem?: string; hostCommand?: string;
}

/** Each physical database once, through the first of its services, in runbook order. */
async function physicalDatabases(ctx: StepContext): Promise<Db[]> {
  const out: Db[] = [];
  for (const service of SERVICES) {
    const db = await ctx.db(service);
    if (!out.some((d) => (d.services ?? [d.service]).includes(service))) out.push(db);
  }
  return out;
}

async function look(ctx: StepContext): Promise<ServiceFinding[]> {
  const out: ServiceFinding[] = [];
  for (const db of await physicalDatabases(ctx)) {
    const dumpProblem = await pgDumpProblem(db);
    out.push({
      service: serviceNames(db), label: db.label,
      sessions: (await otherSessions(db)).map(describeSession),
      dumpProblem,
      ...(dumpProblem ? { hostCommand: (await hostDumpCommand(db, `step${ctx.step}`)).command } : {}),
    });
  }
  return out;
}

/**
 * Takes one checked backup of every database; LABEL names the phase it follows. A database this
 * machine's pg_dump cannot dump is backed up on its host: the operator runs the command shown
 * and gives the file's path (answer "dump-<service>" of step ANSWERSSTEP), which is checked and kept.
 */
export async function backupAll(ctx: StepContext, label: string, answersStep = ctx.step, notBefore?: string): Promise<string[]> {
  const lines: string[] = [];
  const dropped = removePartials(ctx.config.backups);
  if (dropped.length) ctx.log('warn', `removed ${dropped.length} half-written backup(s) from an interrupted run`);
  const databases = await physicalDatabases(ctx);
  // Files are named for what they follow: step1-…, phase2-…, manual-2026-12-07-….
  const fileLabel = /^\d/.test(label) ? `step${label}` : label;
  if (!ctx.asker.ask) await requireHostDumps(ctx, databases, fileLabel, answersStep);
  for (const [i, db] of databases.entries()) {
    const name = serviceNames(db);
    const services = db.services ?? [db.service];
    ctx.progress({ table: `backup ${name}`, unit: 'databases', done: i, total: databases.length });
    const problem = await pgDumpProblem(db);
    const file = problem
      ? await backupOnHost(ctx, db, problem, fileLabel, answersStep, notBefore)
      : await backupDatabase(db, ctx.config.backups, fileLabel);
    // A shared database's one file is recorded for each of its services.
    for (const service of services) {
      ctx.state.addBackup({ step: ctx.step, service, kind: file.kind, path: file.path, bytes: file.bytes, sha256: file.sha256, verified: true,
        note: problem ? `made on the database host (${problem})` : null });
    }
    lines.push(`${name}: ${file.path} (${formatBytes(file.bytes)}, sha256 ${file.sha256.slice(0, 12)}…)${problem ? ', made on the database host' : ''}`);
  }
  ctx.progress({ table: 'backups', unit: 'databases', done: databases.length, total: databases.length });
  return lines;
}

/**
 * The file the operator gave for DB's host dump: the answer "dump-<service>" of any service in
 * DB (a shared database has one dump; any of its services' keys may name it), first service first.
 */
function givenDump(ctx: StepContext, db: Db, answersStep: string): string | undefined {
  for (const service of db.services ?? [db.service]) {
    const given = answerOf<string>(ctx.asker, answersStep, `dump-${service}`);
    if (typeof given === 'string' && given.trim() !== '') return given;
  }
  return undefined;
}

/** Without a terminal: stops (exit 3) before any backup when a database needs a dump from its host that the answers file does not give, with every command. */
async function requireHostDumps(ctx: StepContext, databases: Db[], label: string, answersStep: string): Promise<void> {
  const missing: Array<{ db: Db; problem: string; command: string }> = [];
  for (const db of databases) {
    const problem = await pgDumpProblem(db);
    if (problem && !givenDump(ctx, db, answersStep)) missing.push({ db, problem, command: (await hostDumpCommand(db, label)).command });
  }
  if (!missing.length) return;
  const keys = missing.map((m) => `"dump-${m.db.service}": "/path/to/${serviceNames(m.db, '+')}.dump"`).join(', ');
  throw new NeedsAnswer(`${missing[0]!.problem}, so this tool cannot back up ${missing.map((m) => `${serviceNames(m.db)} (${m.db.label})`).join(', ')}`,
    `run ${missing.length > 1 ? 'these commands' : 'this command'} on the database host, copy the files to this machine and give their paths: {"${answersStep}": {${keys}}} in --answers FILE (or answer in the wizard)`)
    .withDetails(missing.map((m) => `${serviceNames(m.db)}: ${m.command}`));
}

/**
 * The backup of DB that this machine's pg_dump cannot take (PROBLEM says why): the command to run
 * on the database host, then the file the operator copies back, from the answers file or asked
 * (asked again after a refusal; the question's key is the database's first service). No answer:
 * stops (exit 3) with the command.
 */
async function backupOnHost(ctx: StepContext, db: Db, problem: string, label: string, answersStep: string, notBefore?: string): Promise<BackupFile> {
  const service = db.service;
  const { command } = await hostDumpCommand(db, label);
  const cause = `${problem}, so this tool cannot back up ${serviceNames(db)} (${db.label})`;
  const given = givenDump(ctx, db, answersStep);
  if (given || !ctx.asker.ask) return adoptHostDump(db, given ?? '', ctx.config.backups, label, notBefore);
  let refusal: string | undefined;
  for (;;) {
    const path = await ctx.asker.ask({ step: answersStep, key: `dump-${service}`,
      message: `${cause}. Run this on the database host, copy the file here and give its path:`,
      detail: [command, ...(refusal ? [`✗ ${refusal}`] : ['the file is checked (pg_restore --list, this database) and kept in the backup folder'])] });
    if (typeof path !== 'string' || path.trim() === '') {
      throw new NeedsAnswer(cause, `run on the database host: ${command}; copy the file to this machine and give its path (or {"${answersStep}": {"dump-${service}": "/path/to/file"}} in --answers FILE)`);
    }
    try {
      return await adoptHostDump(db, path, ctx.config.backups, label, notBefore);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      refusal = err.message;
    }
  }
}

export const servicesDownAndBackup: StepModule<ServiceFinding[]> = {
  async inspect(ctx) {
    const found = await look(ctx);
    const busy = found.filter((f) => f.sessions.length > 0);
    return {
      summary: [
        busy.length === 0 ? 'no other sessions on any database'
          : busy.map((f) => `${f.service}: ${f.sessions.length} other session(s)`).join(' · '),
        ...found.filter((f) => f.dumpProblem).map((f) => `${f.service}: ${f.dumpProblem}`),
      ],
      data: found,
    };
  },
  plan(findings) {
    const found = findings.data!;
    return {
      summary: [
        ...found.flatMap((f) => f.sessions.map((s) => `${f.service} (${f.label}) still has ${s}`)),
        ...found.filter((f) => f.hostCommand).map((f) => `${f.service}: ${f.dumpProblem}; run on its host: ${f.hostCommand}`),
        `back up ${found.length} database${found.length === 1 ? '' : 's'} (${found.map((f) => f.dumpProblem ? `${f.service}: on its host` : f.service).join(', ')})`,
      ],
      changes: [],
    };
  },
  async apply(ctx) {
    const found = await look(ctx);
    const busy = found.filter((f) => f.sessions.length > 0);
    if (busy.length > 0) {
      const detail = busy.flatMap((f) => f.sessions.map((s) => `${f.service}: ${s}`));
      const ok = await ctx.asker.confirm({
        step: ctx.step, key: 'ignore-sessions', dangerous: true, detail,
        message: `${detail.length} other session(s) are still connected; services must be down. Go on anyway?`,
      });
      if (!ok) {
        throw new UserError(`services are still connected: ${detail[0]}${detail.length > 1 ? ` and ${detail.length - 1} more` : ''}`,
          `stop gunicorn / snf-dispatcher on every host (see step ${ctx.step}), then run it again`);
      }
      ctx.log('warn', `operator went on with ${detail.length} other session(s) connected`);
    }
    const lines = await backupAll(ctx, ctx.step);
    return { summary: lines, rows: 0 };
  },
  async verify(ctx) {
    const checks: Check[] = [];
    for (const service of SERVICES) {
      const b = ctx.state.latestBackup(service);
      checks.push({ label: `${service} backed up`, ok: !!b, detail: b ? `${b.kind}: ${b.path}` : 'no backup recorded' });
    }
    return checks;
  },
};
