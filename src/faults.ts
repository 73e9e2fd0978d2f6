// Named points where tests can interfere with a run to prove it is safe:
// SNF_UPGRADE_FAULT="point[#n]:ACTION,…" acts on the n-th time the point is reached
// (default the first). ACTION is `kill` (SIGKILL, as `kill -9` would) or `pause`: write the
// file named by SNF_UPGRADE_FAULT_MARKER and wait, with the event loop running, until it is
// removed (or SNF_UPGRADE_FAULT_TIMEOUT seconds, default 120, pass), so that a test can cut
// connections, take locks or start a second runner at that exact moment. Inert unless set.
import { existsSync, writeFileSync } from 'node:fs';

const hits = new Map<string, number>();

export async function faultPoint(name: string): Promise<void> {
  const spec = process.env.SNF_UPGRADE_FAULT;
  if (!spec) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  for (const part of spec.split(',')) {
    const m = /^([\w:.-]+?)(?:#(\d+))?:(kill|pause)$/.exec(part.trim());
    if (!m || m[1] !== name || Number(m[2] ?? 1) !== count) continue;
    if (m[3] === 'kill') process.kill(process.pid, 'SIGKILL');
    else await pause(name);
  }
}

async function pause(name: string): Promise<void> {
  const marker = process.env.SNF_UPGRADE_FAULT_MARKER;
  if (!marker) throw new Error(`fault ${name}:pause needs SNF_UPGRADE_FAULT_MARKER`);
  writeFileSync(marker, `${process.pid}\n${name}\n`);
  const until = Date.now() + 1000 * Number(process.env.SNF_UPGRADE_FAULT_TIMEOUT ?? 120);
  while (existsSync(marker) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}
