import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  formatPyValue, isTuple, loadSettingsDir, parseSettings, PyDict, PySet, quotaSettings, readAstakosServices,
  rewriteDictKeys, SettingsError, unifiedDiff, userLimitEntries, writeBeside, type PyValue,
} from '../src/core/settings/index.js';
import { UserError } from '../src/errors.js';
import { openDb } from '../src/db/connection.js';
import { cleanupAll, emptyDatabases } from './support.js';
import { checkSettings, deploymentSnippets, settingsSnippets } from '../src/runbook/settings.js';
import { servicesChecks } from '../src/core/settings/checks.js';
import { memcachedAddresses } from '../src/core/settings/memcached.js';
import { snippetOptionsFrom } from '../src/core/settings/snippets.js';
import { quotaholderToken } from '../src/db/tokens.js';
import { fingerprint, generateToken } from '../src/secrets.js';
import type { Check } from '../src/core/step.js';

const root = mkdtempSync(join(tmpdir(), 'snf-settings-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function folder(files: Record<string, string>): string {
  const dir = join(root, `d${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

// The guide's step 5 block, verbatim (commented-out keys and all).
const GUIDE_SERVICES = `# Set the cloud service properties
ASTAKOS_SERVICES = {
    'cyclades': {
#        # Specifying the key 'url' will overwrite it.
#        # Use this to (re)set service URL.
#        'url': 'https://cyclades.example.synnefo.org/ui/',
#        # order services in listings, cloudbar, etc.
#        'order' : 1
        'resources': [{
            'name': 'disk',
            'group': 'compute',
            'uplimit': 30*1024*1024*1024,
            'unit': 'bytes',
            'desc': 'Virtual machine disk size'
            }, {
            'name': 'cpu',
            'group': 'compute',
            'uplimit': 6,
            'desc': 'Number of virtual machine processors'
            }, {
            'name': 'ram',
            'group': 'compute',
            'uplimit': 6*1024*1024*1024,
            'unit': 'bytes',
            'desc': 'Virtual machines'
            }, {
            'name': 'vm',
            'group': 'compute',
            'uplimit': 2,
            'desc': 'Number of virtual machines'
            }, {
            'name': 'network.private',
            'group': 'network',
            'uplimit': 1,
            'desc': 'Private networks'
            }
        ]
    },
    'pithos+': {
#        # Use this to (re)set service URL.
#        'url': 'https://pithos.example.synnefo.org/ui/',
#        # order services in listings, cloudbar, etc.
#        'order' : 2
        'resources':[{
            'name': 'diskspace',
            'group': 'storage',
            'uplimit': 5*1024*1024*1024,
            'unit': 'bytes',
            'desc': 'Pithos account diskspace'
            }]
    }
}
`;

const CYCLADES_API = `# -*- coding: utf-8 -*-
## Cyclades API settings
#
# Maximum number of VMs a user can create
MAX_VMS_PER_USER = 3

# Per-user overrides (0.12: exact, case-sensitive astakos email)
VMS_USER_QUOTA = {
    # the image builders
    'Builder@Example.org': 10,   # ticket 4211
    "builder@example.org": 12,
    'BUILDER@EXAMPLE.ORG': 5,
    u'alice@example.org': 7,
    'bob@example.org': 2, 'Carol@Example.org': 4,
    'ghost@example.org': 9
}
MAX_NETWORKS_PER_USER = 5
NETWORKS_USER_QUOTA = {'alice@example.org': 10, 'Alice@Example.org': 20}
BACKEND_PER_USER = {'bob@example.org': 2}
UI_SYSTEM_IMAGES_OWNERS = {'images@example.org': 'system'}
HUGE = 100000000000000000000000000000000
POWER = 10**32
SHIFTED = 1 << 30
DESCRIPTION = """A multi-line
string with 'quotes'"""
`;

describe('parseSettings', () => {
  it('evaluates literals exactly (bigint, strings, containers) with ranges', () => {
    const f = parseSettings(CYCLADES_API, '/etc/synnefo/20-snf-cyclades-app-api.conf');
    const v = (name: string): PyValue | undefined => f.settings.get(name)?.value;
    assert.equal(v('MAX_VMS_PER_USER'), 3n);
    assert.equal(v('HUGE'), 10n ** 32n);
    assert.equal(v('POWER'), 10n ** 32n);
    assert.equal(v('SHIFTED'), 1073741824n);
    assert.equal(v('DESCRIPTION'), "A multi-line\nstring with 'quotes'");
    const q = v('VMS_USER_QUOTA');
    assert.ok(q instanceof PyDict);
    assert.equal(q.entries.length, 7);
    assert.deepEqual(q.entries.map((e) => e.key), [
      'Builder@Example.org', 'builder@example.org', 'BUILDER@EXAMPLE.ORG', 'alice@example.org',
      'bob@example.org', 'Carol@Example.org', 'ghost@example.org']);
    assert.equal(q.get('Builder@Example.org'), 10n);
    const e = q.entries[1]!;
    assert.equal(CYCLADES_API.slice(e.keyRange.from, e.keyRange.to), '"builder@example.org"');
    assert.equal(CYCLADES_API.slice(e.valueRange.from, e.valueRange.to), '12');
    assert.equal(e.line, 11);
    const a = f.settings.get('VMS_USER_QUOTA')!;
    assert.equal(a.line, 8);
    assert.equal(a.file, '/etc/synnefo/20-snf-cyclades-app-api.conf');
    assert.ok(CYCLADES_API.slice(a.valueRange!.from, a.valueRange!.to).startsWith('{\n    # the image builders'));
    assert.ok(a.dictLiteral);
  });

  it('reads the guide\'s ASTAKOS_SERVICES block verbatim', () => {
    const f = parseSettings(GUIDE_SERVICES, 'astakos.conf');
    const { services, problems } = readAstakosServices(f.settings.get('ASTAKOS_SERVICES')!.value!);
    assert.deepEqual(problems, []);
    assert.deepEqual(services.map((s) => s.name), ['cyclades', 'pithos+']);
    assert.deepEqual(services.flatMap((s) => s.resources.map((r) => `${r.fullName}=${r.uplimit}`)), [
      'cyclades.disk=32212254720', 'cyclades.cpu=6', 'cyclades.ram=6442450944', 'cyclades.vm=2',
      'cyclades.network.private=1', 'pithos+.diskspace=5368709120']);
    assert.equal(services[0]!.url, undefined);
  });

  it('knows Python 2: long suffix, old octal, integer division, u/ur/b prefixes, escapes', () => {
    const f = parseSettings([
      'A = 10L', 'B = {\'x\': 100000000000000000000000000000000L, \'y\': 0x1FL}', 'C = 0755', 'D = 7/2', 'E = -7/2',
      "F = u'caf\\xe9 \\u00e9'", "G = 'no \\u00e9 in str'", "H = ur'raw\\n\\u00e9'", "I = r'C:\\new'", "J = b'bytes'",
      "K = 'a' 'b' \"c\"", 'L = (1,)', 'M = [1, 2]', 'N = {1, 2}', 'O = ()', 'P = (1)', 'Q = None', 'R = True',
      'S = 1.5e3', 'T = -(2**10)', 'U = ~0', "V = {'k': (1, 'two', [None])}", 'W = set()', 'X = 10 % 3', 'Y = 2**-1',
    ].join('\n'), 'py2.conf');
    const v = (name: string): PyValue | undefined => f.settings.get(name)?.value;
    assert.equal(v('A'), 10n);
    assert.equal((v('B') as PyDict).get('x'), 10n ** 32n);
    assert.equal((v('B') as PyDict).get('y'), 31n);
    assert.equal(v('C'), 493n);
    assert.equal(v('D'), 3n);
    assert.equal(v('E'), -4n);
    assert.equal(v('F'), 'café é');
    assert.equal(v('G'), 'no \\u00e9 in str');
    assert.equal(v('H'), 'raw\\né');
    assert.equal(v('I'), 'C:\\new');
    assert.equal(v('J'), 'bytes');
    assert.equal(v('K'), 'abc');
    assert.ok(isTuple(v('L')));
    assert.deepEqual(v('L'), [1n]);
    assert.ok(!isTuple(v('M')));
    assert.ok(v('N') instanceof PySet);
    assert.deepEqual(v('O'), []);
    assert.equal(v('P'), 1n);
    assert.equal(v('Q'), null);
    assert.equal(v('R'), true);
    assert.equal(v('S'), 1500);
    assert.equal(v('T'), -1024n);
    assert.equal(v('U'), -1n);
    assert.equal(formatPyValue(v('V')!), "{'k': (1, 'two', [None])}");
    assert.equal((v('W') as PySet).size, 0);
    assert.equal(v('X'), 1n);
    assert.equal(v('Y'), 0.5);
  });

  it('reports what is not a literal instead of guessing, and later assignments win', () => {
    const f = parseSettings(`import os
from synnefo.util import secret as s, other
from local_settings import *
A = 1
A = 2
TOKEN = os.environ.get('QH_TOKEN')
READ = open('/etc/token').read()
NAME = UNKNOWN
SUM = A + 1
if os.path.exists('/x'):
    COND = True
DB = {}
DB['default'] = {'NAME': 'x'}
FSTR = f"x{A}"
TERN = 1 if A else 2
APPS = ('a',)
APPS += ('b',)
print "hello"
`, 'u.conf');
    const get = (name: string) => f.settings.get(name)!;
    assert.equal(get('A').value, 2n);
    assert.equal(f.assignments.filter((a) => a.name === 'A').length, 2);
    assert.equal(get('SUM').value, 3n);
    for (const [name, reason] of [
      ['TOKEN', 'calls os.environ.get()'], ['READ', 'calls open('], ['NAME', 'refers to UNKNOWN'],
      ['COND', 'set inside an if block (line 10)'], ['DB', 'changed by "DB[…] = …" at line 13'],
      ['FSTR', 'f-string'], ['TERN', 'conditional expression'], ['s', 'imported from synnefo.util'],
      ['other', 'imported from synnefo.util'],
    ] as const) {
      assert.equal(get(name).value, undefined, name);
      assert.ok(get(name).unsupported?.includes(reason), `${name}: ${get(name).unsupported}`);
    }
    assert.deepEqual(get('APPS').value, ['a', 'b']);
    assert.deepEqual(f.notes.map((x) => [x.line, x.text]), [
      [3, 'from local_settings import *: the settings it defines are not seen'], [18, 'print statement']]);
  });

  it('accepts a byte order mark; refuses files that are not UTF-8', () => {
    assert.equal(parseSettings('\uFEFFA = 1\n', 'bom.conf').settings.get('A')!.value, 1n);
    const dir = folder({});
    writeFileSync(join(dir, '10-latin1.conf'), Buffer.from([0x41, 0x20, 0x3d, 0x20, 0x27, 0xe9, 0x27, 0x0a]));
    assert.throws(() => loadSettingsDir(dir), (err: unknown) => err instanceof SettingsError && /is not UTF-8 text/.test(err.message));
  });

  it('stops at a syntax error with file:line:col and a short cause, as a SettingsError', () => {
    const cases: [string, string, number, number][] = [
      ["A = 1\nVMS_USER_QUOTA = {\n    'a@b.c': 1,\nB = 2\n", "'{' is never closed", 2, 18],
      ["A = 1\nQUOTAHOLDER_TOKEN = 'secret-value\nB = 2\n", 'unterminated string', 2, 21],
      ['A = """never\nclosed\n', 'unterminated string', 1, 5],
      ['A = 1\n  B = 2\n', 'unexpected indent', 2, 3],
      ['A = 1 +\n', 'invalid syntax', 1, 8],
    ];
    for (const [text, cause, line, col] of cases) {
      assert.throws(() => parseSettings(text, '/etc/synnefo/x.conf'), (err: unknown) => {
        assert.ok(err instanceof SettingsError);
        assert.ok(err instanceof UserError);
        assert.equal(err.message, `/etc/synnefo/x.conf:${line}:${col}: ${cause}`);
        assert.equal(err.next, 'fix the file and run again');
        assert.ok(!err.message.includes('secret-value'));
        return true;
      });
    }
  });
});

describe('loadSettingsDir', () => {
  it('reads *.conf in lexical order, later files override, remembers the file', () => {
    const dir = folder({
      '10-base.conf': "MAX_VMS_PER_USER = 3\nBASE = 'x'\n",
      '20-override.conf': 'MAX_VMS_PER_USER = 4\nCOPY = BASE\n',
      '99-local.conf': 'LATE = 1\n',
      'README': 'not = python (',
      '30-notes.conf.dpkg-old': 'MAX_VMS_PER_USER = 99\n',
    });
    const d = loadSettingsDir(dir);
    assert.deepEqual(d.files.map((f) => f.file), ['10-base.conf', '20-override.conf', '99-local.conf'].map((x) => join(dir, x)));
    assert.equal(d.settings.get('MAX_VMS_PER_USER')!.value, 4n);
    assert.equal(d.settings.get('MAX_VMS_PER_USER')!.file, join(dir, '20-override.conf'));
    assert.equal(d.settings.get('COPY')!.value, 'x');
  });

  it('missing folder and bad file are SettingsErrors', () => {
    assert.throws(() => loadSettingsDir(join(root, 'nope')), /settings folder .* does not exist/);
    const dir = folder({ '10-a.conf': 'A = [\n' });
    assert.throws(() => loadSettingsDir(dir), (err: unknown) => err instanceof SettingsError && err.message.startsWith(`${join(dir, '10-a.conf')}:1:5:`));
  });
});

describe('rewriteDictKeys', () => {
  const uuids: Record<string, string> = {
    'builder@example.org': '11111111-1111-4111-8111-111111111111',
    'alice@example.org': '22222222-2222-4222-8222-222222222222',
    'bob@example.org': '33333333-3333-4333-8333-333333333333',
    'carol@example.org': '44444444-4444-4444-8444-444444444444',
  };
  const toUuid = (k: string): string | null => uuids[k.toLowerCase()] ?? null;
  const max = (a: PyValue, b: PyValue): PyValue => ((a as bigint) > (b as bigint) ? a : b);

  it('replaces keys in place, merges case duplicates with the policy, drops unknown, keeps the rest', () => {
    const r = rewriteDictKeys(CYCLADES_API, 'VMS_USER_QUOTA', toUuid, { file: 'api.conf', merge: max });
    assert.equal(r.found, true);
    assert.equal(r.changed, true);
    const expected = CYCLADES_API.replace(`    'Builder@Example.org': 10,   # ticket 4211
    "builder@example.org": 12,
    'BUILDER@EXAMPLE.ORG': 5,
    u'alice@example.org': 7,
    'bob@example.org': 2, 'Carol@Example.org': 4,
    'ghost@example.org': 9
`, `    '11111111-1111-4111-8111-111111111111': 12,   # ticket 4211
    u'22222222-2222-4222-8222-222222222222': 7,
    '33333333-3333-4333-8333-333333333333': 2, '44444444-4444-4444-8444-444444444444': 4,
`);
    assert.equal(r.text, expected);
    assert.deepEqual(r.changes.map((c) => [c.kind, c.line]), [
      ['merged', 10], ['renamed', 13], ['renamed', 14], ['renamed', 14], ['dropped', 15]]);
    const merged = r.changes[0]!;
    assert.ok(merged.kind === 'merged');
    assert.equal(merged.to, uuids['builder@example.org']);
    assert.deepEqual(merged.from.map((f) => [f.key, f.value, f.line]), [
      ['Builder@Example.org', 10n, 10], ['builder@example.org', 12n, 11], ['BUILDER@EXAMPLE.ORG', 5n, 12]]);
    assert.equal(merged.value, 12n);
    const dropped = r.changes[4]!;
    assert.ok(dropped.kind === 'dropped' && dropped.key === 'ghost@example.org' && dropped.value === 9n);
    // The result is valid Python with the intended values; nothing else changed.
    const after = parseSettings(r.text, 'api.conf').settings;
    assert.deepEqual((after.get('VMS_USER_QUOTA')!.value as PyDict).items(), [
      [uuids['builder@example.org'], 12n], [uuids['alice@example.org'], 7n],
      [uuids['bob@example.org'], 2n], [uuids['carol@example.org'], 4n]]);
    assert.equal(after.get('HUGE')!.value, 10n ** 32n);
  });

  it('writes a merged value the policy computed when no entry has it', () => {
    const sum = (a: PyValue, b: PyValue): PyValue => (a as bigint) + (b as bigint);
    const r = rewriteDictKeys(CYCLADES_API, 'NETWORKS_USER_QUOTA', toUuid, { merge: sum });
    assert.ok(r.text.includes(`NETWORKS_USER_QUOTA = {'${uuids['alice@example.org']}': 30}\n`));
  });

  it('refuses different duplicate values without a policy, and non-literal dicts', () => {
    assert.throws(() => rewriteDictKeys(CYCLADES_API, 'NETWORKS_USER_QUOTA', toUuid, { file: 'api.conf' }),
      (err: unknown) => err instanceof UserError && /'alice@example.org' \(line 18: 10\), 'Alice@Example.org' \(line 18: 20\) all become/.test(err.message));
    const same = "Q = {'a@x.org': 1, 'A@x.org': 1}\n";
    assert.equal(rewriteDictKeys(same, 'Q', (k) => k.toLowerCase()).text, "Q = {'a@x.org': 1}\n");
    assert.throws(() => rewriteDictKeys('Q = dict(a=1)\n', 'Q', (k) => k), SettingsError);
    assert.throws(() => rewriteDictKeys("Q = {}\nQ['a'] = 1\n", 'Q', (k) => k), SettingsError);
    const none = rewriteDictKeys('A = 1\n', 'Q', (k) => k);
    assert.deepEqual([none.found, none.changed, none.text], [false, false, 'A = 1\n']);
  });

  it('drops inline and last entries cleanly and keeps the file valid', () => {
    const text = "Q = {'a': 1, 'b': 2, 'c': 3}  # trailing\nR = {\n    'x': 1,\n    'y': 2\n}\n";
    assert.equal(rewriteDictKeys(text, 'Q', (k) => (k === 'b' ? null : k)).text, "Q = {'a': 1, 'c': 3}  # trailing\nR = {\n    'x': 1,\n    'y': 2\n}\n");
    assert.equal(rewriteDictKeys(text, 'Q', (k) => (k === 'c' ? null : k)).text, "Q = {'a': 1, 'b': 2}  # trailing\nR = {\n    'x': 1,\n    'y': 2\n}\n");
    assert.equal(rewriteDictKeys(text, 'R', (k) => (k === 'y' ? null : k)).text, "Q = {'a': 1, 'b': 2, 'c': 3}  # trailing\nR = {\n    'x': 1,\n}\n");
    assert.equal(rewriteDictKeys(text, 'R', () => null).text, "Q = {'a': 1, 'b': 2, 'c': 3}  # trailing\nR = {\n}\n");
  });

  it('unifiedDiff shows the change; writeBeside keeps the mode', () => {
    const r = rewriteDictKeys(CYCLADES_API, 'BACKEND_PER_USER', toUuid);
    const diff = unifiedDiff(CYCLADES_API, r.text, '/etc/synnefo/20-snf-cyclades-app-api.conf');
    assert.equal(diff, `--- /etc/synnefo/20-snf-cyclades-app-api.conf
+++ /etc/synnefo/20-snf-cyclades-app-api.conf.snf-upgrade-new
@@ -16,7 +16,7 @@
 }
 MAX_NETWORKS_PER_USER = 5
 NETWORKS_USER_QUOTA = {'alice@example.org': 10, 'Alice@Example.org': 20}
-BACKEND_PER_USER = {'bob@example.org': 2}
+BACKEND_PER_USER = {'33333333-3333-4333-8333-333333333333': 2}
 UI_SYSTEM_IMAGES_OWNERS = {'images@example.org': 'system'}
 HUGE = 100000000000000000000000000000000
 POWER = 10**32
`);
    assert.equal(unifiedDiff('same\n', 'same\n', 'x'), '');
    assert.equal(unifiedDiff('a\n', 'a', 'x', { newFile: 'y' }), '--- x\n+++ y\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n');

    const dir = folder({ '20-snf-cyclades-app-api.conf': CYCLADES_API });
    const file = join(dir, '20-snf-cyclades-app-api.conf');
    chmodSync(file, 0o640);
    const out = writeBeside(file, r.text);
    assert.equal(out, `${file}.snf-upgrade-new`);
    assert.equal(readFileSync(out, 'utf8'), r.text);
    assert.equal(statSync(out).mode & 0o777, 0o640);
    assert.equal(readFileSync(file, 'utf8'), CYCLADES_API);
    // A *.snf-upgrade-new file is not read as settings.
    assert.equal(loadSettingsDir(dir).files.length, 1);
  });
});

// ---------------------------------------------------------------------------------------
// Checks

const TOKEN = generateToken();

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.end());
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

async function closedPort(): Promise<number> {
  const { server, port } = await listen();
  await new Promise((r) => server.close(r));
  return port;
}

function goodDirs(memcachedPort: number, token = TOKEN): { astakos: string; cyclades: string; pithos: string } {
  const url = 'https://accounts.example.org/quotaholder/v';
  return {
    astakos: folder({
      '20-snf-astakos-app-settings.conf': `QUOTAHOLDER_URL = '${url}'
QUOTAHOLDER_TOKEN = '${token}'
ASTAKOS_QUOTAHOLDER_TOKEN = '${token}'
ASTAKOS_QUOTAHOLDER_URL = '${url}'
ASTAKOS_EMAILCHANGE_ENABLED = True
SERVER_EMAIL = 'Cloud <no-reply@example.org>'
ADMINS = (
    ('Joe Doe', 'doe@example.net'),
    ('Mary Jean', 'mary@example.net'),
)
ASTAKOS_DEFAULT_CONTACT_EMAIL = 'support@example.org'
${GUIDE_SERVICES}`,
    }),
    cyclades: folder({
      '20-snf-cyclades-app-api.conf': `CYCLADES_ASTAKOS_SERVICE_TOKEN = 'cyc-${token}'
ASTAKOS_URL = 'https://accounts.example.org/im/authenticate'
${CYCLADES_API}`,
      '20-snf-cyclades-app-quotas.conf': `CYCLADES_USE_QUOTAHOLDER = True
CYCLADES_QUOTAHOLDER_URL = '${url}'
CYCLADES_QUOTAHOLDER_TOKEN = '${token}'
`,
      '20-snf-cyclades-app-vmapi.conf': `VMAPI_CACHE_BACKEND = "memcached://127.0.0.1:${memcachedPort}/?timeout=3600"
VMAPI_BASE_URL = "https://cyclades.example.org"
`,
    }),
    pithos: folder({
      '20-snf-pithos-app-settings.conf': `PITHOS_QUOTAHOLDER_URL = '${url}'
PITHOS_QUOTAHOLDER_TOKEN = '${token}'
PITHOS_USE_QUOTAHOLDER = False # will set to True after migration
PITHOS_USER_CATALOG_URL = 'https://accounts.example.org/user_catalogs/'
PITHOS_USER_FEEDBACK_URL = 'https://accounts.example.org/feedback/'
PITHOS_USER_LOGIN_URL = 'https://accounts.example.org/login/'
PITHOS_SERVICE_TOKEN = 'pithos-${token}'
PITHOS_BACKEND_QUOTA = 50 * 1024 * 1024 * 1024
`,
    }),
  };
}

function failing(checks: Check[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => c.label);
}

function assertNoSecret(checks: Check[], ...secrets: string[]): void {
  const text = JSON.stringify(checks);
  for (const s of secrets) assert.ok(!text.includes(s), `a secret leaked into ${text}`);
}

describe('checkSettings', () => {
  it('passes every step on good settings, and never shows a token', async () => {
    const { server, port } = await listen();
    try {
      const dirs = goodDirs(port);
      for (const step of ['3.3', '3.4', '3.5', '3.6'] as const) {
        const checks = await checkSettings(step, dirs);
        assert.ok(checks.length > 2, step);
        assert.deepEqual(failing(checks), [], `${step}: ${JSON.stringify(checks, null, 1)}`);
        assertNoSecret(checks, TOKEN);
      }
      const c33 = await checkSettings('3.3', dirs);
      const same = c33.find((c) => c.label === 'one quotaholder token everywhere')!;
      assert.equal(same.detail, `4 settings agree: ${fingerprint(TOKEN)}`);
      assert.ok(c33.find((c) => c.label === 'cyclades: CYCLADES_QUOTAHOLDER_TOKEN set')!.detail!.endsWith(`:3: 32 characters, ${fingerprint(TOKEN)}`));
      const c35 = await checkSettings('3.5', dirs);
      assert.ok(c35.some((c) => c.label === `cyclades: memcached reachable at 127.0.0.1:${port}` && c.ok));
    } finally {
      server.close();
    }
  });

  it('fails on the quotaholder mistakes of 3.3 without showing the tokens', async () => {
    const port = await closedPort();
    const dirs = goodDirs(port);
    const other = generateToken();
    writeFileSync(join(dirs.cyclades, '20-snf-cyclades-app-quotas.conf'), `CYCLADES_USE_QUOTAHOLDER = False
CYCLADES_QUOTAHOLDER_URL = 'https://accounts.example.org/quotaholder/'
CYCLADES_QUOTAHOLDER_TOKEN = '${other}'
`);
    writeFileSync(join(dirs.pithos, '30-local.conf'), `PITHOS_USE_QUOTAHOLDER = True
PITHOS_QUOTAHOLDER_TOKEN = 'aExampleTokenJbFm12w'
`);
    writeFileSync(join(dirs.astakos, '30-local.conf'), 'import os\nQUOTAHOLDER_TOKEN = os.environ["QH"]\n');
    const checks = await checkSettings('3.3', dirs);
    assert.deepEqual(failing(checks), [
      'astakos: QUOTAHOLDER_TOKEN set',
      'pithos: PITHOS_QUOTAHOLDER_TOKEN set',
      'one quotaholder token everywhere',
      'cyclades: CYCLADES_QUOTAHOLDER_URL ends in /quotaholder/v',
      'one quotaholder URL everywhere',
      'cyclades: CYCLADES_USE_QUOTAHOLDER = True',
      'pithos: PITHOS_USE_QUOTAHOLDER = False',
    ]);
    assertNoSecret(checks, TOKEN, other);
    const byLabel = (l: string): Check => checks.find((c) => c.label === l)!;
    assert.match(byLabel('astakos: QUOTAHOLDER_TOKEN set').detail!, /30-local\.conf:2: the tool cannot evaluate it \(attribute or item access\)/);
    assert.match(byLabel('pithos: PITHOS_QUOTAHOLDER_TOKEN set').detail!, /guide's example token/);

    // Tokens that are set but differ.
    writeFileSync(join(dirs.astakos, '30-local.conf'), '');
    writeFileSync(join(dirs.pithos, '30-local.conf'), '');
    const differ = (await checkSettings('3.3', dirs)).find((c) => c.label === 'one quotaholder token everywhere')!;
    assert.equal(differ.ok, false);
    assert.equal(differ.detail, `they differ: QUOTAHOLDER_TOKEN, ASTAKOS_QUOTAHOLDER_TOKEN, PITHOS_QUOTAHOLDER_TOKEN = ${fingerprint(TOKEN)}; CYCLADES_QUOTAHOLDER_TOKEN = ${fingerprint(other)}`);
  });

  it('fails on the renamed astakos settings of 3.4', async () => {
    const dirs = goodDirs(1);
    writeFileSync(join(dirs.astakos, '20-snf-astakos-app-settings.conf'), `ASTAKOS_DEFAULT_FROM_EMAIL = 'GRNET Cloud <no-reply@grnet.gr>'
ASTAKOS_DEFAULT_ADMIN_EMAIL = 'support@cloud.grnet.gr'
ASTAKOS_EMAILCHANGE_ENABLED = False
`);
    const checks = await checkSettings('3.4', dirs);
    assert.deepEqual(failing(checks), [
      'astakos: ASTAKOS_EMAILCHANGE_ENABLED = True',
      'astakos: SERVER_EMAIL set (replaces ASTAKOS_DEFAULT_FROM_EMAIL)',
      'astakos: ADMINS non-empty (replaces ASTAKOS_DEFAULT_ADMIN_EMAIL)',
      'astakos: ASTAKOS_DEFAULT_CONTACT_EMAIL set to your own address',
    ]);
    assert.match(checks[1]!.detail!, /rename ASTAKOS_DEFAULT_FROM_EMAIL \(20-snf-astakos-app-settings\.conf:1\) to SERVER_EMAIL/);
    assert.match(checks[2]!.detail!, /'support@cloud\.grnet\.gr'/);
    writeFileSync(join(dirs.astakos, '30-more.conf'), "ADMINS = ()\nSERVER_EMAIL = 'x@y.org'\nASTAKOS_DEFAULT_CONTACT_EMAIL = 'support@example.synnefo.org'\n");
    const again = await checkSettings('3.4', dirs);
    assert.match(again.find((c) => c.label.startsWith('astakos: ADMINS'))!.detail!, /30-more\.conf:1: empty/);
    assert.match(again.find((c) => c.label.startsWith('astakos: SERVER_EMAIL'))!.detail!, /is no longer read: remove it/);
    assert.equal(again.find((c) => c.label.startsWith('astakos: ASTAKOS_DEFAULT_CONTACT'))!.ok, false);
  });

  it('fails on the cyclades settings of 3.5: memcached unreachable, not memcached, tokens', async () => {
    const port = await closedPort();
    const dirs = goodDirs(port);
    const checks = await checkSettings('3.5', dirs, { connectTimeoutMs: 500 });
    assert.deepEqual(failing(checks), [`cyclades: memcached reachable at 127.0.0.1:${port}`]);
    assert.match(checks.find((c) => !c.ok)!.detail!, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port} from this machine \\(ECONNREFUSED\\)`));
    writeFileSync(join(dirs.cyclades, '20-snf-cyclades-app-vmapi.conf'), "VMAPI_CACHE_BACKEND = 'locmem://'\n");
    writeFileSync(join(dirs.cyclades, '20-snf-cyclades-app-api.conf'), "CYCLADES_ASTAKOS_SERVICE_TOKEN = ''\n");
    const bad = await checkSettings('3.5', dirs);
    assert.deepEqual(failing(bad), [
      'cyclades: CYCLADES_ASTAKOS_SERVICE_TOKEN set',
      'cyclades: ASTAKOS_URL points at astakos (…/im/authenticate)',
      'cyclades: VMAPI_CACHE_BACKEND is memcached',
      'cyclades: VMAPI_BASE_URL set',
    ]);
    assert.match(bad[2]!.detail!, /uses locmem:\/\/, not memcached:\/\//);
    // the guide's sample hosts pasted as they are: set, but not this deployment's
    writeFileSync(join(dirs.cyclades, '30-sample.conf'), "VMAPI_BASE_URL = 'https://cyclades.example.synnefo.org'\nASTAKOS_URL = 'https://accounts.example.synnefo.org/im/authenticate'\n");
    const sample = await checkSettings('3.5', dirs);
    for (const label of ['cyclades: VMAPI_BASE_URL set', 'cyclades: ASTAKOS_URL points at astakos (…/im/authenticate)']) {
      const c = sample.find((x) => x.label === label)!;
      assert.deepEqual([c.ok, /is the guide's sample host, not this deployment's/.test(c.detail!)], [false, true], label);
    }
    assert.deepEqual(memcachedAddresses('memcached://10.0.0.1:11211;[::1]:11212;cache/'), [
      { host: '10.0.0.1', port: 11211 }, { host: '::1', port: 11212 }, { host: 'cache', port: 11211 }]);
    assert.ok('error' in memcachedAddresses('memcached://host:port/'));
  });

  it('fails on the pithos traps of 3.6 (service token, authentication users, quotaholder on)', async () => {
    const dirs = goodDirs(1);
    writeFileSync(join(dirs.pithos, '20-snf-pithos-app-settings.conf'), `PITHOS_USER_CATALOG_URL = 'https://pithos.example.org/catalog'
PITHOS_AUTHENTICATION_USERS = {'0009476dc80dd7e1': 'user@example.org'}
PITHOS_USE_QUOTAHOLDER = True
PITHOS_QUOTAHOLDER_URL = 'https://accounts.example.org/quotaholder/v'
`);
    const checks = await checkSettings('3.6', dirs);
    assert.deepEqual(failing(checks), [
      'pithos: PITHOS_USER_CATALOG_URL ends in /user_catalogs/',
      'pithos: PITHOS_USER_FEEDBACK_URL set',
      'pithos: PITHOS_USER_LOGIN_URL set',
      'pithos: PITHOS_SERVICE_TOKEN set',
      'pithos: PITHOS_AUTHENTICATION_USERS empty',
      'pithos: PITHOS_USE_QUOTAHOLDER = False',
    ]);
    writeFileSync(join(dirs.pithos, '30-more.conf'), "PITHOS_AUTHENTICATION_USERS['feedfacecafe'] = 'x@y.org'\nfrom local_settings import *\n");
    const more = await checkSettings('3.6', dirs);
    assert.match(more.find((c) => c.label === 'pithos: PITHOS_AUTHENTICATION_USERS empty')!.detail!, /PITHOS_AUTHENTICATION_USERS\[…\] = …/);
    assert.ok(more.some((c) => c.label === 'pithos: statements the tool cannot follow' && c.ok && /30-more\.conf:2: from local_settings import \*/.test(c.detail!)));
    assertNoSecret(more, 'feedfacecafe', '0009476dc80dd7e1');
    rmSync(join(dirs.pithos, '30-more.conf'));
    const auth = checks.find((c) => c.label === 'pithos: PITHOS_AUTHENTICATION_USERS empty')!;
    assert.match(auth.detail!, /1 entry; .*step 6\.4 silently migrates nothing/);
    assertNoSecret(checks, '0009476dc80dd7e1');
    assert.match(checks.find((c) => c.label === 'pithos: PITHOS_SERVICE_TOKEN set')!.detail!, /the guide never says so/);
  });

  it('reports unconfigured and unreadable folders', async () => {
    const only = await checkSettings('3.3', { astakos: goodDirs(1).astakos });
    assert.ok(only.some((c) => c.label === 'cyclades settings not checked' && c.ok));
    assert.ok(only.find((c) => c.label === 'one quotaholder token everywhere')!.detail!.includes('(cyclades, pithos not checked here)'));
    assert.deepEqual(failing(only), []);
    const broken = folder({ '10-a.conf': "QUOTAHOLDER_TOKEN = 'abc\n" });
    const checks = await checkSettings('3.3', { astakos: broken, pithos: join(root, 'missing') });
    assert.deepEqual(failing(checks), ['astakos settings readable', 'pithos settings readable']);
    assert.match(checks[0]!.detail!, /10-a\.conf:1:21: unterminated string$/);
    assertNoSecret(checks, 'abc');
  });
});

describe('snippets, tokens and quota settings', () => {
  it('generateToken is url-safe, 32 characters and random', () => {
    const t = generateToken();
    assert.equal(t.length, 32);
    for (const ch of t) assert.ok('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.includes(ch));
    assert.notEqual(generateToken(), t);
  });

  it('snippets are valid Python that pass the checks', async () => {
    const { server, port } = await listen();
    try {
      const token = generateToken();
      const dirs = { astakos: folder({}), cyclades: folder({}), pithos: folder({}) };
      const opts = { astakosUrl: 'https://accounts.example.org/', cycladesUrl: 'https://cyclades.example.org', memcached: `127.0.0.1:${port}`, contactEmail: 'help@example.org',
        serverEmail: 'Cloud <no-reply@example.org>', admins: [['Ops', 'ops@example.org']] as [string, string][] };
      for (const step of ['3.3', '3.4', '3.5', '3.6'] as const) {
        const snippets = settingsSnippets(step, step === '3.4' ? '' : token, opts);
        for (const [i, s] of snippets.entries()) {
          const text = `${s.lines.join('\n')}\n`;
          parseSettings(text, s.file);
          writeFileSync(join(dirs[s.host], `${step}-${i}-${s.file.split('/').pop()}`), text);
        }
        if (step === '3.3') {
          assert.equal(snippets.flatMap((s) => s.lines).filter((l) => l.includes(`'${token}'`)).length, 4);
        }
        assert.deepEqual(failing(await checkSettings(step, dirs)), [], step);
      }
    } finally {
      server.close();
    }
  });

  it('deploymentSnippets: one stored quotaholder token per deployment; service tokens from astakos, placeholders otherwise', async () => {
    const urls = await emptyDatabases('wizsnip');
    const pools = [await openDb('astakos', urls.astakos), await openDb('astakos', urls.astakos)];
    try {
      const a = pools[0]!.pool;
      // Read-only (plan): no token yet is a placeholder, and neither table nor row is created.
      const ro = await deploymentSnippets('3.3', a, {}, { generate: false });
      assert.deepEqual([ro.secrets, ro.pending], [[], { literal: "'<the same random string>'", what: 'the quotaholder token' }]);
      assert.equal((await a.query(`SELECT to_regclass('snf_upgrade_secrets') AS t`)).rows[0].t, null);
      // Two sessions at once, then again later: always the same token, kept in astakos only.
      const [t1, t2] = await Promise.all(pools.map((d) => quotaholderToken(d.pool)));
      assert.equal(t1, t2);
      assert.equal(t1.length, 32);
      const set = await deploymentSnippets('3.3', a, {});
      assert.deepEqual(set.secrets.map((x) => x.value), [t1]);
      assert.equal(set.snippets.flatMap((x) => x.lines).filter((l) => l.includes(`'${t1}'`)).length, 4);
      assert.match(set.notes.join('\n'), /<…> marks what this deployment has not told the tool \(no settings folders are configured\): put the real value in; it is not Python/);
      assert.ok(set.snippets.flatMap((x) => x.lines).includes('ASTAKOS_QUOTAHOLDER_URL = <the astakos URL + /quotaholder/v>'), 'no sample host');
      const stored = await a.query('SELECT step, tbl, pk, col, value FROM snf_upgrade_secrets');
      assert.deepEqual(stored.rows, [{ step: 'snippets', tbl: 'settings', pk: 'QUOTAHOLDER_TOKEN', col: 'token', value: t1 }]);

      // No im_service table: a placeholder and why.
      let svc = await deploymentSnippets('3.5', a, {});
      assert.deepEqual(svc.secrets, []);
      assert.match(svc.snippets[0]!.lines[0]!, /^CYCLADES_ASTAKOS_SERVICE_TOKEN = <cyclades auth_token from service-list>$/);
      assert.throws(() => parseSettings(`${svc.snippets[0]!.lines.join('\n')}\n`, 'x.conf'), 'a placeholder is not Python');
      assert.match(svc.notes[0]!, /^the cyclades service token could not be read from astakos \(.*im_service.*\): fill it in from snf-manage service-list$/);
      await a.query(`CREATE TABLE im_service (id integer PRIMARY KEY, name varchar(255) NOT NULL, url varchar(100) NOT NULL, auth_token varchar(32))`);
      await a.query(`INSERT INTO im_service VALUES (1, 'cyclades', 'https://cyclades.grnet.example/ui/', NULL), (2, 'pithos', 'https://pithos.grnet.example/ui/', 'pithosTok3n')`);
      svc = await deploymentSnippets('3.5', a, {});
      assert.match(svc.notes[0]!, /^the cyclades service token is not in astakos' im_service yet/);
      await a.query(`UPDATE im_service SET auth_token = 'cycl4desTok3n' WHERE name = 'cyclades'`);
      const dirs = { astakos: folder({ 'a.conf': "ASTAKOS_QUOTAHOLDER_URL = 'https://id.grnet.example/quotaholder/v'\n" }), cyclades: folder({}), pithos: folder({}) };
      svc = await deploymentSnippets('3.5', a, dirs);
      assert.deepEqual([svc.secrets.map((x) => x.value), svc.notes], [['cycl4desTok3n'], []]);
      assert.deepEqual(svc.snippets[0]!.lines, ["CYCLADES_ASTAKOS_SERVICE_TOKEN = 'cycl4desTok3n'", "ASTAKOS_URL = 'https://id.grnet.example/im/authenticate'"]);
      assert.ok(svc.snippets[1]!.lines.includes("VMAPI_BASE_URL = 'https://cyclades.grnet.example'"), 'the cyclades URL astakos lists');
      // 3.6: pithos is still named "pithos" until step 5 renames it.
      const p = await deploymentSnippets('3.6', a, dirs);
      assert.ok(p.snippets[0]!.lines.includes("PITHOS_SERVICE_TOKEN = 'pithosTok3n'"));
      assert.equal(await quotaholderToken(a), t1, 'still the same token');
      const again = await deploymentSnippets('3.3', a, {}, { generate: false });
      assert.deepEqual([again.secrets.map((x) => x.value), again.pending], [[t1], undefined], 'read-only finds the stored token');
    } finally {
      for (const d of pools) await d.close();
      await cleanupAll();
    }
  });

  it('snippet options come from the old settings', () => {
    const dir = folder({ 'a.conf': "ASTAKOS_DEFAULT_FROM_EMAIL = 'Cloud <no-reply@x.org>'\nASTAKOS_DEFAULT_ADMIN_EMAIL = 'admin@x.org'\n" });
    const o = snippetOptionsFrom({ astakos: dir });
    assert.deepEqual([o.serverEmail, o.admins], ['Cloud <no-reply@x.org>', [['Administrator', 'admin@x.org']]]);
  });

  it('quotaSettings returns the 0.12 values with their files, defaults otherwise', () => {
    const dirs = goodDirs(1);
    const q = quotaSettings(dirs);
    assert.equal(q.maxVmsPerUser.value, 3n);
    assert.equal(q.maxVmsPerUser.file, join(dirs.cyclades, '20-snf-cyclades-app-api.conf'));
    assert.equal(q.maxVmsPerUser.line, 7);
    assert.equal(q.vmsUserQuota.value!.entries.length, 7);
    const rows = userLimitEntries(q.networksUserQuota.value!);
    assert.deepEqual(rows.entries.map((r) => [r.key, r.value]), [['alice@example.org', 10n], ['Alice@Example.org', 20n]]);
    assert.deepEqual(q.backendPerUser.value!.items(), [['bob@example.org', 2n]]);
    assert.deepEqual(q.uiSystemImagesOwners.value!.items(), [['images@example.org', 'system']]);
    assert.equal(q.pithosBackendQuota.value, 53687091200n);
    assert.equal(q.pithosBackendQuota.isDefault, false);
    assert.equal(q.astakosServices.value!.length, 2);
    assert.deepEqual(q.servicesProblems, []);

    const bare = quotaSettings(folder({ 'x.conf': 'VMS_USER_QUOTA = get_quotas()\n' }));
    assert.deepEqual([bare.maxVmsPerUser.value, bare.maxVmsPerUser.isDefault], [3n, true]);
    assert.equal(bare.vmsUserQuota.value, undefined);
    assert.match(bare.vmsUserQuota.problem!, /calls get_quotas\(\)/);
    assert.deepEqual(bare.uiSystemImagesOwners.value!.keys(), ['admin@synnefo.gr', 'images@synnefo.gr']);
    assert.equal(bare.pithosBackendQuota.value, 53687091200n);
    assert.equal(quotaSettings({ astakos: dirs.astakos }).vmsUserQuota.problem, 'no cyclades settings folder is configured');
  });

  it('servicesChecks flags the guide example lowering the 0.12 defaults', () => {
    const q = quotaSettings(goodDirs(1));
    const checks = servicesChecks(q);
    assert.deepEqual(failing(checks), [
      'astakos: cyclades.vm default not lower than 0.12\'s MAX_VMS_PER_USER',
      'astakos: cyclades.network.private default not lower than 0.12\'s MAX_NETWORKS_PER_USER',
      'astakos: pithos+.diskspace default not lower than 0.12\'s PITHOS_BACKEND_QUOTA',
    ]);
    assert.equal(checks.find((c) => c.label.includes('cyclades.vm'))!.detail,
      '2 vs 3: users without an override would get a lower limit than in 0.12');
    const renamed = quotaSettings(folder({ 'a.conf': "ASTAKOS_SERVICES = {'pithos': {'resources': [{'name': 'diskspace', 'bogus': 1}]}}\n" }));
    assert.deepEqual(failing(servicesChecks(renamed)).slice(0, 4), [
      'astakos: ASTAKOS_SERVICES well-formed',
      'astakos: services are named "cyclades" and "pithos+"',
      'astakos: every resource cyclades and pithos use is defined',
      'astakos: every resource has an uplimit',
    ]);
  });
});

it('maskSecrets hides token, secret and password values in a diff, context lines included', async () => {
  const { maskSecrets, unifiedDiff } = await import('../src/core/settings/index.js');
  const old = "CYCLADES_ASTAKOS_SERVICE_TOKEN = 'sEcReT1'\nVMS_USER_QUOTA = {'A@x.org': 3}\nDATABASES = {'default': {'PASSWORD': 'pw9'}}\n";
  const neu = old.replace("'A@x.org'", "'0a1b'");
  const shown = maskSecrets(unifiedDiff(old, neu, 'api.conf'));
  assert.match(shown, /^-VMS_USER_QUOTA = \{'A@x\.org': 3\}$/m);
  assert.match(shown, /^\+VMS_USER_QUOTA = \{'0a1b': 3\}$/m);
  assert.match(shown, /^ CYCLADES_ASTAKOS_SERVICE_TOKEN = <hidden>$/m);
  assert.ok(!shown.includes('sEcReT1'));
});
