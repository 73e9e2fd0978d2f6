// The pgpass module (a dependency of pg) ships no types.
declare module 'pgpass' {
  interface PgpassKey { host?: string | null; port?: number | string | null; database?: string | null; user?: string | null }
  function pgpass(key: PgpassKey, callback: (password: string | undefined) => void): void;
  export default pgpass;
}
