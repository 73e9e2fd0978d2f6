// The file format of `snf-manage user-set-initial-quota --from-file` (astakos.md §5.2): one
// record per line, split on single spaces into exactly six fields
//   <uuid> <service>.<resource> <capacity> <quantity> <import_limit> <export_limit>
// with fields 3–6 read by Python's long(). The 0.13 producers (pithos-export-quota,
// cyclades-export-quota) write quantity 0 and both limits 10^30.
import { FILE_LIMIT, NUMERIC_MAX, parseLong, QH_INF } from './numbers.js';

export interface QuotaRecord {
  uuid: string;
  resource: string;
  capacity: bigint;
  quantity: bigint;
  importLimit: bigint;
  exportLimit: bigint;
}

/** One line of the file as the producers write it (with its `\n`). */
export function formatQuotaLine(uuid: string, resource: string, capacity: bigint, quantity = 0n, importLimit = FILE_LIMIT, exportLimit = FILE_LIMIT): string {
  return `${uuid} ${resource} ${capacity} ${quantity} ${importLimit} ${exportLimit}\n`;
}

export type ParsedLine =
  | { ok: true; record: QuotaRecord }
  | { ok: false; reason: string };

const FIELD_NAMES = ['capacity', 'quantity', 'import limit', 'export limit'] as const;

/**
 * A line (without its `\n`) as user-set-initial-quota reads it: the shape and the numbers,
 * plus the checks upstream lacks (values that are negative, or past 10^32, would make every
 * later astakos-quota --sync fail — reference §11). Users and resources are checked by the caller.
 */
export function parseQuotaLine(line: string): ParsedLine {
  const fields = line.split(' ');
  if (fields.length !== 6) {
    return { ok: false, reason: `not 6 fields separated by single spaces (found ${fields.length}): upstream says "Invalid line format"` };
  }
  const [uuid, resource, ...nums] = fields as [string, string, string, string, string, string];
  if (!uuid) return { ok: false, reason: 'empty user field' };
  const values: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    const v = parseLong(nums[i]!);
    if (v === undefined) return { ok: false, reason: `${FIELD_NAMES[i]} ${JSON.stringify(nums[i])} is not a whole decimal number` };
    if (v < 0n) return { ok: false, reason: `negative ${FIELD_NAMES[i]} ${v} (upstream stores it, and then astakos-quota --sync fails for every user)` };
    if (v > NUMERIC_MAX) return { ok: false, reason: `${FIELD_NAMES[i]} ${v} does not fit numeric(38,0)` };
    if (v > QH_INF) return { ok: false, reason: `${FIELD_NAMES[i]} ${v} is above 10^32, the quotaholder's "unlimited" (sums with project grants could overflow)` };
    values.push(v);
  }
  const [capacity, quantity, importLimit, exportLimit] = values as [bigint, bigint, bigint, bigint];
  return { ok: true, record: { uuid, resource, capacity, quantity, importLimit, exportLimit } };
}

/** Splits a file's text into lines the way the command does (each line's trailing `\n` stripped). */
export function fileLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
