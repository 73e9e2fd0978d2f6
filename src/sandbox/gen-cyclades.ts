// Cyclades 0.12.5 data: backends, flavors, VMs in every state (and deleted ones), their
// metadata, diagnostics and NICs, public and private networks with pools, and public keys.
import type { GenParams } from './params.js';
import { between, EPOCH, h, hex, lit, NOW, pick, tsBetween, u, uuid } from './sqlgen.js';
import { ASTAKOS_CONTENT_TYPES_0125, contentTypesSql } from './gen-astakos.js';

/** Django content types of a cyclades 0.12.5 database. */
export const CYCLADES_CONTENT_TYPES: ReadonlyArray<[string, string, string]> = [
  ...ASTAKOS_CONTENT_TYPES_0125.filter(([a]) => a !== 'im' && a !== 'auth'),
  ['db', 'backend', 'backend'], ['db', 'flavor', 'flavor'], ['db', 'virtualmachine', 'virtual machine'],
  ['db', 'virtualmachinemetadata', 'virtual machine metadata'], ['db', 'network', 'network'],
  ['db', 'backendnetwork', 'backend network'], ['db', 'networkinterface', 'network interface'],
  ['db', 'bridgepooltable', 'bridge pool table'], ['db', 'macprefixpooltable', 'mac prefix pool table'],
  ['db', 'ippooltable', 'ip pool table'], ['db', 'virtualmachinediagnostic', 'virtual machine diagnostic'],
  ['userdata', 'publickeypair', 'public key pair'],
];

const T_NOW = `timestamptz '${NOW}'`;

/** (cpu, ram MiB, disk GiB, template, deleted) — deleted flavors come last. */
export const FLAVORS: ReadonlyArray<[number, number, number, string, boolean]> = [
  [1, 512, 5, 'drbd', false], [1, 1024, 10, 'drbd', false], [1, 2048, 20, 'drbd', false],
  [2, 2048, 20, 'drbd', false], [2, 4096, 40, 'drbd', false], [4, 4096, 40, 'drbd', false],
  [4, 8192, 80, 'drbd', false], [8, 8192, 80, 'drbd', false], [8, 16384, 160, 'drbd', false],
  [1, 1024, 10, 'plain', false], [2, 2048, 20, 'plain', false], [4, 4096, 40, 'plain', false],
  [8, 16384, 160, 'plain', false], [1, 1024, 20, 'ext_archipelago', false], [2, 4096, 40, 'ext_archipelago', false],
  [1, 256, 2, 'drbd', true], [2, 1024, 10, 'drbd', true], [1, 512, 5, 'plain', true],
];
const LIVE_FLAVORS = FLAVORS.filter((f) => !f[4]).length;

/** System images (also the plankton images of the images owner's pithos account). */
export const SYSTEM_IMAGES = [
  ['Ubuntu Server 12.04 LTS', 'ubuntu-12.04-x86_64.diskdump', 'ubuntu'],
  ['Debian Squeeze Base', 'debian_base-6.0-x86_64.diskdump', 'debian'],
  ['Debian Squeeze Desktop', 'debian_desktop-6.0-x86_64.diskdump', 'debian'],
  ['CentOS 6.3', 'centos-6.3-x86_64.diskdump', 'centos'],
  ['Fedora 17', 'fedora-17-x86_64.diskdump', 'fedora'],
  ['Windows Server 2008 R2', 'windows-2008r2-x86_64.diskdump', 'windows'],
  ['Ubuntu Desktop 12.10', 'ubuntu-desktop-12.10-x86_64.diskdump', 'ubuntu'],
  ['Kali Linux 1.0', 'kali-1.0-x86_64.diskdump', 'kali'],
] as const;

/** SQL expression: the image uuid of system image number K (1-based), same in pithos. */
export function imageUuid(k: string): string {
  return uuid('image.uuid', k);
}

const VM_NAMES = ['My Ubuntu server', 'web', 'db', 'build-box', 'Debian', 'test vm', 'lab', 'thesis',
  'mail', 'jenkins', 'Windows', 'CentOS 6', 'devel', 'student-vm', 'hadoop-node'];

export function cycladesDataSql(p: GenParams): string[] {
  const B = p.backends;
  const stmts: string[] = [];
  const flavorValues = FLAVORS.map((f, i) => `(${i + 1}, ${f[0]}, ${f[1]}, ${f[2]}, ${lit(f[3])}, ${f[4]})`).join(', ');

  stmts.push(`
INSERT INTO django_site (id, domain, name) SELECT 1, 'example.com', 'example.com' WHERE NOT EXISTS (SELECT 1 FROM django_site WHERE id = 1);
${contentTypesSql(CYCLADES_CONTENT_TYPES, false)}INSERT INTO db_backend (id, clustername, port, username, password_hash, hash, "index", drained, offline, updated,
       mfree, mtotal, dfree, dtotal, pinst_cnt, ctotal)
SELECT k, 'ganeti' || k || '.example.org', 5080, 'synnefo', ${hex('be.pw', 'k', 40)}, ${hex('be.hash', 'k', 40)}, k - 1,
       k = ${B} AND ${B} > 2, false, ${T_NOW} - interval '5 minutes',
       ${between('be.mfree', 'k', 20000, 90000)}, 262144, ${between('be.dfree', 'k', 200000, 900000)}, 2097152,
       ${between('be.pinst', 'k', 40, 400)}, 96
  FROM generate_series(1, ${B}) k;
INSERT INTO db_flavor (id, cpu, ram, disk, disk_template, deleted) VALUES ${flavorValues};
CREATE TEMP TABLE sbx_own AS
SELECT row_number() OVER (ORDER BY pid)::integer AS idx, pid, tag, kind, ident, joined, active FROM sbx_people WHERE cyc;
ANALYZE sbx_own;`);

  // VMs: per owner some live ones (in every operstate) and deleted ones, ids in creation order
  stmts.push(`
CREATE TEMP TABLE sbx_vm AS
SELECT row_number() OVER (ORDER BY created, pid, j)::integer AS id, x.* FROM (
  SELECT o.pid, o.idx, o.ident, j, j <= n.live AS live,
         ${tsBetween('vm.created', 'o.pid * 64 + j', 'o.joined', `${T_NOW} - interval '1 hour'`)} AS created,
         ${u('vm.state', 'o.pid * 64 + j')} AS su
    FROM sbx_own o
    CROSS JOIN LATERAL (SELECT CASE WHEN o.idx <= 5 OR o.tag IS NOT NULL THEN greatest(1, l) ELSE l END AS live,
                               CASE WHEN o.idx = 6 THEN greatest(1, d) ELSE d END AS dead
                          FROM (SELECT CASE WHEN ${u('vm.nlive', 'o.pid')} < 0.30 THEN 0 WHEN ${u('vm.nlive', 'o.pid')} < 0.72 THEN 1
                                            WHEN ${u('vm.nlive', 'o.pid')} < 0.90 THEN 2 ELSE 3 END AS l,
                                       least(10, floor(-ln(1 - ${u('vm.ndead', 'o.pid')}) * 1.1))::integer AS d) c) n
    CROSS JOIN generate_series(1, n.live + n.dead) j
) x;
ALTER TABLE sbx_vm ADD COLUMN operstate text;
UPDATE sbx_vm SET operstate = CASE
   WHEN NOT live THEN CASE WHEN su < 0.92 THEN 'DESTROYED' ELSE 'ERROR' END
   WHEN idx <= 4 AND j = 1 THEN (ARRAY['BUILD', 'ERROR', 'STOPPED', 'STARTED'])[idx]
   WHEN su < 0.60 THEN 'STARTED' WHEN su < 0.85 THEN 'STOPPED' WHEN su < 0.91 THEN 'BUILD' ELSE 'ERROR' END;
ANALYZE sbx_vm;
INSERT INTO db_virtualmachine (id, name, userid, backend_id, backend_hash, created, updated, imageid, hostid, flavor_id,
       deleted, suspended, action, operstate, backendjobid, backendopcode, backendjobstatus, backendlogmsg,
       buildpercentage, backendtime)
SELECT v.id, ${pick(VM_NAMES, 'vm.name', 'v.id')}, v.ident, be.id, be.hash, v.created,
       CASE WHEN v.operstate = 'BUILD' THEN v.created + interval '2 minutes'
            ELSE ${tsBetween('vm.updated', 'v.id', 'v.created', T_NOW)} END,
       CASE WHEN ${u('vm.userimage', 'v.id')} < 0.07 THEN ${uuid('vm.userimage.uuid', 'v.id')}
            ELSE ${imageUuid(`1 + ${h('vm.image', 'v.id')} % ${SYSTEM_IMAGES.length}`)} END,
       '',
       CASE WHEN v.live THEN 1 + ${h('vm.flavor', 'v.id')} % ${LIVE_FLAVORS} ELSE 1 + ${h('vm.flavor', 'v.id')} % ${FLAVORS.length} END,
       NOT v.live, v.live AND ${u('vm.suspended', 'v.id')} < 0.01,
       CASE v.operstate WHEN 'STARTED' THEN 'START' WHEN 'STOPPED' THEN 'STOP' WHEN 'BUILD' THEN 'CREATE'
            WHEN 'DESTROYED' THEN 'DESTROY' ELSE CASE WHEN v.live THEN 'CREATE' ELSE 'DESTROY' END END,
       v.operstate,
       CASE WHEN v.operstate = 'BUILD' AND ${u('vm.nojob', 'v.id')} < 0.3 THEN NULL ELSE 1000 + v.id * 3 END,
       CASE v.operstate WHEN 'STARTED' THEN 'OP_INSTANCE_STARTUP' WHEN 'STOPPED' THEN 'OP_INSTANCE_SHUTDOWN'
            WHEN 'BUILD' THEN 'OP_INSTANCE_CREATE' WHEN 'DESTROYED' THEN 'OP_INSTANCE_REMOVE'
            ELSE CASE WHEN v.live THEN 'OP_INSTANCE_CREATE' ELSE 'OP_INSTANCE_REMOVE' END END,
       CASE v.operstate WHEN 'ERROR' THEN 'error' WHEN 'BUILD' THEN 'running' ELSE 'success' END,
       CASE WHEN v.operstate = 'ERROR' THEN 'Instance creation failed: ' || ${pick(['not enough memory on node', 'disk creation failed', 'image helper timeout', 'DRBD sync error'], 'vm.err', 'v.id')} END,
       CASE v.operstate WHEN 'BUILD' THEN ${between('vm.build', 'v.id', 0, 99)} WHEN 'ERROR' THEN 0 ELSE 100 END,
       CASE WHEN v.operstate = 'BUILD' THEN v.created + interval '2 minutes' ELSE ${tsBetween('vm.betime', 'v.id', 'v.created', T_NOW)} END
  FROM sbx_vm v JOIN db_backend be ON be.id = 1 + ${h('vm.backend', 'v.id')} % ${B}
 ORDER BY v.id;
INSERT INTO db_virtualmachinemetadata (id, meta_key, meta_value, vm_id)
SELECT row_number() OVER (ORDER BY vm_id, meta_key), meta_key, meta_value, vm_id FROM (
  SELECT v.id AS vm_id, 'OS' AS meta_key, ${pick(SYSTEM_IMAGES.map((i) => i[2]), 'vm.os', 'v.id')} AS meta_value
    FROM sbx_vm v WHERE ${u('vm.meta.os', 'v.id')} < 0.95
  UNION ALL
  SELECT v.id, 'users', ${pick(['root', 'user', 'root user', 'Administrator'], 'vm.users', 'v.id')}
    FROM sbx_vm v WHERE ${u('vm.meta.users', 'v.id')} < 0.6) m;
INSERT INTO db_virtualmachinediagnostic (id, created, machine_id, level, source, source_date, message, details)
SELECT row_number() OVER (ORDER BY v.id, k), v.created + k * interval '20 seconds', v.id,
       CASE WHEN v.operstate = 'ERROR' AND k = 1 THEN 'ERROR' ELSE ${pick(['INFO', 'DEBUG', 'WARNING'], 'diag.level', 'v.id * 4 + k')} END,
       ${pick(['image-helper', 'ganeti', 'snf-image'], 'diag.source', 'v.id * 4 + k')}, v.created + k * interval '19 seconds',
       ${pick(['Image customization started', 'Resizing file system', 'Configuring network', 'Helper VM timed out', 'Copying image'], 'diag.msg', 'v.id * 4 + k')},
       CASE WHEN v.operstate = 'ERROR' THEN 'Traceback (most recent call last):\\n  ...' END
  FROM sbx_vm v, generate_series(1, 1 + ${h('diag.count', 'v.id')} % 3) k
 WHERE v.live AND v.operstate IN ('ERROR', 'BUILD');`);

  // networks: public (owner NULL or ''), an admin network with an owner, private user networks
  stmts.push(`
CREATE TEMP TABLE sbx_net AS
SELECT id, pid, userid, name, type, public, live, created FROM (
  VALUES (1, NULL::integer, NULL::text, 'public', 'PUBLIC_ROUTED', true, true, timestamptz '${EPOCH}'),
         (2, NULL, '', 'public-old', 'PUBLIC_ROUTED', true, true, timestamptz '2010-11-02 12:00:00+00'),
         (3, NULL, NULL, 'public-custom', 'CUSTOM_ROUTED', true, true, timestamptz '2012-09-01 08:00:00+00'),
         (4, NULL, 'admin@example.org', 'admin-backbone', 'CUSTOM_BRIDGED', false, true, timestamptz '2012-01-15 10:00:00+00')
) AS f(id, pid, userid, name, type, public, live, created)
UNION ALL
SELECT 4 + row_number() OVER (ORDER BY created, pid, j)::integer, pid, ident, name, type, false, live, created FROM (
  SELECT o.pid, o.ident, j, j <= c.live AS live,
         ${pick(['private', 'lan', 'backend', 'cluster', 'my network', 'internal'], 'net.name', 'o.pid * 8 + j')} AS name,
         CASE WHEN ${u('net.type', 'o.pid * 8 + j')} < 0.70 THEN 'PRIVATE_MAC_FILTERED'
              WHEN ${u('net.type', 'o.pid * 8 + j')} < 0.95 THEN 'PRIVATE_PHYSICAL_VLAN' ELSE 'CUSTOM_BRIDGED' END AS type,
         ${tsBetween('net.created', 'o.pid * 8 + j', 'o.joined', T_NOW)} AS created
    FROM sbx_own o
    CROSS JOIN LATERAL (SELECT CASE WHEN o.idx <= 2 OR ${u('net.has', 'o.pid')} < 0.22 THEN 1 + ${h('net.count', 'o.pid')} % 2 ELSE 0 END AS live,
                               CASE WHEN o.idx <= 2 OR ${u('net.hasdead', 'o.pid')} < 0.1 THEN 1 ELSE 0 END AS dead) c
    CROSS JOIN generate_series(1, c.live + c.dead) j) x;
ANALYZE sbx_net;
INSERT INTO db_ippooltable (id, available_map, reserved_map, size, base, "offset")
SELECT n.id, '0' || repeat('1', 252) || '000', '1' || repeat('0', 252) || '111', 256, NULL, NULL FROM sbx_net n;
INSERT INTO db_bridgepooltable (id, available_map, reserved_map, size, base, "offset")
VALUES (1, repeat('1', 180) || repeat('0', 20), repeat('0', 200), 200, 'prv', 1);
INSERT INTO db_macprefixpooltable (id, available_map, reserved_map, size, base, "offset")
VALUES (1, repeat('0', 64) || repeat('1', 4032), '1' || repeat('0', 4095), 4096, 'aa:00:0', 1);
INSERT INTO db_network (id, name, userid, subnet, subnet6, gateway, gateway6, dhcp, type, link, mac_prefix, public,
       created, updated, deleted, state, action, pool_id)
SELECT n.id, n.name, n.userid,
       CASE WHEN n.public THEN '83.212.' || (92 + 4 * n.id) || '.0/22' ELSE '10.' || (n.id / 256) % 256 || '.' || n.id % 256 || '.0/24' END,
       CASE WHEN n.public THEN '2001:648:2ffc:' || (1110 + n.id) || '::/64' END,
       CASE WHEN n.public THEN '83.212.' || (92 + 4 * n.id) || '.1' WHEN ${u('net.gw', 'n.id')} < 0.5 THEN '10.' || (n.id / 256) % 256 || '.' || n.id % 256 || '.1' END,
       CASE WHEN n.public THEN '2001:648:2ffc:' || (1110 + n.id) || '::1' END,
       n.public OR ${u('net.dhcp', 'n.id')} < 0.8, n.type,
       CASE n.type WHEN 'PUBLIC_ROUTED' THEN 'snf_public' WHEN 'CUSTOM_ROUTED' THEN 'public_custom'
                   WHEN 'PRIVATE_MAC_FILTERED' THEN 'prv0' WHEN 'PRIVATE_PHYSICAL_VLAN' THEN 'prv' || (1 + n.id % 200)
                   ELSE 'br' || n.id % 100 END,
       CASE WHEN n.type = 'PRIVATE_MAC_FILTERED' THEN 'aa:' || lpad(to_hex((n.id >> 8) % 256), 2, '0') || ':' || lpad(to_hex(n.id % 256), 2, '0') ELSE 'aa:00:00' END,
       n.public, n.created,
       CASE WHEN n.live THEN n.created + interval '1 minute' ELSE ${tsBetween('net.deleted', 'n.id', 'n.created', T_NOW)} END,
       NOT n.live,
       CASE WHEN NOT n.live THEN 'DELETED' WHEN ${u('net.state', 'n.id')} < 0.96 OR n.id <= 4 THEN 'ACTIVE'
            WHEN ${u('net.state', 'n.id')} < 0.98 THEN 'PENDING' ELSE 'ERROR' END,
       CASE WHEN NOT n.live THEN 'DESTROY' WHEN ${u('net.state', 'n.id')} < 0.96 OR n.id <= 4 THEN NULL ELSE 'CREATE' END,
       n.id
  FROM sbx_net n ORDER BY n.id;
INSERT INTO db_backendnetwork (id, network_id, backend_id, created, updated, deleted, mac_prefix, operstate, backendjobid,
       backendopcode, backendjobstatus, backendlogmsg, backendtime)
SELECT row_number() OVER (ORDER BY n.id, b.id), n.id, b.id, n.created, n.updated, n.deleted, n.mac_prefix,
       CASE WHEN n.deleted THEN 'DELETED' WHEN n.state = 'ACTIVE' THEN 'ACTIVE' ELSE 'PENDING' END,
       2000 + n.id * 8 + b.id, CASE WHEN n.deleted THEN 'OP_NETWORK_REMOVE' ELSE 'OP_NETWORK_CONNECT' END,
       CASE WHEN n.state = 'ERROR' THEN 'error' ELSE 'success' END, NULL, n.updated
  FROM db_network n CROSS JOIN db_backend b;`);

  // NICs: live VMs (not all BUILD ones) on a public network, some also on a private one of their owner
  stmts.push(`
CREATE TEMP TABLE sbx_ownnet AS
SELECT pid, min(id) AS net FROM sbx_net WHERE pid IS NOT NULL AND live GROUP BY pid;
INSERT INTO db_networkinterface (id, machine_id, network_id, created, updated, "index", mac, ipv4, ipv6, firewall_profile, dirty)
SELECT nic_id, vm, net, created, created + interval '30 seconds', idx,
       'aa:00:00:' || lpad(to_hex((nic_id >> 16) & 255), 2, '0') || ':' || lpad(to_hex((nic_id >> 8) & 255), 2, '0') || ':' || lpad(to_hex(nic_id & 255), 2, '0'),
       ipv4, ipv6, fw, ${u('nic.dirty', 'nic_id')} < 0.01
  FROM (
    SELECT row_number() OVER (ORDER BY vm, idx)::integer AS nic_id, * FROM (
      SELECT v.id AS vm, CASE WHEN v.created < timestamptz '2012-01-01 00:00:00+00' THEN 2 WHEN ${u('nic.pub', 'v.id')} < 0.1 THEN 3 ELSE 1 END AS net,
             v.created, 0 AS idx,
             '83.212.' || (96 + (v.id / 254) % 4) || '.' || (1 + v.id % 254) AS ipv4,
             '2001:648:2ffc:1111:a8' || lpad(to_hex(v.id % 256), 2, '0') || ':ff:fe' || lpad(to_hex((v.id / 256) % 256), 2, '0') || ':' || lpad(to_hex(v.id % 65536), 4, '0') AS ipv6,
             CASE WHEN ${u('nic.fw', 'v.id')} < 0.5 THEN 'DISABLED' WHEN ${u('nic.fw', 'v.id')} < 0.75 THEN 'ENABLED'
                  WHEN ${u('nic.fw', 'v.id')} < 0.9 THEN 'PROTECTED' END AS fw
        FROM sbx_vm v WHERE v.live AND (v.operstate <> 'BUILD' OR ${u('nic.build', 'v.id')} < 0.5)
      UNION ALL
      SELECT v.id, o.net, v.created + interval '1 minute', 1,
             '10.' || (o.net / 256) % 256 || '.' || o.net % 256 || '.' || (2 + v.id % 250), NULL, NULL
        FROM sbx_vm v JOIN sbx_ownnet o ON o.pid = v.pid
       WHERE v.live AND v.operstate <> 'BUILD' AND ${u('nic.private', 'v.id')} < 0.5) y
  ) z;
INSERT INTO userdata_publickeypair (id, "user", name, content, fingerprint)
SELECT row_number() OVER (ORDER BY owner, k), owner, name, content,
       CASE WHEN ${u('key.nofp', 'k')} < 0.02 THEN 'unknown fingerprint' ELSE regexp_replace(${hex('key.fp', 'k', 32)}, '(..)(?!$)', '\\1:', 'g') END
  FROM (
    SELECT o.ident AS owner, j, o.pid * 8 + j AS k,
           ${pick(['laptop', 'desktop', 'work', 'home', 'id_rsa', 'jenkins'], 'key.name', 'o.pid * 8 + j')} AS name,
           'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ' || ${hex('key.body1', 'o.pid * 8 + j', 64)} || ${hex('key.body2', 'o.pid * 8 + j', 64)}
             || ' ' || pg_temp.sbx_lc(split_part(o.ident, '@', 1)) || '@' || ${pick(['laptop', 'desktop', 'thinkpad', 'macbook'], 'key.host', 'o.pid * 8 + j')} AS content
      FROM sbx_own o, generate_series(1, 1 + ${h('key.count', 'o.pid')} % 3) j
     WHERE o.idx <= 3 OR ${u('key.has', 'o.pid')} < 0.35
    UNION ALL
    -- keys from before userdata 0003: the owner is the old numeric user id, as text
    SELECT (ARRAY['12', '57', '103'])[1 + (k - 1) % 3] || CASE WHEN k > 3 THEN (k * 7)::text ELSE '' END, 1, -k,
           'old key', 'ssh-dss AAAAB3NzaC1kc3MAAACBA' || ${hex('key.old', 'k', 64)} || ' user@old-host'
      FROM generate_series(1, ${p.numericKeyOwners}) k
  ) x;
DROP TABLE sbx_ownnet;
DROP TABLE sbx_vm;
DROP TABLE sbx_net;
DROP TABLE sbx_own;`);
  return stmts;
}
