// Planner statistics for tables a step has just rewritten or filled. The steps after it (and
// its own later batches) look rows up by the new values; with the old statistics PostgreSQL
// plans sequential scans of the whole table for every chunk (autovacuum may be off, or too
// slow to notice a table that grew from nothing during one step).
import type pg from 'pg';

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** ANALYZE each of TABLES that exists; statistics only guide plans, so a refusal is not an error. */
export async function analyzeTables(pool: pg.Pool, tables: Iterable<string>): Promise<void> {
  for (const table of new Set(tables)) {
    try {
      await pool.query(`ANALYZE ${quoteIdent(table)}`);
    } catch { /* gone (a work table the step dropped) or not ours to analyze: plans stay as they were */ }
  }
}

/** Whether the Nth batch of a step is one after which its growing tables get fresh statistics (1, 4, 16, …). */
export const analyzeAfterBatch = (n: number): boolean => n > 0 && (n & (n - 1)) === 0 && Math.log2(n) % 2 === 0;
