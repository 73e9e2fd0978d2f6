// What `snf-upgrade --help`, `snf-upgrade help [COMMAND]` and `snf-upgrade COMMAND --help`
// print: an overview of one line per command, and a page per command with its options and an
// example. Every line fits 80 columns (test/unit/cli-help.test.ts).

interface CommandHelp {
  usage: string;
  /** One line for the overview. */
  summary: string;
  /** What it does, in lines. */
  about: string[];
  options?: [string, string][];
  examples: string[];
}

const CONFIG: [string, string] = ['--config FILE', 'the deployment (default ./snf-upgrade.json)'];
const STATE: [string, string] = ['--state FILE', 'the state file (default: the config\'s "state")'];
const JSON_OUT: [string, string] = ['--json', 'machine-readable output'];
const ANSWERS: [string, string] = ['--answers FILE', 'decisions given ahead, by step (README: answers)'];
const TAKE_OVER: [string, string] = ['--take-over', 'end a hung or vanished holder\'s sessions and go on'];

export const COMMANDS: Record<string, CommandHelp> = {
  wizard: {
    usage: 'snf-upgrade [--config FILE] [--state FILE] [--take-over] [--no-color]',
    summary: 'the interactive wizard (needs a terminal)',
    about: ['Walks every step with its confirmation screens; the same engine as the', 'headless commands. Exit 2 when no configuration is found.'],
    options: [CONFIG, STATE, TAKE_OVER, ['--no-color', 'no colour on any screen (as NO_COLOR=1)']],
    examples: ['snf-upgrade --config /etc/snf-upgrade.json'],
  },
  demo: {
    usage: 'snf-upgrade demo [--dir DIR] [--scale SCALE] [--layout separate|shared]',
    summary: 'the wizard on an embedded sandbox deployment (no server needed)',
    about: ['Builds a sandbox once under state/demo (or DIR) and opens the wizard on it;', 'later starts reuse it.'],
    options: [['--dir DIR', 'where the sandbox lives (default state/demo)'], ['--scale SCALE', 'tiny, small (default), medium, large or a user count'],
      ['--layout shared', 'astakos and cyclades in one database (snf_apps)']],
    examples: ['snf-upgrade demo', 'snf-upgrade demo --dir /tmp/try --scale tiny --layout shared'],
  },
  status: {
    usage: 'snf-upgrade status [--json]',
    summary: 'where the upgrade stands',
    about: ['Each step\'s state, the databases and their schema versions, who holds the', 'lock. Exit 1 when a database cannot be reached. Writes nothing.'],
    options: [CONFIG, STATE, JSON_OUT],
    examples: ['snf-upgrade status', 'snf-upgrade status --json | jq .current'],
  },
  plan: {
    usage: 'snf-upgrade plan [STEP] [--json]',
    summary: 'what a step found and would change (writes nothing)',
    about: ['The current step unless STEP is given. On a manual step: its commands per', 'host and its checks; on 3.3–3.6 the settings to paste, tokens hidden.'],
    options: [CONFIG, STATE, ANSWERS, ['--accept-suggestions', 'plan with every suggestion taken'], JSON_OUT],
    examples: ['snf-upgrade plan', 'snf-upgrade plan 6.3'],
  },
  snippets: {
    usage: 'snf-upgrade snippets [STEP] [--reveal | --write]',
    summary: 'the settings to paste on each host for 3.3–3.6',
    about: ['Makes the quotaholder token once. Tokens show as <hidden sha256:…>.'],
    options: [['--reveal', 'print the tokens (the only way a headless command shows one)'],
      ['--write', 'one file per host and settings file (0600) under settings/'], CONFIG, STATE],
    examples: ['snf-upgrade snippets 3.4', 'snf-upgrade snippets 3.5 --write'],
  },
  run: {
    usage: 'snf-upgrade run [STEP | --through STEP] [--answers FILE]',
    summary: 'run the next step, one step, or every step up to one',
    about: ['Stops at a manual step, at an open decision (exit 3) and at a failed', 'check (exit 4); a run interrupted is resumed by running it again.'],
    options: [['--through STEP', 'every step up to STEP'], ANSWERS, ['--accept-suggestions', 'take every suggestion not answered'],
      ['--yes', 'yes to every question that is not dangerous'], TAKE_OVER, CONFIG, STATE, JSON_OUT],
    examples: ['snf-upgrade run 2.1', 'snf-upgrade run --through 9.2 --answers answers.json'],
  },
  confirm: {
    usage: 'snf-upgrade confirm STEP',
    summary: 'mark a manual step done once its checks pass',
    about: ['Do the step on the hosts first (snf-upgrade plan STEP shows the commands).', 'Exit 4, naming each failing check, while one fails.'],
    options: [CONFIG, STATE, JSON_OUT],
    examples: ['snf-upgrade confirm 3.2'],
  },
  undo: {
    usage: 'snf-upgrade undo STEP',
    summary: 'undo a reversible step',
    about: ['Restores what the step changed from the before-images it kept.'],
    options: [CONFIG, STATE, JSON_OUT],
    examples: ['snf-upgrade undo 6.3'],
  },
  backup: {
    usage: 'snf-upgrade backup',
    summary: 'a fresh backup of every database',
    about: ['Checked (sha256) and recorded in the state file; restore can use it.'],
    options: [CONFIG, STATE, JSON_OUT],
    examples: ['snf-upgrade backup'],
  },
  recover: {
    usage: 'snf-upgrade recover [--yes]',
    summary: 'rebuild a lost or stale state file from the databases',
    about: ['Shows what it would write; --yes writes it, keeping the old file aside.'],
    options: [['--yes', 'write the rebuilt state file'], CONFIG, STATE],
    examples: ['snf-upgrade recover', 'snf-upgrade recover --yes'],
  },
  restore: {
    usage: 'snf-upgrade restore [SERVICE…] [--backup LABEL] [--print]',
    summary: 'put the databases back as a checked backup',
    about: ['Step 1\'s backup unless LABEL; every service unless named. Asks first', '(headless: {"restore": {"confirm": true}} in --answers); the state file', 'then follows the databases.'],
    options: [['--backup LABEL', '1 (step 1\'s, the default), phase2, phase3, phase6 or manual'], ['--print', 'print the pg_restore commands instead'],
      ANSWERS, CONFIG, STATE],
    examples: ['snf-upgrade restore --print', 'snf-upgrade restore pithos --backup phase6'],
  },
  report: {
    usage: 'snf-upgrade report [--format md|json]',
    summary: 'everything found, decided and changed',
    about: ['The change record: each step, its decisions and who made them.'],
    options: [['--format md|json', 'markdown (default) or JSON'], CONFIG, STATE],
    examples: ['snf-upgrade report > upgrade-report.md'],
  },
  verify: {
    usage: 'snf-upgrade verify [--json]',
    summary: 'check the deployment as a whole (writes nothing)',
    about: ['Owners, accounts, grants, statistics, holdings and schemas against what', 'the done steps promise. Exit 4 with one line per finding.'],
    options: [CONFIG, STATE, JSON_OUT],
    examples: ['snf-upgrade verify'],
  },
  finish: {
    usage: 'snf-upgrade finish [--yes]',
    summary: 'after step 11: write the report, drop the tool\'s tables',
    about: ['Writes the report beside the state file, then drops every snf_upgrade_', 'table from the databases; undo and recover can no longer work.'],
    options: [['--yes', 'do it (without: what it would do)'], CONFIG, STATE],
    examples: ['snf-upgrade finish --yes'],
  },
  sandbox: {
    usage: 'snf-upgrade sandbox create|drop|simulate|report ...',
    summary: 'test deployments (snf-upgrade sandbox --help)',
    about: ['Realistic 0.12.5 deployments to try the upgrade on; they touch only', 'databases they made.'],
    examples: ['snf-upgrade sandbox create --name try --pg postgres://127.0.0.1/postgres'],
  },
};

/** The overview: one line per command. */
export function overview(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${(name === 'wizard' ? '(no command)' : name).padEnd(13)}${c.summary}`);
  return ['usage: snf-upgrade [COMMAND] [options]', '', ...rows, '',
    'snf-upgrade help COMMAND (or COMMAND --help) shows its options and an example.',
    'Exit codes: 0 ok, 1 failed, 2 usage, 3 an answer is needed (--answers, --yes),', '4 a check failed (README: Exit codes).'].join('\n');
}

/** The page of COMMAND, or undefined when there is no such command. */
export function commandHelp(command: string): string | undefined {
  const c = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!c) return undefined;
  const width = Math.max(0, ...(c.options ?? []).map(([o]) => o.length)) + 2;
  return [`usage: ${c.usage}`, '', ...c.about.map((l) => `  ${l}`),
    ...(c.options?.length ? ['', 'options:', ...c.options.map(([o, what]) => `  ${o.padEnd(width)}${what}`)] : []),
    '', c.examples.length === 1 ? 'example:' : 'examples:', ...c.examples.map((e) => `  ${e}`)].join('\n');
}
