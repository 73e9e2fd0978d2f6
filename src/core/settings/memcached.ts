// memcached as Django 1.2's CACHE_BACKEND names it, and whether this machine reaches it.
import { connect } from 'node:net';
import { pyString } from './values.js';

/** The addresses of a Django 1.2 CACHE_BACKEND memcached URL, or why it is not one. */
export function memcachedAddresses(backend: string): { host: string; port: number }[] | { error: string } {
  const scheme = 'memcached://';
  if (!backend.startsWith(scheme)) {
    const s = backend.indexOf('://');
    return { error: `uses ${s > 0 ? backend.slice(0, s + 3) : pyString(backend)}, not memcached://` };
  }
  let rest = backend.slice(scheme.length);
  for (const stop of ['/', '?']) {
    const i = rest.indexOf(stop);
    if (i >= 0) rest = rest.slice(0, i);
  }
  const out: { host: string; port: number }[] = [];
  for (const part of rest.split(';').map((p) => p.trim()).filter(Boolean)) {
    let host = part;
    let port = '11211';
    if (part.startsWith('[')) {
      const close = part.indexOf(']');
      if (close < 0) return { error: `bad address ${part}` };
      host = part.slice(1, close);
      if (part[close + 1] === ':') port = part.slice(close + 2);
    } else if (part.startsWith('unix:')) {
      return { error: `${part} is a unix socket; it must be reachable over TCP from every cyclades worker` };
    } else {
      const c = part.lastIndexOf(':');
      if (c >= 0) {
        host = part.slice(0, c);
        port = part.slice(c + 1);
      }
    }
    const p = Number(port);
    if (!host || !Number.isInteger(p) || p < 1 || p > 65535 || port.trim() !== port || port === '') {
      return { error: `bad address ${part}` };
    }
    out.push({ host, port: p });
  }
  if (!out.length) return { error: 'names no server' };
  return out;
}

/** Opens and closes a TCP connection to HOST:PORT. */
export function tcpReachable(host: string, port: number, timeoutMs: number): Promise<{ ok: true; ms: number } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ host, port });
    let done = false;
    const finish = (r: { ok: true; ms: number } | { ok: false; error: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => finish({ ok: true, ms: Date.now() - started }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ?? err.message }));
  });
}
