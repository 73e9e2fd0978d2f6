// Canceling what the tool's sessions are running (a second Ctrl-C while a statement waits on
// a hung server or a lock that never comes). The cancel travels as PostgreSQL's own cancel
// request on a fresh socket, with each session's secret key: it needs no free connection, no
// login and no privilege, and works on every server version.
import { connect as tcpConnect, type Socket } from 'node:net';
import type pg from 'pg';

/** The backend identity a pg client received at login. */
interface Backend { processID: number | null; secretKey?: number; host?: string; port?: number }

const checkedOut = new WeakMap<pg.Pool, Set<pg.PoolClient>>();

/** Keeps track of POOL's clients that are in use, so that cancelRunning can reach them. */
export function trackCheckedOut(pool: pg.Pool): void {
  const inUse = new Set<pg.PoolClient>();
  checkedOut.set(pool, inUse);
  pool.on('acquire', (client) => inUse.add(client));
  pool.on('release', (_err: Error | undefined, client: pg.PoolClient) => inUse.delete(client));
  pool.on('remove', (client) => inUse.delete(client as pg.PoolClient));
}

function sendCancel(backend: Backend): Promise<boolean> {
  const { processID, secretKey, port } = backend;
  if (!processID || secretKey === undefined || !port) return Promise.resolve(false);
  return new Promise((resolve) => {
    const host = backend.host || 'localhost';
    const socket: Socket = host.startsWith('/') ? tcpConnect(`${host}/.s.PGSQL.${port}`) : tcpConnect(port, host);
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(5000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      const msg = Buffer.alloc(16);
      msg.writeInt32BE(16, 0);
      msg.writeInt32BE(80877102, 4); // CancelRequest
      msg.writeInt32BE(processID, 8);
      msg.writeInt32BE(secretKey, 12);
      socket.end(msg);
    });
    socket.on('close', () => done(true));
  });
}

/**
 * Asks the server to cancel whatever POOL's checked-out sessions are running (an idle one
 * ignores it); their statements fail with "canceling statement due to user request" and
 * their transactions roll back. Returns how many sessions were asked.
 */
export async function cancelRunning(pool: pg.Pool): Promise<number> {
  const clients = [...(checkedOut.get(pool) ?? [])];
  const sent = await Promise.all(clients.map((c) => sendCancel(c as unknown as Backend)));
  return sent.filter(Boolean).length;
}
