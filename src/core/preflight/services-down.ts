// The first step: services down (no other database sessions) and a checked backup of each database.
import type { Check, StepContext, StepModule } from '../step.js';
import { SERVICES, type Db } from '../../db/connection.js';
import { backupDatabase, formatBytes, pgDumpProblem, removePartials } from '../../db/backup.js';
import { describeSession, otherSessions } from '../../db/sessions.js';
import { NeedsAnswer, UserError } from '../../errors.js';

interface ServiceFinding { service: string; label: string; sessions: string[]; dumpProblem?: string }

async function look(ctx: StepContext): Promise<ServiceFinding[]> {
  const out: ServiceFinding[] = [];
  for (const service of SERVICES) {
    const db = await ctx.db(service);
    out.push({
      service, label: db.label,
      sessions: (await otherSessions(db)).map(describeSession),
      dumpProblem: await pgDumpProblem(db),
    });
  }
  return out;
}

/** Takes (or records) one backup of every database; LABEL names the phase it follows. */
export async function backupAll(ctx: StepContext, label: string): Promise<string[]> {
  const lines: string[] = [];
  const dropped = removePartials(ctx.config.backups);
  if (dropped.length) ctx.log('warn', `removed ${dropped.length} half-written backup(s) from an interrupted run`);
  for (const [i, service] of SERVICES.entries()) {
    const db: Db = await ctx.db(service);
    ctx.progress({ table: `backup ${service}`, done: i, total: SERVICES.length });
    const problem = await pgDumpProblem(db);
    if (problem) {
      let external = ctx.asker.answer(ctx.step, `external-backup-${service}`);
      if ((typeof external !== 'string' || external.trim() === '') && ctx.asker.ask) {
        external = await ctx.asker.ask({ step: ctx.step, key: `external-backup-${service}`,
          message: `${problem}, so this tool cannot back up ${service} (${db.label}). Back it up yourself: where is that backup?`,
          detail: ['e.g. backuphost:/srv/backups/snf_apps-2013-03-02.dump; it is recorded as is, not checked'] });
      }
      if (typeof external !== 'string' || external.trim() === '') {
        throw new NeedsAnswer(`${problem}, so this tool cannot back up ${service}`,
          `back it up yourself, then record it: {"${ctx.step}": {"external-backup-${service}": "where the backup is"}} in --answers FILE (or answer in the wizard)`);
      }
      ctx.state.addBackup({ step: ctx.step, service, kind: 'external', path: external, verified: false, note: 'recorded by the operator' });
      lines.push(`${service}: external backup recorded (${external})`);
      continue;
    }
    const file = await backupDatabase(db, ctx.config.backups, `step${label}`);
    ctx.state.addBackup({ step: ctx.step, service, kind: file.kind, path: file.path, bytes: file.bytes, sha256: file.sha256, verified: true, note: null });
    lines.push(`${service}: ${file.path} (${formatBytes(file.bytes)}, sha256 ${file.sha256.slice(0, 12)}…)`);
  }
  ctx.progress({ table: 'backups', done: SERVICES.length, total: SERVICES.length });
  return lines;
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
        `back up ${found.length} databases (${found.map((f) => f.dumpProblem ? `${f.service}: external` : f.service).join(', ')})`,
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
