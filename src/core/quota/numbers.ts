// Quota numbers. Limits live in numeric(38,0) columns and reach 10^32 (the quotaholder's
// "practically infinite"), far past 2^53: they travel as bigint in TypeScript and as decimal
// strings to and from PostgreSQL (pg returns numeric as strings), never as JS numbers.

/** QH_PRACTICALLY_INFINITE: the quotaholder's "unlimited" (astakos.md §0.2). */
export const QH_INF = 10n ** 32n;
/** The import/export limits the 0.13 export commands write into their files (10^30). */
export const FILE_LIMIT = 10n ** 30n;
/** The largest value numeric(38,0) holds. */
export const NUMERIC_MAX = 10n ** 38n - 1n;

export const GiB = 1024n ** 3n;
export const MiB = 1024n ** 2n;

/**
 * Python 2 long() of a string, as user-set-initial-quota applies it to fields 3–6 of a line:
 * surrounding whitespace, an optional sign and decimal digits. Anything else is undefined.
 */
export function parseLong(text: string): bigint | undefined {
  const m = /^[ \t\n\r\f\v]*([+-]?)([0-9]+)[ \t\n\r\f\v]*$/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

/** A numeric/bigint value from pg (a decimal string), or 0 for NULL. */
export function big(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`unsafe integer ${v} from the database`);
    return BigInt(v);
  }
  const s = String(v);
  if (!/^-?[0-9]+$/.test(s)) throw new Error(`not an integer from the database: ${s}`);
  return BigInt(s);
}

export const maxOf = (a: bigint, b: bigint): bigint => (a >= b ? a : b);

const BYTE_RESOURCES = new Set(['disk', 'ram', 'diskspace']);

/** Whether a resource (full name or short name) is counted in bytes. */
export function isBytes(resource: string): boolean {
  const short = resource.slice(resource.indexOf('.') + 1);
  return BYTE_RESOURCES.has(short);
}

/** A limit for the operator: "unlimited" at or above 10^32, "5 GiB (5368709120)" for byte resources. */
export function fmtLimit(resource: string, v: bigint): string {
  if (v >= QH_INF) return 'unlimited';
  if (!isBytes(resource) || v === 0n) return v.toString();
  if (v % GiB === 0n) return `${v / GiB} GiB`;
  if (v % MiB === 0n) return `${v / MiB} MiB`;
  return `${v} bytes`;
}

/** A usage as the operator reads it: exact where a unit divides it, else about so many GiB / MiB / KiB, the exact bytes after. */
export function fmtUsage(resource: string, v: bigint): string {
  const exact = fmtLimit(resource, v);
  if (!exact.endsWith(' bytes')) return exact;
  for (const [unit, name] of [[GiB, 'GiB'], [MiB, 'MiB'], [1024n, 'KiB']] as const) {
    if (v >= unit) return `${(Number((v * 10n) / unit) / 10).toFixed(1)} ${name} (${v} bytes)`;
  }
  return exact;
}
