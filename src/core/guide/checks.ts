// The guide's actions that no data migration performs, checked where a copy of the host's
// files lets the tool look: the astakos web server's login RewriteRule (removed), the pithos
// quotaholder switch (on once the pithos names are uuids), the settings files the cyclades
// rewrite wrote beside the originals (installed), the cron line of the periodic project
// check. Without a copy an action is shown as an instruction and the operator's word counts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from '../../config.js';
import { loadSettingsDir, PyDict, SettingsError, formatPyValue } from '../settings/index.js';
import type { Check, StepContext, StepModule } from '../step.js';
import { shellWord } from '../../format.js';

/** The suffix of the files a settings rewrite writes beside the originals. */
export const NEW_SETTINGS_SUFFIX = '.snf-upgrade-new';

/** The redirection the guide's first action removes from the astakos front-end web server. */
export const LOGIN_REWRITE_RULE = 'RewriteRule ^/login(.*) /im/login/redirect$1 [PT,NE]';

/** The command cron must run on the astakos host (guide, step "Install periodic project maintainance checks"). */
export const PROJECT_CONTROL = 'snf-manage project-control --terminate-expired';

/** Every regular file under DIR (sub-folders included), sorted; symlinked folders are not followed. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** An Apache line's words, without a trailing comment; continuation lines are joined by the caller. */
const words = (line: string): string[] => line.trim().split(/\s+/).filter((w) => w !== '');

/** Whether an Apache directive line is the login RewriteRule (any case of the directive, any flags). */
export function isLoginRewrite(line: string): boolean {
  const w = words(line);
  if (w.length < 3 || w[0]!.toLowerCase() !== 'rewriterule' || w[0]!.startsWith('#')) return false;
  return w[1] === '^/login(.*)' && w[2]!.startsWith('/im/login/redirect');
}

/** Where the login RewriteRule is still active in the files under DIR: "file:line" each. */
export function loginRewrites(dir: string): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      const start = i;
      while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]!;
      if (line.trimStart().startsWith('#')) continue;
      if (isLoginRewrite(line)) found.push(`${file}:${start + 1}`);
    }
  }
  return found;
}

/** The guide's first action: the login RewriteRule removed from the astakos web server (checked when an apache copy is configured). */
export function rewriteRuleCheck(config: Config): Check {
  const label = `astakos web server: ${LOGIN_REWRITE_RULE} removed`;
  const dir = config.astakos.apache;
  if (!dir) {
    return { label, ok: true, advisory: true, detail: 'not checked (no astakos "apache" folder is configured): remove it from the astakos host\'s Apache configuration and reload apache2; your word counts' };
  }
  if (!existsSync(dir)) return { label, ok: false, detail: `the astakos apache folder ${dir} does not exist` };
  let found: string[];
  try {
    found = loginRewrites(dir);
  } catch (err) {
    return { label, ok: false, detail: `cannot read ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if (found.length) {
    return { label, ok: false, detail: `still there: ${found.join(', ')}; remove the line (0.13 serves /login itself), reload apache2 on the astakos host and update the copy` };
  }
  return { label, ok: true, detail: `not in any file under ${dir}` };
}

/** PITHOS_USE_QUOTAHOLDER in the pithos settings copies: True, or why not. Blocking only when BLOCKING. */
export function quotaholderOnCheck(config: Config, blocking: boolean): Check {
  const label = 'pithos: PITHOS_USE_QUOTAHOLDER = True';
  const soft = blocking ? {} : { advisory: true };
  const dir = config.pithos.settings;
  if (!dir) {
    return { label, ok: true, advisory: true, detail: 'not checked (no pithos settings folder is configured): set it to True in /etc/synnefo on the pithos host now that the pithos names are uuids' };
  }
  let a;
  try {
    a = loadSettingsDir(dir).settings.get('PITHOS_USE_QUOTAHOLDER');
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    return { label, ok: false, ...soft, detail: err.message };
  }
  const fix = 'the migration of the pithos names is over: set PITHOS_USE_QUOTAHOLDER = True in the pithos settings (and in the copy)';
  if (!a) return { label, ok: false, ...soft, detail: `not set in ${dir} (0.13 default False); ${fix}` };
  if (a.value === undefined) return { label, ok: false, ...soft, detail: `${basename(a.file)}:${a.line}: the tool cannot evaluate it (${a.unsupported}); write it as True` };
  const v = a.value;
  const on = !(v === null || v === false || v === 0n || v === 0 || v === '' || (Array.isArray(v) && !v.length) || (v instanceof PyDict && !v.size));
  return on
    ? { label, ok: true, detail: `${a.file}:${a.line}: ${formatPyValue(v)}` }
    : { label, ok: false, ...soft, detail: `${a.file}:${a.line}: ${formatPyValue(v)}; ${fix}` };
}

/**
 * One check per settings file a rewrite wrote beside its original (`X.snf-upgrade-new`):
 * installed when the original in the settings folder now has the same text; otherwise the
 * copy command, with this deployment's paths. Blocking only when BLOCKING.
 */
export function newSettingsChecks(config: Config, blocking: boolean): Check[] {
  const checks: Check[] = [];
  for (const host of ['astakos', 'cyclades', 'pithos'] as const) {
    const dir = config[host].settings;
    if (!dir || !existsSync(dir)) continue;
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(NEW_SETTINGS_SUFFIX)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const installed = name.slice(0, -NEW_SETTINGS_SUFFIX.length);
      const newer = join(dir, name);
      const original = join(dir, installed);
      const label = `${host}: ${installed} installed (as rewritten)`;
      const same = existsSync(original) && readFileSync(original, 'utf8') === readFileSync(newer, 'utf8');
      if (same) {
        checks.push({ label, ok: true, detail: `${original} matches ${name}` });
        continue;
      }
      checks.push({
        label, ok: false, ...(blocking ? {} : { advisory: true }),
        detail: `differs from ${name}: copy it over, then install it as /etc/synnefo/${installed} on the ${host} host`,
        command: `cd ${shellWord(dir)} && cp ${shellWord(name)} ${shellWord(installed)}`,
      });
    }
  }
  return checks;
}

/** A cron line (crontab or /etc/cron.d form) that runs the project check, not commented out. */
export function cronRuns(line: string): boolean {
  const t = line.trim();
  if (!t || t.startsWith('#')) return false;
  return t.includes(PROJECT_CONTROL) && (/^@\w+\s/.test(t) || t.split(/\s+/).length > 5);
}

/** Step "periodic project checks": the cron line in the configured crontab copy (a file or a folder). */
export function cronCheck(config: Config): Check {
  const label = `astakos: cron runs ${PROJECT_CONTROL}`;
  const path = config.astakos.cron;
  if (!path) {
    return { label, ok: true, advisory: true, detail: 'not checked (no astakos "cron" copy is configured): your word counts' };
  }
  if (!existsSync(path)) return { label, ok: false, detail: `the astakos cron copy ${path} does not exist` };
  const files = statSync(path).isDirectory() ? filesUnder(path) : [path];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex(cronRuns);
    if (at >= 0) return { label, ok: true, detail: `${file}:${at + 1}: ${lines[at]!.trim()}` };
  }
  return {
    label, ok: false,
    detail: `no active line in ${path} runs it: add e.g. "0 * * * * root ${PROJECT_CONTROL}" to /etc/cron.d/snf-project-control on the astakos host (and to the copy)`,
  };
}

/** MODULE with EXTRA's checks after its own (a module without verify gets EXTRA's). */
export function withChecks(module: StepModule | undefined, extra: (ctx: StepContext) => Check[] | Promise<Check[]>): StepModule {
  const base = module ?? {};
  return {
    ...base,
    async verify(ctx) {
      const own = base.verify ? await base.verify(ctx) : [];
      return [...own, ...await extra(ctx)];
    },
  };
}

/**
 * What the last step checks of its closing checklist: the rewritten settings installed (one line
 * when none waits), the quotaholder on, the RewriteRule gone; each blocking where it can be read.
 */
export function closingChecks(config: Config): Check[] {
  const installed = newSettingsChecks(config, true);
  if (!installed.length) {
    const label = 'the rewritten settings installed';
    installed.push((['astakos', 'cyclades', 'pithos'] as const).some((h) => config[h].settings)
      ? { label, ok: true, detail: `no rewritten file (*${NEW_SETTINGS_SUFFIX}) waits in the settings folders` }
      : { label, ok: true, advisory: true, detail: 'not checked (no settings folder is configured): install the files 6.3 rewrote on each host; your word counts' });
  }
  return [...installed, quotaholderOnCheck(config, true), rewriteRuleCheck(config)];
}
