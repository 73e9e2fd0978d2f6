// Case folding exactly as 0.13 applies it, and the SQL that reproduces it for ASCII.
//
// 0.13 makes emails case-insensitive through auth_user.username = lower(email), lowered
// by Python 2 `unicode.lower()` (migration 0016 step D, AstakosUser.save()). Migration 0016
// step C and the 0.13 logins compare with Django iexact, i.e. PostgreSQL UPPER() on both
// sides, in the database's own locale. For ASCII the two agree and PostgreSQL can do the
// work; for non-ASCII text PostgreSQL lower() depends on the database's LC_CTYPE (with
// LC_CTYPE=C it only folds A–Z), so non-ASCII emails are folded here instead
// (reference astakos.md §2.4, pithos.md §3.3/§8).

/** A–Z, for translate(): locale-independent ASCII lowercasing in SQL. */
export const ASCII_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const ASCII_LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** SQL of the ASCII fold of EXPR (exactly Python's lower() when EXPR is ASCII), in any locale. */
export const sqlFold = (expr: string): string => `translate(${expr}, '${ASCII_UPPER}', '${ASCII_LOWER}')`;

/** Builds the SQL that folds an ASCII-only text expression. */
export type Folder = (expr: string) => string;

/**
 * The fastest exact ASCII fold this database offers: lower() (several times faster than
 * translate() on 100k rows) when the database's default collation lowers A–Z to a–z and
 * nothing else changes (every locale but the Turkic ones, where lower('I') is 'ı'), else
 * translate(). Only ever applied to ASCII-only values.
 */
export async function asciiFolder(q: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> }): Promise<Folder> {
  const r = await q.query(`SELECT lower($1::varchar) = $2::varchar AS same`, [ASCII_UPPER + ASCII_LOWER, ASCII_LOWER + ASCII_LOWER]);
  return r.rows[0]?.same === true ? (expr) => `lower(${expr})` : sqlFold;
}

/**
 * A POSIX regex (passed as a query parameter, so no quoting issues) that matches text with
 * any character outside U+0001–U+007F. Works in every server encoding, PostgreSQL 8.4+.
 */
export const NON_ASCII_PATTERN = '[^\\x01-\\x7f]';

/** Union-find over numbers or strings, for grouping by several equality relations at once. */
export class UnionFind<T> {
  private readonly parent = new Map<T, T>();

  add(x: T): void {
    if (!this.parent.has(x)) this.parent.set(x, x);
  }

  find(x: T): T {
    this.add(x);
    let root = x;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    let cur = x;
    while (cur !== root) {
      const next = this.parent.get(cur)!;
      this.parent.set(cur, root);
      cur = next;
    }
    return root;
  }

  union(a: T, b: T): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }

  /** Every set with at least MIN members. */
  groups(min = 2): T[][] {
    const by = new Map<T, T[]>();
    for (const x of this.parent.keys()) {
      const r = this.find(x);
      const list = by.get(r) ?? [];
      list.push(x);
      by.set(r, list);
    }
    return [...by.values()].filter((g) => g.length >= min);
  }
}

/** UTF-16 code-unit order: deterministic and independent of any locale. */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
