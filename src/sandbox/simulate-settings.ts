// Steps 3.3–3.6 performed on a sandbox: the settings snippets the wizard shows the operator,
// appended to the sandbox's settings folders (a later assignment wins, as in Python).
import { appendFileSync, copyFileSync, existsSync, readdirSync } from 'node:fs';
import { loadSettingsDir } from '../core/settings/index.js';
import { NEW_SETTINGS_SUFFIX } from '../core/guide/checks.js';
import { basename, join } from 'node:path';
import { openDb, type Service } from '../db/connection.js';
import { EXIT, UserError } from '../errors.js';
import { deploymentSnippets } from '../runbook/settings.js';

export type SettingsStep = '3.3' | '3.4' | '3.5' | '3.6';

export async function simulateSettingsStep(step: SettingsStep, urls: Record<Service, string>,
  dirs: Partial<Record<Service, string>>, log: (line: string) => void): Promise<string[]> {
  for (const s of ['astakos', 'cyclades', 'pithos'] as const) {
    if (!dirs[s] || !existsSync(dirs[s]!)) {
      throw new UserError(`the sandbox has no ${s} settings folder`, 'use the config file written by "sandbox create"', EXIT.usage);
    }
  }
  // The same snippets (and the same stored quotaholder token) the wizard shows for the step.
  // The sandbox runs no memcached: VMAPI points at the embedded database's host, where the
  // reachability check says what it can and cannot see.
  const db = await openDb('astakos', urls.astakos);
  let snippets;
  try {
    ({ snippets } = await deploymentSnippets(step, db.pool, dirs));
  } finally {
    await db.close();
  }
  const done: string[] = [];
  for (const snippet of snippets) {
    const file = join(dirs[snippet.host as Service]!, basename(snippet.file));
    appendFileSync(file, `\n# added for step ${step} (snf-upgrade sandbox simulate)\n${snippet.lines.join('\n')}\n`, { mode: 0o600 });
    const line = `${snippet.host}: ${snippet.lines.filter((l) => l && !l.startsWith('#')).length} setting(s) written to ${basename(file)}`;
    done.push(line);
    log(line);
  }
  return done;
}

/**
 * The last step performed on a sandbox's settings copies: every file a rewrite wrote beside its
 * original is installed over it, and PITHOS_USE_QUOTAHOLDER = True is appended where it is set.
 */
export function simulateClosing(dirs: Partial<Record<Service, string>>, log: (line: string) => void): string[] {
  const done: string[] = [];
  const say = (line: string): void => { done.push(line); log(line); };
  for (const s of ['astakos', 'cyclades', 'pithos'] as const) {
    const dir = dirs[s];
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => n.endsWith(NEW_SETTINGS_SUFFIX)).sort()) {
      const installed = name.slice(0, -NEW_SETTINGS_SUFFIX.length);
      copyFileSync(join(dir, name), join(dir, installed));
      say(`${s}: ${installed} installed from ${name}`);
    }
  }
  const pithos = dirs.pithos;
  if (pithos && existsSync(pithos)) {
    const at = loadSettingsDir(pithos).settings.get('PITHOS_USE_QUOTAHOLDER');
    const file = at?.file ?? join(pithos, '20-snf-pithos-app-settings.conf');
    appendFileSync(file, '\n# set after the pithos migration (snf-upgrade sandbox simulate)\nPITHOS_USE_QUOTAHOLDER = True\n', { mode: 0o600 });
    say(`pithos: PITHOS_USE_QUOTAHOLDER = True written to ${basename(file)}`);
  }
  return done;
}
