// JSON for the state file's JSON columns. bigint values (quota limits reach 10^32) are
// written as decimal strings, so they survive the round trip exactly; read them back
// with BigInt(value).

/** JSON text of VALUE; bigints become decimal strings, undefined becomes null. */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text ?? 'null';
}

/** Parses JSON written by toJson. bigints come back as decimal strings. */
export function fromJson<T = unknown>(text: string): T {
  return JSON.parse(text) as T;
}

/** fromJson for nullable columns. */
export function fromJsonOrNull<T = unknown>(text: string | null): T | null {
  return text === null ? null : fromJson<T>(text);
}
