// `snf-upgrade finish`: once the last step is done, the tool's own tables (journal, lock,
// secrets with the quotaholder token, finished steps, decisions, and any scratch table a step
// left) are dropped from the production databases, after the report is written beside the
// state file. Refused before the last step is done.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import type { Service } from '../db/connection.js';
import { inTransaction } from '../db/journal.js';
import { META } from '../state/index.js';
import { CheckFailed } from '../errors.js';
import type { Engine } from './index.js';
import { buildReport, reportMarkdown } from './report.js';

/** The tool's tables in one physical database. */
export interface ToolTables {
  /** Every service living in that database. */
  services: Service[];
  tables: string[];
}

export interface FinishPlan {
  /** Why finish is refused now, or undefined when it may drop the tables. */
  refusal?: string;
  databases: ToolTables[];
  /** Where the report will be (was) written. */
  reportFile: string;
}

/** The tables whose name starts with snf_upgrade_ in Q's database, sorted. */
async function toolTables(q: pg.Pool | pg.PoolClient): Promise<string[]> {
  const r = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname LIKE 'snf\\_upgrade\\_%' ORDER BY c.relname`);
  return r.rows.map((x) => x.name);
}

/** Each physical database's tool tables (read-only). */
export async function toolTablesLeft(engine: Engine): Promise<ToolTables[]> {
  const out: ToolTables[] = [];
  for (const group of engine.databaseGroups()) out.push({ services: group, tables: await toolTables((await engine.db(group[0]!)).pool) });
  return out;
}

/** What finish would do; REFUSAL says why it cannot yet (the last step not done). */
export async function finishPlan(engine: Engine): Promise<FinishPlan> {
  const steps = engine.steps();
  const last = steps[steps.length - 1]!;
  const refusal = last.record.status === 'done' ? undefined
    : `step ${last.def.id} (${last.def.title}) is not done yet: the tool's tables keep what a resumed or recovered upgrade needs`;
  return { refusal, databases: await toolTablesLeft(engine), reportFile: reportFileOf(engine.config.state) };
}

/** The report's file beside the state file. */
export function reportFileOf(statePath: string): string {
  return join(dirname(statePath), 'snf-upgrade-report.md');
}

/** Writes the report, then drops every tool table (one transaction per database); returns what was removed, one line each. */
export async function finish(engine: Engine): Promise<string[]> {
  const ended = engine.state.getMeta(META.finishedAt);
  if (ended) return [`the upgrade already ended at ${ended.slice(0, 16).replace('T', ' ')}: the tool's tables were dropped then; nothing to do`];
  const plan = await finishPlan(engine);
  if (plan.refusal) throw new CheckFailed(`finish refused: ${plan.refusal}`, 'finish the upgrade first (snf-upgrade status shows where it stands), then run snf-upgrade finish --yes');
  const last = engine.steps()[engine.steps().length - 1]!;
  await engine.holdLock(last.def.id);
  writeFileSync(plan.reportFile, reportMarkdown(buildReport(engine.state, await engine.deployment(), engine.config)), { mode: 0o600 });
  const lines = [`report written to ${plan.reportFile}`];
  for (const group of engine.databaseGroups()) {
    const tables = await inTransaction((await engine.db(group[0]!)).pool, async (client) => {
      const found = await toolTables(client);
      if (found.length) await client.query(`DROP TABLE ${found.map((t) => `"${t}"`).join(', ')}`);
      return found;
    });
    lines.push(`${group.join(' and ')}: ${tables.length ? `dropped ${tables.join(', ')}` : 'no tool table left'}`);
  }
  // The databases no longer record the upgrade: the state file says it ended, so nothing compares them.
  engine.state.setMeta(META.finishedAt, new Date().toISOString());
  return lines;
}
