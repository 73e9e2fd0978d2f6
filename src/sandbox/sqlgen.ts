// Helpers for the set-based data generator: deterministic pseudo-randomness in SQL and
// SQL literal builders. Every random draw is a hash of (seed, stream, key), where the
// stream names the purpose ("vm.state") and the key is a row's number, so the same
// (scale, seed) always gives the same rows, whatever the order of evaluation.

/** Reference time of the sandbox: the day the 0.12.5 deployment is being upgraded. */
export const NOW = '2013-03-01 09:00:00+00';
/** Earliest sign-up: two years before NOW. */
export const EPOCH = '2011-03-01 00:00:00+00';

/** A stable 31-bit number for a stream name (FNV-1a). */
export function streamId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

/** SQL string literal. */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** SQL text[] literal. */
export function arr(xs: readonly string[]): string {
  return `ARRAY[${xs.map(lit).join(',')}]::text[]`;
}

/** Uniform float in [0, 1) for (stream, key). key is an SQL bigint expression. */
export function u(stream: string, key: string): string {
  return `pg_temp.sbx_u(${streamId(stream)}, (${key})::bigint)`;
}

/** Non-negative 31-bit integer for (stream, key). */
export function h(stream: string, key: string): string {
  return `pg_temp.sbx_h(${streamId(stream)}, (${key})::bigint)`;
}

/** Integer in [lo, hi] for (stream, key). */
export function between(stream: string, key: string, lo: number, hi: number): string {
  return `(${lo} + ${h(stream, key)} % ${hi - lo + 1})`;
}

/** One element of xs chosen by (stream, key). */
export function pick(xs: readonly string[], stream: string, key: string): string {
  return `(${arr(xs)})[1 + ${h(stream, key)} % ${xs.length}]`;
}

/** LEN lowercase hex digits (LEN ≤ 64) for (stream, key). */
export function hex(stream: string, key: string, len = 32): string {
  return `pg_temp.sbx_hex(${streamId(stream)}, (${key})::bigint, ${len})`;
}

/** A version-4 looking uuid (lowercase, hyphenated) for (stream, key). */
export function uuid(stream: string, key: string): string {
  return `pg_temp.sbx_uuid(${streamId(stream)}, (${key})::bigint)`;
}

/** A timestamp between two SQL timestamptz expressions (fraction from (stream, key)). */
export function tsBetween(stream: string, key: string, from: string, to: string): string {
  return `((${from}) + ${u(stream, key)} * ((${to}) - (${from})))`;
}

/**
 * Case mapping in generated SQL goes through sbx_lc/sbx_uc/sbx_ic: ASCII-only, as in the C
 * databases the install guide creates, whatever the engine's own LC_CTYPE (PGlite has
 * C.UTF-8), so that a seed gives the same rows everywhere.
 *
 * Session-local functions behind the helpers above (pg_temp: they vanish with the
 * connection and never show up in the catalog). hashint8extended is PostgreSQL 11+: older
 * servers (HASH_EXTENDED false) hash with md5 instead, as deterministic but other rows.
 */
export function helperFunctionsSql(seed: number, hashExtended = true): string {
  const s = BigInt(seed) * 2147483648n; // seed in the high bits, stream in the low 31
  const hash64 = hashExtended ? `hashint8extended(k, ${s} + stream)`
    : `('x' || substr(md5('${seed}:hash:' || stream::text || ':' || k::text), 1, 16))::bit(64)::bigint`;
  // Every body is a single expression of immutable functions with explicit casts, so the
  // planner inlines it (a non-inlined SQL function call costs several microseconds a row).
  return `
CREATE OR REPLACE FUNCTION pg_temp.sbx_h(stream integer, k bigint) RETURNS bigint
  LANGUAGE sql IMMUTABLE AS $$ SELECT ${hash64} & 2147483647 $$;
CREATE OR REPLACE FUNCTION pg_temp.sbx_u(stream integer, k bigint) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS $$ SELECT (${hash64} & 9007199254740991)::double precision / 9007199254740992.0 $$;
CREATE OR REPLACE FUNCTION pg_temp.sbx_hex(stream integer, k bigint, len integer) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN len <= 32 THEN substr(md5('${seed}:' || stream::text || ':' || k::text), 1, len)
                ELSE substr(md5('${seed}:' || stream::text || ':' || k::text) || md5(k::text || ':' || stream::text || ':${seed}'), 1, len) END $$;
CREATE OR REPLACE FUNCTION pg_temp.sbx_lc(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(s COLLATE "C") $$;
CREATE OR REPLACE FUNCTION pg_temp.sbx_uc(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(s COLLATE "C") $$;
CREATE OR REPLACE FUNCTION pg_temp.sbx_ic(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT initcap(s COLLATE "C") $$;
CREATE OR REPLACE FUNCTION pg_temp.sbx_uuid(stream integer, k bigint) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
    SELECT (overlay(overlay(md5('${seed}:uuid:' || stream::text || ':' || k::text) placing '4' from 13 for 1)
                    placing substr('89ab', 1 + (${hash64} & 3)::integer, 1) from 17 for 1))::uuid::text $$;
`;
}

/** Epoch seconds (numeric with 6 decimals, as pithos stores mtime) of a timestamptz expression. */
export function epoch(ts: string): string {
  return `round(extract(epoch from (${ts}))::numeric, 6)`;
}
