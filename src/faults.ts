// Named points where tests can kill the process (SIGKILL, as `kill -9` would) to prove that
// a crash there is safe: SNF_UPGRADE_FAULT="point[#n]:kill,…" kills on the n-th time the
// point is reached (default the first). Inert unless the variable is set.
const hits = new Map<string, number>();

export function faultPoint(name: string): void {
  const spec = process.env.SNF_UPGRADE_FAULT;
  if (!spec) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  for (const part of spec.split(',')) {
    const m = /^([\w:.-]+?)(?:#(\d+))?:kill$/.exec(part.trim());
    if (m && m[1] === name && Number(m[2] ?? 1) === count) process.kill(process.pid, 'SIGKILL');
  }
}
