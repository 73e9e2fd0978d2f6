// A stand-in PostgreSQL server that asks every client for a cleartext password, records it
// and lets the client in: enough to see which password a client sends, with no real server.
import { createServer, type Server, type Socket } from 'node:net';

export interface PasswordServer {
  /** The passwords clients sent, in order. */
  passwords: string[];
  close(): Promise<void>;
}

const message = (type: string, body: Buffer): Buffer => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const int32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };

function serve(socket: Socket, passwords: string[]): void {
  let data = Buffer.alloc(0);
  let started = false;
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    data = Buffer.concat([data, chunk]);
    for (;;) {
      if (!started) {
        if (data.length < 4 || data.length < data.readInt32BE(0)) return;
        data = data.subarray(data.readInt32BE(0));
        started = true;
        socket.write(message('R', int32(3))); // AuthenticationCleartextPassword
        continue;
      }
      if (data.length < 5 || data.length < 1 + data.readInt32BE(1)) return;
      const type = String.fromCharCode(data[0]!);
      const body = data.subarray(5, 1 + data.readInt32BE(1));
      data = data.subarray(1 + data.readInt32BE(1));
      if (type === 'p') {
        passwords.push(body.subarray(0, body.indexOf(0)).toString('utf8'));
        socket.write(Buffer.concat([message('R', int32(0)), message('Z', Buffer.from('I'))]));
      } else if (type === 'X') {
        socket.end();
      }
    }
  });
}

/** Listens on PATH (a unix socket file) or on a loopback port (PATH undefined); resolves with the port. */
export async function startPasswordServer(path?: string): Promise<PasswordServer & { port: number }> {
  const passwords: string[] = [];
  const server: Server = createServer((s) => serve(s, passwords));
  await new Promise<void>((resolve) => (path ? server.listen(path, resolve) : server.listen(0, '127.0.0.1', resolve)));
  const address = server.address();
  return {
    passwords,
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
