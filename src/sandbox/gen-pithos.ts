// Pithos 0.12.5 data: the node tree (root → accounts → containers → objects), versions in
// all three clusters with latest_version, attributes, statistics that add up along the
// tree, policies, permissions (xfeatures/xfeaturevals), groups and public objects.
import type { GenParams } from './params.js';
import { arr, epoch, h, hex, NOW, pick, tsBetween, u, uuid } from './sqlgen.js';
import { imageUuid, SYSTEM_IMAGES } from './gen-cyclades.js';
import { variant1 } from './universe.js';

const T_NOW = `timestamptz '${NOW}'`;
const EMPTY_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const DEFAULT_QUOTA = '53687091200';

const EXTRA_CONTAINERS = ['photos', 'backup', 'documents', 'music', 'work', 'projects', 'shared', 'videos', 'images'];
const DIRS = ['Documents', 'Photos', 'Music', 'Backup', 'Projects', 'src', 'papers', '2012', 'shared', 'Videos', 'courses'];
const BASES = ['report', 'IMG_', 'notes', 'thesis', 'backup', 'data', 'slides', 'invoice', 'song', 'video',
  'archive', 'paper', 'draft', 'photo', 'scan', 'lecture', 'results', 'budget'];
const FILETYPES: ReadonlyArray<[string, string]> = [
  ['.pdf', 'application/pdf'], ['.jpg', 'image/jpeg'], ['.png', 'image/png'], ['.txt', 'text/plain'],
  ['.odt', 'application/vnd.oasis.opendocument.text'], ['.tar.gz', 'application/x-gzip'], ['.mp3', 'audio/mpeg'],
  ['.iso', 'application/octet-stream'], ['.py', 'text/x-python'], ['.csv', 'text/csv'], ['.mp4', 'video/mp4'],
  ['.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
];
const TAGS = ['vacation', 'work', 'important', 'draft', 'family', 'todo', 'archive', 'public'];
export const GROUP_NAMES = ['friends', 'team', 'family', 'lab', 'students', 'colleagues'];

export function pithosDataSql(p: GenParams): string[] {
  const stmts: string[] = [];
  const objCount = `CASE WHEN ${u('acc.empty', 'p.pid')} < 0.25 THEN 0 ELSE floor(exp(${u('acc.nobj', 'p.pid')} * ln(${p.objScale})))::integer END`;

  // accounts, ids in creation order
  stmts.push(`
CREATE TEMP TABLE sbx_acc AS
SELECT row_number() OVER (ORDER BY t0, pid)::integer AS node, x.* FROM (
  SELECT p.pid, p.tag, p.kind, p.ident AS path,
         p.joined + ${u('acc.t0', 'p.pid')} * least(interval '30 days', ${T_NOW} - p.joined) AS t0,
         ${u('acc.trash', 'p.pid')} < 0.6 AS trash,
         CASE WHEN p.tag IN ('images-owner', 'big-container') THEN 2
              WHEN p.tag IS NULL AND ${u('acc.bare', 'p.pid')} < 0.03 THEN 0  -- created lazily, never used
              ELSE 1 + (${u('acc.trash', 'p.pid')} < 0.6)::integer + floor(4 * ${u('acc.extra', 'p.pid')} ^ 2)::integer END AS ncont,
         CASE WHEN p.tag IS NULL AND ${u('acc.bare', 'p.pid')} < 0.03 THEN 0
              WHEN p.tag = 'big-container' THEN ${p.bigContainer} + 10
              WHEN p.tag = 'images-owner' THEN 0
              WHEN p.tag IS NOT NULL THEN greatest(4, ${objCount})
              ELSE ${objCount} END AS nobj,
         CASE WHEN p.tag = 'admin' THEN '0'
              WHEN ${u('acc.quota', 'p.pid')} >= 0.08 THEN NULL
              WHEN ${u('acc.quota.v', 'p.pid')} < 0.25 THEN '0'
              WHEN ${u('acc.quota.v', 'p.pid')} < 0.60 THEN '107374182400'
              WHEN ${u('acc.quota.v', 'p.pid')} < 0.85 THEN '21474836480' ELSE '5368709120' END AS quota
    FROM sbx_people p WHERE p.pit) x;
CREATE UNIQUE INDEX ON sbx_acc (node);
ANALYZE sbx_acc;
CREATE TEMP TABLE sbx_cont AS
SELECT (SELECT max(node) FROM sbx_acc) + row_number() OVER (ORDER BY acc, j)::integer AS node, x.*, path_acc || '/' || name AS path
  FROM (SELECT a.node AS acc, a.pid, a.path AS path_acc, j,
               CASE WHEN j = 1 THEN 'pithos'
                    WHEN a.tag = 'images-owner' THEN 'images'
                    WHEN a.tag = 'big-container' THEN 'backup'
                    WHEN j = 2 AND a.trash THEN 'trash'
                    ELSE (${arr(EXTRA_CONTAINERS)})[1 + (${h('cont.off', 'a.pid')} + j) % ${EXTRA_CONTAINERS.length}] END AS name,
               CASE WHEN j = 1 THEN a.t0 ELSE ${tsBetween('cont.created', 'a.pid * 8 + j', 'a.t0', T_NOW)} END AS created,
               CASE WHEN j > 1 AND ${u('cont.versioning', 'a.pid * 8 + j')} < 0.1 THEN 'none' ELSE 'auto' END AS versioning
          FROM sbx_acc a, generate_series(1, a.ncont) j) x;
CREATE UNIQUE INDEX ON sbx_cont (acc, j);
ANALYZE sbx_cont;`);

  // objects: files, folders, some deleted; the big container; the system images
  const fileName = `CASE WHEN ${u('obj.nonascii', 'o.key')} < 0.02 THEN 'Έγγραφα/σημειώσεις ' || o.j || '.txt'
      ELSE CASE WHEN ${u('obj.indir', 'o.key')} < 0.35 THEN ${pick(DIRS, 'obj.dir', 'o.key')} || '/' ELSE '' END
           || ${pick(BASES, 'obj.base', 'o.key')} || o.j || (${arr(FILETYPES.map((f) => f[0]))})[1 + ${h('obj.type', 'o.key')} % ${FILETYPES.length}] END`;
  stmts.push(`
CREATE TEMP TABLE sbx_obj AS
SELECT (SELECT max(node) FROM sbx_cont) + row_number() OVER (ORDER BY c.node, o.j)::integer AS node,
       c.node AS cont, c.acc, c.pid, c.path_acc AS owner, o.j, o.key, c.versioning, o.kind,
       c.path || '/' || CASE WHEN o.kind = 'folder' THEN ${pick(DIRS, 'obj.dir', 'o.key')} || ' ' || o.j ELSE ${fileName} END AS path,
       ${tsBetween('obj.created', 'o.key', 'c.created', T_NOW)} AS created, o.deleted,
       CASE WHEN c.versioning = 'none' THEN 0 ELSE o.nhist END AS nhist,
       CASE WHEN o.kind = 'folder' THEN 0::bigint
            WHEN ${u('obj.sizeclass', 'o.key')} < 0.60 THEN floor(exp(${u('obj.size', 'o.key')} * ln(1e6)))::bigint
            WHEN ${u('obj.sizeclass', 'o.key')} < 0.95 THEN floor(exp(ln(1e6) + ${u('obj.size', 'o.key')} * ln(100)))::bigint
            ELSE floor(exp(ln(1e8) + ${u('obj.size', 'o.key')} * ln(40)))::bigint END AS size0,
       CASE WHEN o.kind = 'folder' THEN 'application/directory'
            WHEN ${u('obj.nonascii', 'o.key')} < 0.02 THEN 'text/plain'
            ELSE (${arr(FILETYPES.map((f) => f[1]))})[1 + ${h('obj.type', 'o.key')} % ${FILETYPES.length}] END AS type,
       ${uuid('obj.uuid', 'o.key')} AS ouuid
  FROM (SELECT a.node AS acc, j, a.node::bigint * 100000 + j AS key,
               CASE WHEN a.tag = 'big-container' AND j > 10 THEN 2 ELSE 1 + ${h('obj.cont', 'a.node::bigint * 100000 + j')} % a.ncont END AS cj,
               CASE WHEN ${u('obj.kind', 'a.node::bigint * 100000 + j')} < 0.05 THEN 'folder' ELSE 'file' END AS kind,
               ${u('obj.deleted', 'a.node::bigint * 100000 + j')} < 0.07 AS deleted,
               least(6, floor(-ln(1 - ${u('obj.nhist', 'a.node::bigint * 100000 + j')}) * 0.7))::integer AS nhist
          FROM sbx_acc a, generate_series(1, a.nobj) j) o
  JOIN sbx_cont c ON c.acc = o.acc AND c.j = o.cj;
INSERT INTO sbx_obj (node, cont, acc, pid, owner, j, key, versioning, kind, path, created, deleted, nhist, size0, type, ouuid)
SELECT (SELECT coalesce(max(node), (SELECT max(node) FROM sbx_cont)) FROM sbx_obj) + k, c.node, c.acc, c.pid, c.path_acc, k, -k, c.versioning,
       'image', c.path || '/' || (${arr(SYSTEM_IMAGES.map((i) => i[1]))})[k], c.created + k * interval '3 days', false, 0,
       ${h('img.size', 'k')} % 1500000000 + 500000000, 'application/octet-stream', ${imageUuid('k')}
  FROM sbx_cont c JOIN sbx_acc a ON a.node = c.acc, generate_series(1, ${SYSTEM_IMAGES.length}) k
 WHERE a.tag = 'images-owner' AND c.j = 2;
CREATE UNIQUE INDEX ON sbx_obj (node);
ANALYZE sbx_obj;`);

  // versions: one per account and container; per object its history (cluster 1), then the
  // current version (cluster 0) or, for deleted objects, a deletion marker (cluster 2)
  const m = `(o.nhist + 1 + o.deleted::integer)`;
  stmts.push(`
CREATE TEMP TABLE sbx_pidx AS SELECT row_number() OVER (ORDER BY pid)::integer AS idx, pid, ident FROM sbx_people WHERE pit;
CREATE UNIQUE INDEX ON sbx_pidx (idx);
ANALYZE sbx_pidx;
CREATE TEMP TABLE sbx_ver AS
SELECT a.node, 1 AS t, 0 AS cluster, 0::bigint AS size, '' AS type, NULL::text AS hash, a.path AS muser,
       ${uuid('acc.uuid', 'a.node')} AS uuid, '' AS checksum, ${epoch('a.t0')} AS mtime, 0 AS p1, NULL::integer AS p2, NULL::integer AS p3
  FROM sbx_acc a
UNION ALL
SELECT c.node, 1, 0, 0, '', NULL, c.path_acc, ${uuid('cont.uuid', 'c.node')}, '', ${epoch('c.created')}, c.acc, 0, NULL
  FROM sbx_cont c
UNION ALL
SELECT o.node, t,
       CASE WHEN o.deleted AND t = ${m} THEN 2 WHEN t < ${m} THEN 1 ELSE 0 END,
       CASE WHEN o.deleted AND t = ${m} THEN 0 WHEN t >= ${m} - o.deleted::integer THEN o.size0
            ELSE floor(o.size0 * (0.3 + 0.7 * ${u('ver.size', 'o.key * 8 + t')}))::bigint END,
       CASE WHEN o.deleted AND t = ${m} THEN '' ELSE o.type END,
       CASE WHEN o.deleted AND t = ${m} THEN NULL WHEN o.size0 = 0 THEN '${EMPTY_HASH}' ELSE ${hex('ver.hash', 'o.key * 8 + t', 64)} END,
       CASE WHEN ${u('ver.muser', 'o.key * 8 + t')} < 0.03
            THEN (SELECT x.ident FROM sbx_pidx x WHERE x.idx = 1 + ${h('ver.muser.who', 'o.key * 8 + t')} % (SELECT count(*) FROM sbx_pidx))
            ELSE o.owner END,
       o.ouuid,
       CASE WHEN (o.deleted AND t = ${m}) OR ${u('ver.md5', 'o.key')} >= 0.2 THEN '' ELSE ${hex('ver.md5', 'o.key * 8 + t', 32)} END,
       ${epoch(`o.created + (t - 1) * (${T_NOW} - o.created) * (0.2 + 0.8 * ${u('ver.step', 'o.key')}) / ${m}`)},
       o.cont, o.acc, 0
  FROM sbx_obj o, generate_series(1, ${m}) t;
INSERT INTO versions (serial, node, hash, size, type, source, mtime, muser, uuid, checksum, cluster)
SELECT serial, node, hash, size, type, lag(serial) OVER (PARTITION BY node ORDER BY t), mtime, muser, uuid, checksum, cluster
  FROM (SELECT row_number() OVER (ORDER BY mtime, node, t)::integer AS serial, * FROM sbx_ver) v
 ORDER BY serial;`);

  stmts.push(`
CREATE TEMP TABLE sbx_latest AS SELECT node, max(serial) AS latest FROM versions GROUP BY node;
INSERT INTO nodes (node, parent, latest_version, path)
SELECT 0, 0, NULL, ''
UNION ALL SELECT a.node, 0, l.latest, a.path FROM sbx_acc a JOIN sbx_latest l ON l.node = a.node
UNION ALL SELECT c.node, c.acc, l.latest, c.path FROM sbx_cont c JOIN sbx_latest l ON l.node = c.node
UNION ALL SELECT o.node, o.cont, l.latest, o.path FROM sbx_obj o JOIN sbx_latest l ON l.node = o.node
 ORDER BY 1;
DROP TABLE sbx_latest;
INSERT INTO statistics (node, population, size, mtime, cluster)
SELECT anc, sum(pop)::integer, sum(size), max(mtime), cluster FROM (
  SELECT p1 AS anc, 1 AS pop, size, mtime, cluster FROM sbx_ver
  UNION ALL SELECT p2, 0, size, mtime, cluster FROM sbx_ver WHERE p2 IS NOT NULL
  UNION ALL SELECT p3, 0, size, mtime, cluster FROM sbx_ver WHERE p3 IS NOT NULL) s
 GROUP BY anc, cluster ORDER BY anc, cluster;
DROP TABLE sbx_ver;
INSERT INTO policy (node, key, value)
SELECT node, 'quota', quota FROM sbx_acc WHERE quota IS NOT NULL
UNION ALL SELECT node, 'quota', '${DEFAULT_QUOTA}' FROM sbx_cont
UNION ALL SELECT node, 'versioning', versioning FROM sbx_cont
 ORDER BY 1, 2;`);

  // metadata: user metadata on objects (copied to every version), containers, accounts;
  // plankton properties on the system images (which are also shared with everybody: '*')
  stmts.push(`
INSERT INTO attributes (serial, domain, key, value)
SELECT serial, domain, key, value FROM (
  SELECT v.serial, 'pithos' AS domain, 'X-Object-Meta-Tag' AS key, ${pick(TAGS, 'attr.tag', 'v.node')} AS value
    FROM versions v WHERE v.node > (SELECT max(node) FROM sbx_cont) AND ${u('attr.has', 'v.node')} < 0.25
  UNION ALL
  SELECT v.serial, 'pithos', 'X-Object-Meta-Description', ${pick(['scanned copy', 'final version', 'from the lab', 'do not delete', 'Σημειώσεις μαθήματος'], 'attr.desc', 'v.node')}
    FROM versions v WHERE v.node > (SELECT max(node) FROM sbx_cont) AND ${u('attr.has', 'v.node')} < 0.08
  UNION ALL
  SELECT v.serial, 'pithos', 'X-Container-Meta-Color', ${pick(['red', 'blue', 'green'], 'attr.color', 'v.node')}
    FROM versions v WHERE v.node > (SELECT max(node) FROM sbx_acc) AND v.node <= (SELECT max(node) FROM sbx_cont) AND ${u('attr.cont', 'v.node')} < 0.1
  UNION ALL
  SELECT v.serial, 'pithos', 'X-Account-Meta-Language', ${pick(['el', 'en'], 'attr.lang', 'v.node')}
    FROM versions v WHERE v.node BETWEEN 1 AND (SELECT max(node) FROM sbx_acc) AND ${u('attr.acc', 'v.node')} < 0.05
  UNION ALL
  SELECT v.serial, 'plankton', k.key, CASE k.key
           WHEN 'plankton:name' THEN (${arr(SYSTEM_IMAGES.map((i) => i[0]))})[o.j]
           WHEN 'plankton:container_format' THEN 'bare' WHEN 'plankton:disk_format' THEN 'diskdump'
           WHEN 'plankton:status' THEN 'available'
           ELSE '{"OS": "' || (${arr(SYSTEM_IMAGES.map((i) => i[2]))})[o.j] || '", "ROOT_PARTITION": "1", "USERS": "root", "description": "' || (${arr(SYSTEM_IMAGES.map((i) => i[0]))})[o.j] || '"}' END
    FROM sbx_obj o JOIN versions v ON v.node = o.node
   CROSS JOIN (VALUES ('plankton:name'), ('plankton:container_format'), ('plankton:disk_format'), ('plankton:status'), ('plankton:properties')) AS k(key)
   WHERE o.kind = 'image') a
 ORDER BY serial, domain, key;`);

  // sharing: permissions on objects and folders, groups (members as typed), public objects
  const special = (tag: string) => `(SELECT path FROM sbx_acc WHERE tag = '${tag}')`;
  stmts.push(`
CREATE TEMP TABLE sbx_xf AS
SELECT row_number() OVER (ORDER BY o.node)::integer AS fid, o.node, o.path, o.owner, o.kind
  FROM sbx_obj o
 WHERE NOT o.deleted
   AND (o.kind = 'image' OR (o.kind = 'folder' AND ${u('xf.folder', 'o.node')} < 0.25) OR ${u('xf.file', 'o.node')} < 0.03);
INSERT INTO xfeatures (feature_id, path) SELECT fid, path FROM sbx_xf ORDER BY fid;
INSERT INTO xfeaturevals (feature_id, key, value)
SELECT DISTINCT fid, key, value FROM (
  SELECT f.fid, f.star, f.w1, v.key, v.value
    FROM (SELECT x.fid, x.owner, x.kind = 'image' OR ${u('xf.star', 'x.fid')} < 0.12 AS star,
                 CASE WHEN ${u('xf.w', 'x.fid')} < 0.2 THEN pg_temp.sbx_lc(pw.ident) END AS w1,
                 pg_temp.sbx_lc(pr.ident) AS r1,
                 CASE WHEN ${u('xf.grp', 'x.fid')} < 0.35 THEN pg_temp.sbx_lc(x.owner) || ':' || ${pick(GROUP_NAMES, 'xf.grpname', 'x.fid')} END AS r2,
                 CASE WHEN ${u('xf.raw', 'x.fid')} < 0.03 THEN ${uuid('xf.uuid', 'x.fid')}
                      WHEN ${u('xf.raw', 'x.fid')} < 0.06 THEN pw.ident END AS r3
            FROM sbx_xf x
            JOIN sbx_pidx pr ON pr.idx = 1 + ${h('xf.r1', 'x.fid')} % (SELECT count(*) FROM sbx_pidx)
            JOIN sbx_pidx pw ON pw.idx = 1 + ${h('xf.w1', 'x.fid')} % (SELECT count(*) FROM sbx_pidx)) f
   CROSS JOIN LATERAL (VALUES (0, CASE WHEN f.star THEN '*' ELSE f.r1 END), (0, CASE WHEN NOT f.star THEN f.r2 END),
                              (0, CASE WHEN NOT f.star THEN f.r3 END), (1, f.w1)) AS v(key, value)
  ) y
 WHERE value IS NOT NULL AND NOT (key = 0 AND value IS NOT DISTINCT FROM w1)
 ORDER BY 1, 2, 3;
-- a grant to the group of a mixed-case owner, stored lower-cased (0.12 never matched it)
INSERT INTO xfeatures (feature_id, path)
SELECT (SELECT coalesce(max(feature_id), 0) + 1 FROM xfeatures), min(o.path)
  FROM sbx_obj o JOIN sbx_acc a ON a.node = o.acc
 WHERE a.tag = 'triple-1' AND NOT o.deleted AND o.kind = 'file'
   AND NOT EXISTS (SELECT 1 FROM sbx_xf x WHERE x.node = o.node)
HAVING min(o.path) IS NOT NULL;
INSERT INTO xfeaturevals (feature_id, key, value)
SELECT f.feature_id, v.key, v.value FROM xfeatures f,
       (VALUES (0, pg_temp.sbx_lc(${special('triple-1')}) || ':team'), (1, 'john+cloud@example.com')) AS v(key, value)
 WHERE f.feature_id = (SELECT max(feature_id) FROM xfeatures) AND f.path LIKE ${special('triple-1')} || '/%';
INSERT INTO groups (owner, name, member)
SELECT DISTINCT owner, name, member FROM (
  SELECT a.path AS owner, (${arr(GROUP_NAMES)})[1 + (${h('grp.off', 'a.pid')} + g) % ${GROUP_NAMES.length}] AS name,
         CASE WHEN ${u('grp.kind', 'a.pid * 64 + g * 8 + m')} < 0.05 THEN 'external' || (a.pid * 64 + g * 8 + m) || '@gmail.com'
              WHEN ${u('grp.kind', 'a.pid * 64 + g * 8 + m')} < 0.08 THEN ${uuid('grp.uuid', 'a.pid * 64 + g * 8 + m')}
              WHEN ${u('grp.kind', 'a.pid * 64 + g * 8 + m')} < 0.18 THEN ${variant1('x.ident')}
              WHEN ${u('grp.kind', 'a.pid * 64 + g * 8 + m')} < 0.24 THEN pg_temp.sbx_uc(x.ident)
              ELSE x.ident END AS member
    FROM sbx_acc a
   CROSS JOIN generate_series(1, 1 + ${h('grp.n', 'a.pid')} % 2) g
   CROSS JOIN generate_series(1, 1 + ${h('grp.m', 'a.pid * 4 + g')} % 4) m
    JOIN sbx_pidx x ON x.idx = 1 + ${h('grp.who', 'a.pid * 64 + g * 8 + m')} % (SELECT count(*) FROM sbx_pidx)
   WHERE ${u('grp.has', 'a.pid')} < 0.08
  UNION ALL
  SELECT ${special('triple-1')}, 'team', m FROM unnest(ARRAY['JOHN+CLOUD@EXAMPLE.COM', 'Eleni.P@example.gr', 'k.lee@example.net']) m
  UNION ALL
  SELECT ${special('dot-1')}, 'friends', m FROM unnest(ARRAY['George.T@example.gr', 'GEORGE.T@EXAMPLE.GR', 'b1946ac9-2b5e-4c47-9a4f-7d5c3e8f0a12', 'maria.k@example.gr']) m
  ) g
 ORDER BY 1, 2, 3;
INSERT INTO public (public_id, path, active)
SELECT row_number() OVER (ORDER BY o.node), o.path,
       CASE WHEN a.tag = 'dot-1' AND o.j <= 2 THEN o.j = 1 AND NOT o.deleted ELSE NOT o.deleted AND ${u('pub.active', 'o.node')} >= 0.25 END
  FROM sbx_obj o JOIN sbx_acc a ON a.node = o.acc
 WHERE o.kind = 'file' AND ((NOT o.deleted AND ${u('pub.has', 'o.node')} < 0.02) OR (o.deleted AND ${u('pub.has', 'o.node')} < 0.08)
                            OR (a.tag = 'dot-1' AND o.j <= 2));
DROP TABLE sbx_xf;
DROP TABLE sbx_pidx;
DROP TABLE sbx_obj;
DROP TABLE sbx_cont;
DROP TABLE sbx_acc;`);
  return stmts;
}
