// The password of a connection from ~/.pgpass (or PGPASSFILE), read with the pgpass module
// that pg itself uses, as libpq does: a unix-socket connection also matches "localhost" lines.
import pgpass from 'pgpass';

export interface PgpassKey {
  host?: string | null;
  port?: number | string | null;
  database?: string | null;
  user?: string | null;
}

const lookup = (key: PgpassKey): Promise<string | undefined> =>
  new Promise((resolve) => pgpass(key, resolve));

/** KEY's password from the password file, or undefined (no file, no line, or a file open to others). */
export async function passwordFromPgpass(key: PgpassKey): Promise<string | undefined> {
  const exact = await lookup({ host: key.host, port: key.port, database: key.database, user: key.user });
  if (exact !== undefined || !key.host?.startsWith('/')) return exact;
  return lookup({ host: 'localhost', port: key.port, database: key.database, user: key.user });
}
