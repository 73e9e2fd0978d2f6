// The people of a sandbox: every identifier that appears anywhere (astakos users, and
// the owners of cyclades and pithos data). Built by the same deterministic SQL in each of
// the three databases as the temporary table sbx_people, so that the databases agree
// without any data passing through Node.
import type { GenParams } from './params.js';
import { EPOCH, h, lit, NOW, pick, tsBetween, u, uuid } from './sqlgen.js';

export type Provider = 'local' | 'shibboleth' | 'twitter' | 'google' | '';

/** A hand-made person that every sandbox has (the fixed hard cases and system users). */
export interface Special {
  tag: string;
  /** The email in astakos, or the identifier in cyclades/pithos when not in astakos. */
  email: string;
  astakos: boolean;
  active?: boolean;
  provider?: Provider;
  tpi?: string;
  superuser?: boolean;
  staff?: boolean;
  username?: string;
  level?: number;
  first?: string;
  last?: string;
  cyc: boolean;
  pithos: boolean;
}

export const SPECIALS: readonly Special[] = [
  { tag: 'admin', email: 'admin@example.org', astakos: true, provider: '', superuser: true, staff: true, username: 'admin', level: 0, first: 'Site', last: 'Admin', cyc: false, pithos: true },
  { tag: 'root-emailish-username', email: 'Root.Admin@Example.org', astakos: true, provider: '', superuser: true, staff: true, username: 'root@example.org', level: 0, first: 'Root', last: 'Admin', cyc: false, pithos: false },
  { tag: 'helpdesk', email: 'helpdesk@example.org', astakos: true, provider: 'local', staff: true, level: 1, first: 'Help', last: 'Desk', cyc: false, pithos: false },
  { tag: 'images-owner', email: 'images@example.org', astakos: true, provider: 'local', level: 2, first: 'System', last: 'Images', cyc: false, pithos: true },
  { tag: 'big-container', email: 'archive@example.org', astakos: true, provider: 'local', first: 'Archive', last: 'Keeper', cyc: true, pithos: true },
  // a 3-way case-duplicate group
  { tag: 'triple-1', email: 'Maria.K@example.gr', astakos: true, provider: 'local', first: 'Maria', last: 'Konstantinou', cyc: true, pithos: true },
  { tag: 'triple-2', email: 'maria.k@example.gr', astakos: true, provider: 'shibboleth', tpi: 'mariak@idp.example.gr', first: 'Maria', last: 'Konstantinou', cyc: true, pithos: true },
  { tag: 'triple-3', email: 'MARIA.K@EXAMPLE.GR', astakos: true, active: false, provider: 'local', first: 'MARIA', last: 'K', cyc: false, pithos: true },
  // '+' is a regex quantifier: the pithos duplicate finder misses this pair
  { tag: 'plus-1', email: 'John+Cloud@example.com', astakos: true, provider: 'local', first: 'John', last: 'Cloud', cyc: true, pithos: true },
  { tag: 'plus-2', email: 'john+cloud@example.com', astakos: true, provider: 'twitter', tpi: '71234567', first: 'John', last: 'Cloud', cyc: false, pithos: true },
  // '.' matches any character: a false duplicate for the pithos finder, not a real one
  { tag: 'dot-1', email: 'k.lee@example.net', astakos: true, provider: 'local', first: 'Kim', last: 'Lee', cyc: true, pithos: true },
  { tag: 'dot-2', email: 'kxlee@example.net', astakos: true, provider: 'local', first: 'Kevin', last: 'Xlee', cyc: false, pithos: true },
  // '(' and '[' make the pithos duplicate finder crash (re.error)
  { tag: 'paren-1', email: 'dept(it)@example.org', astakos: true, provider: 'shibboleth', tpi: 'dept-it@idp.example.org', first: 'IT', last: 'Department', cyc: true, pithos: true },
  { tag: 'paren-2', email: 'Dept(IT)@example.org', astakos: true, active: false, provider: 'local', first: 'IT', last: 'Department', cyc: false, pithos: true },
  { tag: 'bracket', email: 'ops[team]@example.org', astakos: true, provider: 'local', first: 'Ops', last: 'Team', cyc: false, pithos: true },
  // non-ASCII: PostgreSQL upper() in a C-collation database does not fold these, Python does
  { tag: 'greek-1', email: 'Σωκράτης.Π@example.gr', astakos: true, provider: 'local', first: 'Σωκράτης', last: 'Παπαδόπουλος', cyc: true, pithos: true },
  { tag: 'greek-2', email: 'σωκράτης.π@example.gr', astakos: true, provider: 'google', tpi: '109876543210987654321', first: 'Σωκράτης', last: 'Π', cyc: false, pithos: true },
  { tag: 'german', email: 'jürgen.müller@example.de', astakos: true, provider: 'local', first: 'Jürgen', last: 'Müller', cyc: true, pithos: true },
  // the same email twice (0.12.5 only checked (email, is_active))
  { tag: 'exact-1', email: 'dup.same@example.org', astakos: true, provider: 'local', first: 'Dup', last: 'Same', cyc: true, pithos: true },
  { tag: 'exact-2', email: 'dup.same@example.org', astakos: true, active: false, provider: 'local', first: 'Dup', last: 'Same', cyc: false, pithos: false },
  // a pair where both are inactive
  { tag: 'inactive-1', email: 'Old.Account@example.com', astakos: true, active: false, provider: 'local', first: 'Old', last: 'Account', cyc: false, pithos: true },
  { tag: 'inactive-2', email: 'old.account@example.com', astakos: true, active: false, provider: 'local', first: 'Old', last: 'Account', cyc: false, pithos: false },
  // shibboleth + local sign-up of the same person, both active, both with data
  { tag: 'shib-local-1', email: 'Nikos.Ioannou@uoa.gr', astakos: true, provider: 'shibboleth', tpi: 'nioannou@uoa.gr', first: 'Nikos', last: 'Ioannou', cyc: true, pithos: true },
  { tag: 'shib-local-2', email: 'nikos.ioannou@uoa.gr', astakos: true, provider: 'local', first: 'Nikos', last: 'Ioannou', cyc: true, pithos: true },
  // case duplicates that exist only in cyclades / only in pithos
  { tag: 'cyc-only-base', email: 'eleni.p@example.gr', astakos: true, provider: 'local', first: 'Eleni', last: 'Papadaki', cyc: true, pithos: false },
  { tag: 'cyc-only-variant', email: 'Eleni.P@example.gr', astakos: false, cyc: true, pithos: false },
  { tag: 'pithos-only-base', email: 'george.t@example.gr', astakos: true, provider: 'local', first: 'George', last: 'Tsakalos', cyc: false, pithos: true },
  { tag: 'pithos-only-variant', email: 'George.T@example.gr', astakos: false, cyc: false, pithos: true },
  // the service identifier differs in case from the only astakos user
  { tag: 'astakos-case-1', email: 'Anna.S@example.gr', astakos: true, provider: 'local', first: 'Anna', last: 'Stavrou', cyc: true, pithos: false },
  { tag: 'astakos-case-2', email: 'anna.s@example.gr', astakos: false, cyc: false, pithos: true },
  // identifiers astakos does not know
  { tag: 'orphan', email: 'deleted.user@example.org', astakos: false, cyc: true, pithos: true },
  { tag: 'orphan-mixed-case', email: 'Former.Staff@Example.org', astakos: false, cyc: false, pithos: true },
  { tag: 'uuid-ident', email: 'b1946ac9-2b5e-4c47-9a4f-7d5c3e8f0a12', astakos: false, cyc: true, pithos: true },
];

export const FIRST_NAMES = [
  'nikos', 'maria', 'giorgos', 'eleni', 'dimitris', 'katerina', 'kostas', 'sofia', 'giannis', 'anna',
  'panagiotis', 'christina', 'vasilis', 'georgia', 'michalis', 'ioanna', 'thanasis', 'despina', 'stavros',
  'angeliki', 'alexandros', 'evangelia', 'petros', 'dimitra', 'john', 'emma', 'luca', 'sarah', 'pierre',
  'julia', 'ahmed', 'mei', 'carlos', 'olga',
];
export const LAST_NAMES = [
  'papadopoulos', 'papadaki', 'georgiou', 'nikolaou', 'ioannou', 'vlachos', 'karagiannis', 'oikonomou',
  'pappas', 'makris', 'dimitriou', 'konstantinou', 'alexiou', 'antoniou', 'christodoulou', 'smith',
  'rossi', 'muller', 'garcia', 'kowalski', 'nguyen', 'dubois', 'jensen', 'silva', 'wang',
];
/** Weighted by repetition. */
export const DOMAINS = [
  'gmail.com', 'gmail.com', 'gmail.com', 'gmail.com', 'gmail.com', 'gmail.com', 'yahoo.gr', 'yahoo.gr',
  'hotmail.com', 'hotmail.com', 'yahoo.com', 'uoa.gr', 'uoa.gr', 'ntua.gr', 'ntua.gr', 'auth.gr', 'auth.gr',
  'upatras.gr', 'uoc.gr', 'grnet.gr', 'grnet.gr', 'noc.grnet.gr', 'cs.ntua.gr', 'ece.upatras.gr', 'example.org',
];

/** The email with its local part's case changed one way (lowercase ↔ capitalised). */
export function variant1(email: string): string {
  const local = `split_part(${email}, '@', 1)`;
  const dom = `substr(${email}, length(${local}) + 2)`;
  return `(CASE WHEN ${local} = pg_temp.sbx_lc(${local}) THEN pg_temp.sbx_ic(${local}) ELSE pg_temp.sbx_lc(${local}) END || '@' || ${dom})`;
}

/** The email in upper case (local part and domain). */
export function variant2(email: string): string {
  return `pg_temp.sbx_uc(${email})`;
}

/** SQL creating TEMP TABLE sbx_people (needs the helper functions of sqlgen). */
export function peopleSql(p: GenParams): string {
  const N = p.users;
  const specials = SPECIALS.map((s, k) => `(${4 * N + k + 1}, ${lit(s.tag)}, ${lit(s.email)}, ${s.astakos}, ${s.active ?? true}, `
    + `${lit(s.provider ?? 'local')}, ${s.tpi ? lit(s.tpi) : 'NULL'}, ${s.superuser ?? false}, ${s.staff ?? false}, `
    + `${s.username ? lit(s.username) : 'NULL'}, ${s.level ?? 4}, ${lit(s.first ?? '')}, ${lit(s.last ?? '')}, ${s.cyc}, ${s.pithos})`);
  const joined = (key: string) => tsBetween('person.joined', key, `timestamptz '${EPOCH}'`, `timestamptz '${NOW}' - interval '10 days'`);
  return `
CREATE TEMP TABLE sbx_base AS
SELECT i AS pid, fn, ln,
       CASE WHEN su < 0.88 THEN loc || '@' || dom
            WHEN su < 0.96 THEN pg_temp.sbx_ic(loc) || '@' || dom
            ELSE loc || '@' || pg_temp.sbx_uc(dom) END AS email
  FROM (SELECT i, fn, ln, dom, ${u('email.style', 'i')} AS su,
               CASE WHEN pu < 0.40 THEN fn || '.' || ln || i
                    WHEN pu < 0.60 THEN fn || i
                    WHEN pu < 0.75 THEN left(fn, 1) || ln || i
                    WHEN pu < 0.85 THEN fn || '_' || ln || i
                    WHEN pu < 0.95 THEN ln || '.' || fn || i
                    ELSE fn || '.' || ln || '+cloud' || i END AS loc
          FROM (SELECT i, ${pick(FIRST_NAMES, 'email.first', 'i')} AS fn, ${pick(LAST_NAMES, 'email.last', 'i')} AS ln,
                       ${pick(DOMAINS, 'email.domain', 'i')} AS dom, ${u('email.pattern', 'i')} AS pu
                  FROM generate_series(1, ${N}) i) a) b;

CREATE TEMP TABLE sbx_people0 AS
-- regular users
SELECT b.pid, NULL::text AS tag, 'regular' AS kind, b.email, b.email AS ident, true AS astakos,
       ${u('person.active', 'b.pid')} < 0.86 AS active,
       CASE WHEN ${u('person.provider', 'b.pid')} < 0.62 THEN 'local'
            WHEN ${u('person.provider', 'b.pid')} < 0.90 THEN 'shibboleth'
            WHEN ${u('person.provider', 'b.pid')} < 0.95 THEN 'twitter' ELSE 'google' END AS provider,
       NULL::text AS tpi, false AS superuser, false AS staff, NULL::text AS username,
       CASE WHEN ${u('person.level', 'b.pid')} < 0.9 THEN 4 ELSE ${h('person.level.n', 'b.pid')} % 4 END AS level,
       pg_temp.sbx_ic(b.fn) AS fn, pg_temp.sbx_ic(b.ln) AS ln, NULL::boolean AS cyc, NULL::boolean AS pit
  FROM sbx_base b
UNION ALL
-- case-duplicate twins (and a few triples) of regular users
SELECT ${N} + b.pid, NULL, 'twin', ${variant1('b.email')}, ${variant1('b.email')}, true,
       ${u('person.active', `${N} + b.pid`)} < 0.45,
       CASE WHEN ${u('person.provider', `${N} + b.pid`)} < 0.5 THEN 'local' ELSE 'shibboleth' END,
       NULL, false, false, NULL, 4, pg_temp.sbx_ic(b.fn), pg_temp.sbx_ic(b.ln), NULL, NULL
  FROM sbx_base b WHERE ${u('person.twin', 'b.pid')} < ${p.pTwin}
UNION ALL
SELECT ${2 * N} + b.pid, NULL, 'triple', ${variant2('b.email')}, ${variant2('b.email')}, true,
       ${u('person.active', `${2 * N} + b.pid`)} < 0.3, 'local',
       NULL, false, false, NULL, 4, pg_temp.sbx_uc(b.fn), pg_temp.sbx_uc(b.ln), NULL, NULL
  FROM sbx_base b WHERE ${u('person.twin', 'b.pid')} < ${p.pTriple}
UNION ALL
-- the fixed hard cases and system users
SELECT s.pid, s.tag, 'special', CASE WHEN s.astakos THEN s.email END, s.email, s.astakos, s.active, s.provider, s.tpi,
       s.superuser, s.staff, s.username, s.level, s.fn, s.ln, s.cyc, s.pit
  FROM (VALUES ${specials.join(',\n               ')}) AS s(pid, tag, email, astakos, active, provider, tpi, superuser, staff, username, level, fn, ln, cyc, pit)
UNION ALL
-- a case variant that exists only in cyclades (no astakos twin)
SELECT ${5 * N} + b.pid, NULL, 'cyc-variant', NULL, ${variant2('b.email')}, false, true, NULL, NULL, false, false, NULL, NULL, NULL, NULL, true, false
  FROM sbx_base b WHERE ${u('person.cycvar', 'b.pid')} < ${p.pCycVariant} AND ${u('person.twin', 'b.pid')} >= ${p.pTwin}
UNION ALL
-- a case variant that exists only in pithos
SELECT ${6 * N} + b.pid, NULL, 'pithos-variant', NULL, ${variant1('b.email')}, false, true, NULL, NULL, false, false, NULL, NULL, NULL, NULL, false, true
  FROM sbx_base b WHERE ${u('person.pitvar', 'b.pid')} < ${p.pPithosVariant} AND ${u('person.twin', 'b.pid')} >= ${p.pTwin}
UNION ALL
-- former users: data left in cyclades/pithos, no astakos account
SELECT ${7 * N} + k, NULL, 'orphan', NULL,
       ${pick(['former', 'old', 'ex', 'left'], 'orphan.prefix', 'k')} || '.' || ${pick(LAST_NAMES, 'orphan.last', 'k')} || k || '@' || ${pick(DOMAINS, 'orphan.domain', 'k')},
       false, true, NULL, NULL, false, false, NULL, NULL, NULL, NULL,
       ${u('orphan.cyc', 'k')} < 0.6, ${u('orphan.cyc', 'k')} >= 0.4
  FROM generate_series(1, ${p.orphans}) k
UNION ALL
-- identifiers that already are uuids (mixed email/uuid identifiers)
SELECT ${8 * N} + k, NULL, 'uuid', NULL, ${uuid('uuid.ident', 'k')}, false, true, NULL, NULL, false, false, NULL, NULL, NULL, NULL,
       ${u('uuid.cyc', 'k')} < 0.6, ${u('uuid.cyc', 'k')} >= 0.4
  FROM generate_series(1, ${p.uuidIdents}) k;

CREATE TEMP TABLE sbx_people AS
SELECT q.*, CASE WHEN q.astakos THEN row_number() OVER (PARTITION BY q.astakos ORDER BY q.joined, q.pid) END::integer AS uid
  FROM (SELECT p.pid, p.tag, p.kind, p.email, p.ident, p.astakos, p.active, p.provider,
               CASE WHEN p.tpi IS NOT NULL OR NOT p.astakos THEN p.tpi
                    WHEN p.provider = 'shibboleth' THEN 'u' || p.pid || '@idp.' || ${pick(['uoa.gr', 'ntua.gr', 'auth.gr', 'upatras.gr', 'grnet.gr'], 'tpi.idp', 'p.pid')}
                    WHEN p.provider = 'twitter' THEN (10000000 + ${h('tpi.twitter', 'p.pid')} % 900000000)::text
                    WHEN p.provider = 'google' THEN '1' || lpad(p.pid::text, 20, '0') END AS tpi,
               p.superuser, p.staff, p.username, p.level, p.fn, p.ln,
               coalesce(p.cyc, CASE WHEN p.active THEN ${u('person.cyc', 'p.pid')} < 0.55 ELSE ${u('person.cyc', 'p.pid')} < 0.08 END
                               OR ${u('person.cycvar', 'p.pid')} < ${p.pCycVariant}) AS cyc,
               coalesce(p.pit, CASE WHEN p.active THEN ${u('person.pit', 'p.pid')} < 0.78 ELSE ${u('person.pit', 'p.pid')} < 0.12 END
                               OR ${u('person.pitvar', 'p.pid')} < ${p.pPithosVariant}) AS pit,
               ${joined('p.pid')} AS joined
          FROM sbx_people0 p) q;
CREATE UNIQUE INDEX ON sbx_people (pid);
ANALYZE sbx_people;
DROP TABLE sbx_base;
DROP TABLE sbx_people0;
`;
}

/** pid of a special person, for SQL. */
export function specialPid(p: GenParams, tag: string): number {
  const k = SPECIALS.findIndex((s) => s.tag === tag);
  if (k < 0) throw new Error(`no special ${tag}`);
  return 4 * p.users + k + 1;
}

