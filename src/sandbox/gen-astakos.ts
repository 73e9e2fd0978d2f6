// Astakos 0.12.5 data: users (auth_user + im_astakosuser) and everything that hangs off
// them, from sbx_people. Set-based: each statement is one INSERT … SELECT.
import type { GenParams } from './params.js';
import { between, EPOCH, h, hex, lit, NOW, pick, tsBetween, u } from './sqlgen.js';
import { DOMAINS, FIRST_NAMES, LAST_NAMES, variant1 } from './universe.js';

const T_NOW = `timestamptz '${NOW}'`;

/** Django content types of an astakos 0.12.5 database (app_label, model, verbose name). */
export const ASTAKOS_CONTENT_TYPES_0125: ReadonlyArray<[string, string, string]> = [
  ['auth', 'permission', 'permission'], ['auth', 'group', 'group'], ['auth', 'user', 'user'],
  ['auth', 'message', 'message'], ['contenttypes', 'contenttype', 'content type'],
  ['sessions', 'session', 'session'], ['sites', 'site', 'site'], ['admin', 'logentry', 'log entry'],
  ['south', 'migrationhistory', 'migration history'], ['im', 'astakosuser', 'astakos user'],
  ['im', 'approvalterms', 'approval terms'], ['im', 'invitation', 'invitation'],
  ['im', 'emailchange', 'email change'], ['im', 'service', 'service'], ['im', 'additionalmail', 'additional mail'],
];

/** Content types syncdb adds at 0.13 (astakos im models and the quotaholder app). */
export const ASTAKOS_CONTENT_TYPES_013: ReadonlyArray<[string, string, string]> = [
  ['im', 'resource', 'resource'], ['im', 'resourcemetadata', 'resource metadata'],
  ['im', 'astakosuserquota', 'astakos user quota'], ['im', 'astakosuserauthprovider', 'astakos user auth provider'],
  ['im', 'pendingthirdpartyuser', 'pending third party user'], ['im', 'sessioncatalog', 'session catalog'],
  ['im', 'usersetting', 'user setting'], ['im', 'chain', 'chain'], ['im', 'projectapplication', 'project application'],
  ['im', 'projectresourcegrant', 'project resource grant'], ['im', 'project', 'project'],
  ['im', 'projectmembership', 'project membership'], ['im', 'serial', 'serial'],
  ['im', 'projectmembershiphistory', 'project membership history'],
  ['quotaholder_app', 'holder', 'holder'], ['quotaholder_app', 'entity', 'entity'],
  ['quotaholder_app', 'policy', 'policy'], ['quotaholder_app', 'holding', 'holding'],
  ['quotaholder_app', 'commission', 'commission'], ['quotaholder_app', 'provision', 'provision'],
  ['quotaholder_app', 'provisionlog', 'provision log'], ['quotaholder_app', 'callserial', 'call serial'],
];

/** INSERTs of content types (ids from FIRST) and their add/change/delete permissions. */
export function contentTypesSql(types: ReadonlyArray<[string, string, string]>, withPermissions: boolean): string {
  const values = types.map(([app, model, name], i) => `(${i + 1}, ${lit(name)}, ${lit(app)}, ${lit(model)})`).join(', ');
  let sql = `INSERT INTO django_content_type (id, name, app_label, model)
SELECT (SELECT coalesce(max(id), 0) FROM django_content_type) + row_number() OVER (ORDER BY t.ord), t.name, t.app, t.model
  FROM (VALUES ${values}) AS t(ord, name, app, model)
 WHERE NOT EXISTS (SELECT 1 FROM django_content_type c WHERE c.app_label = t.app AND c.model = t.model);\n`;
  if (withPermissions) {
    sql += `INSERT INTO auth_permission (id, name, content_type_id, codename)
SELECT (SELECT coalesce(max(id), 0) FROM auth_permission) + row_number() OVER (ORDER BY c.id, a.n), left('Can ' || a.verb || ' ' || c.name, 50), c.id, a.verb || '_' || c.model
  FROM django_content_type c CROSS JOIN (VALUES (1, 'add'), (2, 'change'), (3, 'delete')) AS a(n, verb)
 WHERE NOT EXISTS (SELECT 1 FROM auth_permission p WHERE p.content_type_id = c.id AND p.codename = a.verb || '_' || c.model);\n`;
  }
  return sql;
}

const AFFILIATIONS = ['University of Athens', 'National Technical University of Athens',
  'Aristotle University of Thessaloniki', 'University of Patras', 'GRNET', 'University of Crete'];
const MESSAGES = ['Your account has been activated.', 'Profile updated successfully.',
  'Invitation sent.', 'Your password has been changed.'];

export function astakosDataSql(p: GenParams): string[] {
  const stmts: string[] = [];
  stmts.push(`
CREATE TEMP TABLE sbx_au AS
SELECT p.*, CASE WHEN p.active THEN ${tsBetween('au.login', 'p.uid', 'p.joined', T_NOW)} ELSE p.joined END AS last_login
  FROM sbx_people p WHERE p.astakos;
CREATE UNIQUE INDEX ON sbx_au (uid);
ANALYZE sbx_au;`);

  stmts.push(`
INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
SELECT a.uid, coalesce(a.username, ${hex('au.username', 'a.pid', 30)}), left(a.fn, 30), left(a.ln, 30), a.email,
       CASE WHEN a.provider IN ('local', '') THEN 'sha1$' || ${hex('au.salt', 'a.pid', 5)} || '$' || ${hex('au.pw', 'a.pid', 40)} ELSE '!' END,
       a.staff, a.active, a.superuser, a.last_login, a.joined
  FROM sbx_au a ORDER BY a.uid;`);

  stmts.push(`
INSERT INTO im_astakosuser (user_ptr_id, affiliation, provider, level, invitations, auth_token, auth_token_created,
       auth_token_expires, updated, is_verified, third_party_identifier, email_verified, has_credits, has_signed_terms,
       date_signed_terms, activation_sent)
SELECT a.uid,
       CASE WHEN a.provider = 'shibboleth' THEN ${pick(AFFILIATIONS, 'au.affil', 'a.pid')} ELSE '' END,
       a.provider, a.level,
       CASE WHEN a.level < 4 THEN ${between('au.invitations', 'a.pid', 0, 5)} ELSE 0 END,
       t.token, t.created, t.created + interval '30 days',
       least(${T_NOW}, a.last_login + ${u('au.updated', 'a.pid')} * interval '2 days'),
       a.active OR ${u('au.verified', 'a.pid')} < 0.35,
       a.tpi,
       CASE WHEN a.active THEN ${u('au.emailverified', 'a.pid')} < 0.97 ELSE ${u('au.emailverified', 'a.pid')} < 0.25 END,
       ${u('au.credits', 'a.pid')} < 0.1,
       s.signed, CASE WHEN s.signed THEN a.joined + ${u('au.terms', 'a.pid')} * interval '3 days' END,
       CASE WHEN a.active THEN CASE WHEN ${u('au.actsent', 'a.pid')} < 0.03 THEN a.joined + interval '1 hour' END
            WHEN ${u('au.actsent', 'a.pid')} < 0.35 THEN timestamptz '1970-01-01 00:00:00+00'
            WHEN ${u('au.actsent', 'a.pid')} < 0.85 THEN a.joined + interval '1 minute' END
  FROM sbx_au a
  CROSS JOIN LATERAL (SELECT CASE WHEN a.active OR ${u('au.hastoken', 'a.pid')} < 0.3
                                  THEN encode(decode(${hex('au.token', 'a.pid', 32)}, 'hex'), 'base64') END AS token,
                             CASE WHEN a.active OR ${u('au.hastoken', 'a.pid')} < 0.3
                                  THEN greatest(a.joined, a.last_login - ${u('au.tokentime', 'a.pid')} * interval '20 days') END AS created) t
  CROSS JOIN LATERAL (SELECT CASE WHEN a.active THEN ${u('au.signed', 'a.pid')} < 0.85 ELSE ${u('au.signed', 'a.pid')} < 0.3 END AS signed) s
 ORDER BY a.uid;`);

  stmts.push(`
INSERT INTO django_site (id, domain, name) VALUES (1, 'example.com', 'example.com');
${contentTypesSql(ASTAKOS_CONTENT_TYPES_0125, true)}
INSERT INTO auth_group (id, name) VALUES (1, 'default'), (2, 'academic'), (3, 'helpdesk');
INSERT INTO auth_group_permissions (id, group_id, permission_id)
SELECT row_number() OVER (ORDER BY p.id), 3, p.id FROM auth_permission p
  JOIN django_content_type c ON c.id = p.content_type_id
 WHERE c.app_label = 'im' AND p.codename LIKE 'change_%';
INSERT INTO auth_user_groups (id, user_id, group_id)
SELECT row_number() OVER (ORDER BY uid, g), uid, g FROM (
  SELECT uid, 1 AS g FROM sbx_au WHERE active AND ${u('au.group.default', 'pid')} < 0.7
  UNION ALL SELECT uid, 2 FROM sbx_au WHERE provider = 'shibboleth'
  UNION ALL SELECT uid, 3 FROM sbx_au WHERE tag IN ('admin', 'helpdesk')) x;
INSERT INTO auth_user_user_permissions (id, user_id, permission_id)
SELECT row_number() OVER (ORDER BY a.uid, p.id), a.uid, p.id
  FROM sbx_au a, auth_permission p
 WHERE a.tag = 'helpdesk' AND p.codename IN ('change_astakosuser', 'change_invitation', 'delete_emailchange');
INSERT INTO auth_message (id, user_id, message)
SELECT row_number() OVER (ORDER BY uid), uid, ${pick(MESSAGES, 'au.msg.text', 'pid')}
  FROM sbx_au WHERE ${u('au.msg', 'pid')} < 0.02;`);

  // admin log: entries made by the staff users about other users
  stmts.push(`
INSERT INTO django_admin_log (id, action_time, user_id, content_type_id, object_id, object_repr, action_flag, change_message)
SELECT k, ${tsBetween('au.log.time', 'k', `timestamptz '${EPOCH}'`, T_NOW)}, s.uid,
       (SELECT id FROM django_content_type WHERE app_label = 'im' AND model = 'astakosuser'),
       t.uid::text, left(t.email, 200),
       CASE WHEN ${u('au.log.flag', 'k')} < 0.9 THEN 2 WHEN ${u('au.log.flag', 'k')} < 0.95 THEN 1 ELSE 3 END,
       ${pick(['Changed is_active.', 'Changed is_active and email_verified.', 'Changed level and invitations.', 'Changed has_credits.'], 'au.log.msg', 'k')}
  FROM generate_series(1, ${Math.max(5, Math.round(p.users / 100))}) k
  JOIN (SELECT row_number() OVER (ORDER BY uid) AS idx, uid FROM sbx_au WHERE staff) s
    ON s.idx = 1 + ${h('au.log.staff', 'k')} % (SELECT count(*) FROM sbx_au WHERE staff)
  JOIN sbx_au t ON t.uid = 1 + ${h('au.log.target', 'k')} % (SELECT count(*) FROM sbx_au);
INSERT INTO django_session (session_key, session_data, expire_date)
SELECT ${hex('au.session', 'pid', 32)}, encode(convert_to(${hex('au.sessiondata', 'pid', 64)} || ':' || uid, 'UTF8'), 'base64'),
       last_login + interval '14 days'
  FROM sbx_au WHERE active AND ${u('au.session.has', 'pid')} < 0.03;`);

  // invitations: consumed ones (the invitee is a user) and pending ones
  stmts.push(`
CREATE TEMP TABLE sbx_inviters AS
SELECT row_number() OVER (ORDER BY s.uid) AS idx, s.uid, a.invitations, s.joined
  FROM sbx_au s JOIN im_astakosuser a ON a.user_ptr_id = s.uid WHERE s.level < 4 AND s.active;
CREATE UNIQUE INDEX ON sbx_inviters (idx);
ANALYZE sbx_inviters;
INSERT INTO im_invitation (id, inviter_id, realname, username, code, is_consumed, created, consumed)
SELECT row_number() OVER (ORDER BY created, username), inviter, realname, username, code, consumed IS NOT NULL, created, consumed
  FROM (
    SELECT CASE WHEN ${u('inv.null', 'a.pid')} < 0.1 THEN NULL
                ELSE (SELECT i.uid FROM sbx_inviters i WHERE i.idx = 1 + ${h('inv.inviter', 'a.pid')} % greatest(1, (SELECT count(*) FROM sbx_inviters))) END AS inviter,
           left(a.fn || ' ' || a.ln, 255) AS realname, a.email AS username,
           (${h('inv.code.hi', 'a.pid')}::bigint << 31) | ${h('inv.code.lo', 'a.pid')} AS code,
           a.joined - ${u('inv.created', 'a.pid')} * interval '10 days' AS created, a.joined AS consumed
      FROM sbx_au a WHERE a.kind = 'regular' AND ${u('inv.invited', 'a.pid')} < 0.06
    UNION ALL
    SELECT i.uid, pg_temp.sbx_ic(${pick(FIRST_NAMES, 'inv.pending.fn', 'i.uid * 8 + j')}) || ' ' || pg_temp.sbx_ic(${pick(LAST_NAMES, 'inv.pending.ln', 'i.uid * 8 + j')}),
           'invitee' || i.uid || '.' || j || '@' || ${pick(DOMAINS, 'inv.pending.dom', 'i.uid * 8 + j')},
           (${h('inv.code.hi', '-(i.uid * 8 + j)')}::bigint << 31) | ${h('inv.code.lo', '-(i.uid * 8 + j)')},
           ${tsBetween('inv.pending.created', 'i.uid * 8 + j', 'i.joined', T_NOW)}, NULL
      FROM sbx_inviters i, generate_series(1, i.invitations % 3) j
  ) x;
INSERT INTO im_additionalmail (id, owner_id, email)
SELECT row_number() OVER (ORDER BY a.uid, j), a.uid,
       left('alt' || j || '.' || pg_temp.sbx_lc(split_part(a.email, '@', 1)) || '@' || ${pick(['gmail.com', 'yahoo.gr', 'hotmail.com', 'outlook.com'], 'am.dom', 'a.pid * 4 + j')}, 75)
  FROM sbx_au a, generate_series(1, 1 + ${h('am.count', 'a.pid')} % 2) j
 WHERE ${u('am.has', 'a.pid')} < 0.03;
INSERT INTO im_emailchange (id, new_email_address, user_id, requested_at, activation_key)
SELECT row_number() OVER (ORDER BY a.uid), left(CASE WHEN a.tag = 'dot-2' THEN 'K.Lee@example.net'
                                                   WHEN ${u('ec.kind', 'a.pid')} < 0.3 THEN ${variant1('a.email')}
                                                   ELSE 'new.' || split_part(a.email, '@', 1) || '@' || ${pick(DOMAINS, 'ec.dom', 'a.pid')} END, 75),
       a.uid, ${T_NOW} - ${u('ec.time', 'a.pid')} * interval '20 days', ${hex('ec.key', 'a.pid', 40)}
  FROM sbx_au a WHERE a.active AND (${u('ec.has', 'a.pid')} < 0.008 OR a.tag = 'dot-2');
INSERT INTO im_service (id, name, url, icon, auth_token, auth_token_created, auth_token_expires) VALUES
  (1, 'cyclades', 'https://cyclades.example.org/ui/', '', encode(decode(${hex('svc.token', '1', 32)}, 'hex'), 'base64'),
   timestamptz '2012-06-11 10:14:02+00', timestamptz '2012-07-11 10:14:02+00'),
  (2, 'pithos', 'https://pithos.example.org/ui/', '', encode(decode(${hex('svc.token', '2', 32)}, 'hex'), 'base64'),
   timestamptz '2012-06-11 10:15:40+00', timestamptz '2012-07-11 10:15:40+00');
INSERT INTO im_approvalterms (id, date, location) VALUES
  (1, timestamptz '2012-03-20 14:24:30+00', '/usr/share/synnefo/terms/terms-en-2012-03.html'),
  (2, timestamptz '2012-11-05 09:00:00+00', '/usr/share/synnefo/terms/terms-en-2012-11.html');
DROP TABLE sbx_inviters;
DROP TABLE sbx_au;`);
  return stmts;
}
