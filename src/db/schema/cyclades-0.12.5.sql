-- Cyclades database of Synnefo 0.12.5 (syncdb + South db 0001-0058, userdata 0001-0003).
-- Written from a pg_dump --schema-only of a database built by the upstream code.
-- Loads on PostgreSQL 12 or later. Sections are marked for loadSchema():
-- tables/sequences, then constraints and indexes, then foreign keys, then the version rows.

-- section: tables

CREATE TABLE public.db_backend (
    username character varying(64),
    pinst_cnt integer DEFAULT 0 NOT NULL,
    updated timestamp with time zone NOT NULL,
    mtotal integer DEFAULT 0 NOT NULL,
    hash character varying(40) NOT NULL,
    drained boolean DEFAULT false NOT NULL,
    clustername character varying(128) NOT NULL,
    dtotal integer DEFAULT 0 NOT NULL,
    mfree integer DEFAULT 0 NOT NULL,
    port integer DEFAULT 5080 NOT NULL,
    dfree integer DEFAULT 0 NOT NULL,
    ctotal integer DEFAULT 0 NOT NULL,
    offline boolean DEFAULT false NOT NULL,
    password_hash character varying(128),
    id integer NOT NULL,
    index integer NOT NULL,
    CONSTRAINT db_backend_ctotal_check CHECK ((ctotal >= 0)),
    CONSTRAINT db_backend_dfree_check CHECK ((dfree >= 0)),
    CONSTRAINT db_backend_dtotal_check CHECK ((dtotal >= 0)),
    CONSTRAINT db_backend_index_check CHECK ((index >= 0)),
    CONSTRAINT db_backend_mfree_check CHECK ((mfree >= 0)),
    CONSTRAINT db_backend_mtotal_check CHECK ((mtotal >= 0)),
    CONSTRAINT db_backend_pinst_cnt_check CHECK ((pinst_cnt >= 0)),
    CONSTRAINT db_backend_port_check CHECK ((port >= 0))
);

CREATE SEQUENCE public.db_backend_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_backend_id_seq OWNED BY public.db_backend.id;

CREATE TABLE public.db_backendnetwork (
    backendtime timestamp with time zone DEFAULT '0001-01-01 00:00:00+00'::timestamp with time zone NOT NULL,
    updated timestamp with time zone NOT NULL,
    network_id integer NOT NULL,
    created timestamp with time zone NOT NULL,
    deleted boolean DEFAULT false NOT NULL,
    backendopcode character varying(30),
    operstate character varying(30) DEFAULT 'PENDING'::character varying NOT NULL,
    backendjobid integer,
    backendlogmsg text,
    backendjobstatus character varying(30),
    id integer NOT NULL,
    backend_id integer NOT NULL,
    mac_prefix character varying(32) NOT NULL,
    CONSTRAINT db_backendnetwork_backendjobid_check CHECK ((backendjobid >= 0))
);

CREATE SEQUENCE public.db_backendnetwork_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_backendnetwork_id_seq OWNED BY public.db_backendnetwork.id;

CREATE TABLE public.db_bridgepooltable (
    reserved_map text DEFAULT ''::text NOT NULL,
    base character varying(32),
    "offset" integer,
    available_map text DEFAULT ''::text NOT NULL,
    id integer NOT NULL,
    size integer NOT NULL
);

CREATE SEQUENCE public.db_bridgepooltable_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_bridgepooltable_id_seq OWNED BY public.db_bridgepooltable.id;

CREATE TABLE public.db_flavor (
    id integer NOT NULL,
    cpu integer DEFAULT 0 NOT NULL,
    ram integer DEFAULT 0 NOT NULL,
    disk integer DEFAULT 0 NOT NULL,
    deleted boolean DEFAULT false NOT NULL,
    disk_template character varying(32) NOT NULL
);

CREATE SEQUENCE public.db_flavor_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_flavor_id_seq OWNED BY public.db_flavor.id;

CREATE TABLE public.db_ippooltable (
    reserved_map text DEFAULT ''::text NOT NULL,
    base character varying(32),
    "offset" integer,
    available_map text DEFAULT ''::text NOT NULL,
    id integer NOT NULL,
    size integer NOT NULL
);

CREATE SEQUENCE public.db_ippooltable_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_ippooltable_id_seq OWNED BY public.db_ippooltable.id;

CREATE TABLE public.db_macprefixpooltable (
    reserved_map text DEFAULT ''::text NOT NULL,
    base character varying(32),
    "offset" integer,
    available_map text DEFAULT ''::text NOT NULL,
    id integer NOT NULL,
    size integer NOT NULL
);

CREATE SEQUENCE public.db_macprefixpooltable_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_macprefixpooltable_id_seq OWNED BY public.db_macprefixpooltable.id;

CREATE TABLE public.db_network (
    id integer NOT NULL,
    name character varying(128) NOT NULL,
    created timestamp with time zone NOT NULL,
    updated timestamp with time zone NOT NULL,
    state character varying(32) NOT NULL,
    public boolean DEFAULT false NOT NULL,
    userid character varying(128),
    subnet character varying(32) NOT NULL,
    link character varying(128),
    deleted boolean DEFAULT false NOT NULL,
    mac_prefix character varying(32) NOT NULL,
    action character varying(32),
    dhcp boolean DEFAULT false NOT NULL,
    type character varying(50) NOT NULL,
    gateway character varying(32),
    subnet6 character varying(64),
    gateway6 character varying(64),
    pool_id integer
);

CREATE SEQUENCE public.db_network_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_network_id_seq OWNED BY public.db_network.id;

CREATE TABLE public.db_networkinterface (
    id integer NOT NULL,
    machine_id integer NOT NULL,
    network_id integer NOT NULL,
    created timestamp with time zone NOT NULL,
    updated timestamp with time zone NOT NULL,
    index integer NOT NULL,
    mac character varying(32) NOT NULL,
    ipv4 character varying(15),
    ipv6 character varying(100),
    firewall_profile character varying(30),
    dirty boolean DEFAULT false NOT NULL
);

CREATE SEQUENCE public.db_networkinterface_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_networkinterface_id_seq OWNED BY public.db_networkinterface.id;

CREATE TABLE public.db_virtualmachine (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    created timestamp with time zone NOT NULL,
    updated timestamp with time zone NOT NULL,
    hostid character varying(100) NOT NULL,
    flavor_id integer NOT NULL,
    deleted boolean DEFAULT false NOT NULL,
    suspended boolean DEFAULT false NOT NULL,
    action character varying(30),
    operstate character varying(30),
    backendjobid integer,
    backendopcode character varying(30),
    backendjobstatus character varying(30),
    backendlogmsg text,
    buildpercentage integer NOT NULL,
    imageid character varying(100) NOT NULL,
    userid character varying(100) NOT NULL,
    backendtime timestamp with time zone NOT NULL,
    backend_hash character varying(128),
    backend_id integer,
    CONSTRAINT db_virtualmachine_backendjobid_check CHECK ((backendjobid >= 0))
);

CREATE SEQUENCE public.db_virtualmachine_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_virtualmachine_id_seq OWNED BY public.db_virtualmachine.id;

CREATE TABLE public.db_virtualmachinediagnostic (
    id integer NOT NULL,
    created timestamp with time zone NOT NULL,
    machine_id integer NOT NULL,
    level character varying(20) NOT NULL,
    source character varying(100) NOT NULL,
    source_date timestamp with time zone,
    message character varying(255) NOT NULL,
    details text
);

CREATE SEQUENCE public.db_virtualmachinediagnostic_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_virtualmachinediagnostic_id_seq OWNED BY public.db_virtualmachinediagnostic.id;

CREATE TABLE public.db_virtualmachinemetadata (
    id integer NOT NULL,
    meta_key character varying(50) NOT NULL,
    meta_value character varying(500) NOT NULL,
    vm_id integer NOT NULL
);

CREATE SEQUENCE public.db_virtualmachinemetadata_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.db_virtualmachinemetadata_id_seq OWNED BY public.db_virtualmachinemetadata.id;

CREATE TABLE public.django_admin_log (
    id integer NOT NULL,
    action_time timestamp with time zone NOT NULL,
    user_id integer NOT NULL,
    content_type_id integer,
    object_id text,
    object_repr character varying(200) NOT NULL,
    action_flag smallint NOT NULL,
    change_message text NOT NULL,
    CONSTRAINT django_admin_log_action_flag_check CHECK ((action_flag >= 0))
);

CREATE SEQUENCE public.django_admin_log_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.django_admin_log_id_seq OWNED BY public.django_admin_log.id;

CREATE TABLE public.django_content_type (
    id integer NOT NULL,
    name character varying(100) NOT NULL,
    app_label character varying(100) NOT NULL,
    model character varying(100) NOT NULL
);

CREATE SEQUENCE public.django_content_type_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.django_content_type_id_seq OWNED BY public.django_content_type.id;

CREATE TABLE public.django_session (
    session_key character varying(40) NOT NULL,
    session_data text NOT NULL,
    expire_date timestamp with time zone NOT NULL
);

CREATE TABLE public.django_site (
    id integer NOT NULL,
    domain character varying(100) NOT NULL,
    name character varying(50) NOT NULL
);

CREATE SEQUENCE public.django_site_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.django_site_id_seq OWNED BY public.django_site.id;

CREATE TABLE public.south_migrationhistory (
    id integer NOT NULL,
    app_name character varying(255) NOT NULL,
    migration character varying(255) NOT NULL,
    applied timestamp with time zone NOT NULL
);

CREATE SEQUENCE public.south_migrationhistory_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.south_migrationhistory_id_seq OWNED BY public.south_migrationhistory.id;

CREATE TABLE public.userdata_publickeypair (
    id integer NOT NULL,
    "user" character varying(100) NOT NULL,
    name character varying(255) NOT NULL,
    content text NOT NULL,
    fingerprint character varying(100) NOT NULL
);

CREATE SEQUENCE public.userdata_publickeypair_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.userdata_publickeypair_id_seq OWNED BY public.userdata_publickeypair.id;

ALTER TABLE ONLY public.db_backend ALTER COLUMN id SET DEFAULT nextval('public.db_backend_id_seq'::regclass);

ALTER TABLE ONLY public.db_backendnetwork ALTER COLUMN id SET DEFAULT nextval('public.db_backendnetwork_id_seq'::regclass);

ALTER TABLE ONLY public.db_bridgepooltable ALTER COLUMN id SET DEFAULT nextval('public.db_bridgepooltable_id_seq'::regclass);

ALTER TABLE ONLY public.db_flavor ALTER COLUMN id SET DEFAULT nextval('public.db_flavor_id_seq'::regclass);

ALTER TABLE ONLY public.db_ippooltable ALTER COLUMN id SET DEFAULT nextval('public.db_ippooltable_id_seq'::regclass);

ALTER TABLE ONLY public.db_macprefixpooltable ALTER COLUMN id SET DEFAULT nextval('public.db_macprefixpooltable_id_seq'::regclass);

ALTER TABLE ONLY public.db_network ALTER COLUMN id SET DEFAULT nextval('public.db_network_id_seq'::regclass);

ALTER TABLE ONLY public.db_networkinterface ALTER COLUMN id SET DEFAULT nextval('public.db_networkinterface_id_seq'::regclass);

ALTER TABLE ONLY public.db_virtualmachine ALTER COLUMN id SET DEFAULT nextval('public.db_virtualmachine_id_seq'::regclass);

ALTER TABLE ONLY public.db_virtualmachinediagnostic ALTER COLUMN id SET DEFAULT nextval('public.db_virtualmachinediagnostic_id_seq'::regclass);

ALTER TABLE ONLY public.db_virtualmachinemetadata ALTER COLUMN id SET DEFAULT nextval('public.db_virtualmachinemetadata_id_seq'::regclass);

ALTER TABLE ONLY public.django_admin_log ALTER COLUMN id SET DEFAULT nextval('public.django_admin_log_id_seq'::regclass);

ALTER TABLE ONLY public.django_content_type ALTER COLUMN id SET DEFAULT nextval('public.django_content_type_id_seq'::regclass);

ALTER TABLE ONLY public.django_site ALTER COLUMN id SET DEFAULT nextval('public.django_site_id_seq'::regclass);

ALTER TABLE ONLY public.south_migrationhistory ALTER COLUMN id SET DEFAULT nextval('public.south_migrationhistory_id_seq'::regclass);

ALTER TABLE ONLY public.userdata_publickeypair ALTER COLUMN id SET DEFAULT nextval('public.userdata_publickeypair_id_seq'::regclass);

-- section: constraints

ALTER TABLE ONLY public.db_backend
    ADD CONSTRAINT db_backend_clustername_key UNIQUE (clustername);

ALTER TABLE ONLY public.db_backend
    ADD CONSTRAINT db_backend_index_key UNIQUE (index);

ALTER TABLE ONLY public.db_backend
    ADD CONSTRAINT db_backend_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_backendnetwork
    ADD CONSTRAINT db_backendnetwork_network_id_466fb951aa561d40_uniq UNIQUE (network_id, backend_id);

ALTER TABLE ONLY public.db_backendnetwork
    ADD CONSTRAINT db_backendnetwork_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_bridgepooltable
    ADD CONSTRAINT db_bridgepooltable_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_flavor
    ADD CONSTRAINT db_flavor_disk_5a0b0d9a42dee86e_uniq UNIQUE (disk, ram, cpu, disk_template);

ALTER TABLE ONLY public.db_flavor
    ADD CONSTRAINT db_flavor_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_ippooltable
    ADD CONSTRAINT db_ippooltable_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_macprefixpooltable
    ADD CONSTRAINT db_macprefixpooltable_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_network
    ADD CONSTRAINT db_network_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_network
    ADD CONSTRAINT db_network_pool_id_key UNIQUE (pool_id);

ALTER TABLE ONLY public.db_networkinterface
    ADD CONSTRAINT db_networkinterface_mac_uniq UNIQUE (mac);

ALTER TABLE ONLY public.db_networkinterface
    ADD CONSTRAINT db_networkinterface_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_virtualmachine
    ADD CONSTRAINT db_virtualmachine_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_virtualmachinediagnostic
    ADD CONSTRAINT db_virtualmachinediagnostic_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_virtualmachinemetadata
    ADD CONSTRAINT db_virtualmachinemetadata_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.db_virtualmachinemetadata
    ADD CONSTRAINT db_virtualmachinemetadata_vm_id_24a3581aa4f0510a_uniq UNIQUE (vm_id, meta_key);

ALTER TABLE ONLY public.django_admin_log
    ADD CONSTRAINT django_admin_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.django_content_type
    ADD CONSTRAINT django_content_type_app_label_model_key UNIQUE (app_label, model);

ALTER TABLE ONLY public.django_content_type
    ADD CONSTRAINT django_content_type_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.django_session
    ADD CONSTRAINT django_session_pkey PRIMARY KEY (session_key);

ALTER TABLE ONLY public.django_site
    ADD CONSTRAINT django_site_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.south_migrationhistory
    ADD CONSTRAINT south_migrationhistory_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.userdata_publickeypair
    ADD CONSTRAINT userdata_publickeypair_pkey PRIMARY KEY (id);

CREATE INDEX db_backendnetwork_backend_id ON public.db_backendnetwork USING btree (backend_id);

CREATE INDEX db_backendnetwork_network_id ON public.db_backendnetwork USING btree (network_id);

CREATE INDEX db_network_deleted ON public.db_network USING btree (deleted);

CREATE INDEX db_network_public ON public.db_network USING btree (public);

CREATE INDEX db_network_userid ON public.db_network USING btree (userid);

CREATE INDEX db_networkinterface_machine_id ON public.db_networkinterface USING btree (machine_id);

CREATE INDEX db_networkinterface_network_id ON public.db_networkinterface USING btree (network_id);

CREATE INDEX db_virtualmachine_backend_id ON public.db_virtualmachine USING btree (backend_id);

CREATE INDEX db_virtualmachine_deleted ON public.db_virtualmachine USING btree (deleted);

CREATE INDEX db_virtualmachine_flavor_id ON public.db_virtualmachine USING btree (flavor_id);

CREATE INDEX db_virtualmachine_userid ON public.db_virtualmachine USING btree (userid);

CREATE INDEX db_virtualmachinediagnostic_machine_id ON public.db_virtualmachinediagnostic USING btree (machine_id);

CREATE INDEX db_virtualmachinemetadata_vm_id ON public.db_virtualmachinemetadata USING btree (vm_id);

CREATE INDEX django_admin_log_content_type_id ON public.django_admin_log USING btree (content_type_id);

CREATE INDEX django_admin_log_user_id ON public.django_admin_log USING btree (user_id);

-- section: foreign-keys

ALTER TABLE ONLY public.db_virtualmachine
    ADD CONSTRAINT backend_id_refs_id_1dac7b992c446324 FOREIGN KEY (backend_id) REFERENCES public.db_backend(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_backendnetwork
    ADD CONSTRAINT backend_id_refs_id_37313f03d717681a FOREIGN KEY (backend_id) REFERENCES public.db_backend(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.django_admin_log
    ADD CONSTRAINT django_admin_log_content_type_id_fkey FOREIGN KEY (content_type_id) REFERENCES public.django_content_type(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_virtualmachine
    ADD CONSTRAINT flavor_id_refs_id_7e09989d3bdabb8b FOREIGN KEY (flavor_id) REFERENCES public.db_flavor(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_virtualmachinediagnostic
    ADD CONSTRAINT machine_id_refs_id_19111c2ef5de4290 FOREIGN KEY (machine_id) REFERENCES public.db_virtualmachine(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_networkinterface
    ADD CONSTRAINT machine_id_refs_id_3548ef027d121816 FOREIGN KEY (machine_id) REFERENCES public.db_virtualmachine(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_networkinterface
    ADD CONSTRAINT network_id_refs_id_357bc779435713a9 FOREIGN KEY (network_id) REFERENCES public.db_network(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_backendnetwork
    ADD CONSTRAINT network_id_refs_id_5daf7c6fd409764c FOREIGN KEY (network_id) REFERENCES public.db_network(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_network
    ADD CONSTRAINT pool_id_refs_id_e967a7ae498138e FOREIGN KEY (pool_id) REFERENCES public.db_ippooltable(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_virtualmachinemetadata
    ADD CONSTRAINT vm_id_refs_id_43df2bd7aa9de2c8 FOREIGN KEY (vm_id) REFERENCES public.db_virtualmachine(id) DEFERRABLE INITIALLY DEFERRED;

-- section: version-rows

INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (1, 'db', '0001_initial', '2026-11-24 20:39:30.501165+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (2, 'db', '0002_aai_fields', '2026-11-24 20:39:30.51612+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (3, 'db', '0003_auto__add_network', '2026-11-24 20:39:30.535583+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (4, 'db', '0004_auto__add_field_image_backend_id__add_field_image_format', '2026-11-24 20:39:30.54667+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (5, 'db', '0005_auto__add_invitations', '2026-11-24 20:39:30.562996+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (6, 'db', '0006_auto__add_networkinterface', '2026-11-24 20:39:30.580216+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (7, 'db', '0007_auto__add_field_synnefouser_auth_token_expires__chg_field_synnefouser_', '2026-11-24 20:39:30.599854+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (8, 'db', '0008_auto__chg_field_image_format__chg_field_image_backend_id', '2026-11-24 20:39:30.626157+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (9, 'db', '0009_auto__chg_field_network_owner', '2026-11-24 20:39:30.666857+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (10, 'db', '0010_auto__add_networklink', '2026-11-24 20:39:30.679722+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (11, 'db', '0011_auto__chg_field_networkinterface_ipv4', '2026-11-24 20:39:30.695561+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (12, 'db', '0012_auto__del_field_networklink_network', '2026-11-24 20:39:30.705283+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (13, 'db', '0013_auto__add_field_networklink_network', '2026-11-24 20:39:30.720831+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (14, 'db', '0014_auto__add_field_synnefouser_auth_token_expires', '2026-11-24 20:39:30.732008+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (15, 'db', '0015_auto__add_field_image_public', '2026-11-24 20:39:30.741576+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (16, 'db', '0016_auto__add_field_synnefouser_max_invitations', '2026-11-24 20:39:30.752718+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (17, 'db', '0017_auto__add_field_invitations_level', '2026-11-24 20:39:30.766435+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (18, 'db', '0018_auto__add_field_virtualmachine_buildpercentage', '2026-11-24 20:39:30.778396+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (19, 'db', '0019_auto__add_field_synnefouser_state', '2026-11-24 20:39:30.820645+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (20, 'db', '0020_auto__add_field_flavor_deleted', '2026-11-24 20:39:30.835873+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (21, 'db', '0021_auto__add_unique_together', '2026-11-24 20:39:30.852916+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (22, 'db', '0022_auto__add_field_flavor_disk_template', '2026-11-24 20:39:30.866081+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (23, 'db', '0023_auto__add_field_virtualmachine_imageid', '2026-11-24 20:39:30.877447+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (24, 'db', '0024_string_image_ids', '2026-11-24 20:39:30.890061+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (25, 'db', '0025_auto__del_field_virtualmachine_sourceimage', '2026-11-24 20:39:30.904632+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (26, 'userdata', '0001_initial', '2026-11-24 20:39:30.911121+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (27, 'userdata', '0002_fingerprint_field', '2026-11-24 20:39:30.914878+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (28, 'userdata', '0003_auto__chg_field_publickeypair_fingerprint__chg_field_publickeypair_use', '2026-11-24 20:39:30.930697+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (29, 'db', '0026_auto__del_unique_flavor_disk_ram_cpu__add_unique_flavor_disk_ram_cpu_d', '2026-11-24 20:39:30.944778+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (30, 'db', '0027_auto__del_legacy_fields', '2026-11-24 20:39:30.962097+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (31, 'db', '0028_auto__del_disk__add_field_userid', '2026-11-24 20:39:30.973674+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (32, 'db', '0029_remove_user', '2026-11-24 20:39:30.981711+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (33, 'db', '0030_auto__del_synnefouser__del_field_virtualmachine_owner__del_field_image', '2026-11-24 20:39:31.00049+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (34, 'db', '0031_auto__del_imagemetadata__del_unique_imagemetadata_meta_key_image__del_', '2026-11-24 20:39:31.011376+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (35, 'db', '0032_auto__del_unique_flavor_disk_ram_cpu__add_unique_flavor_disk_ram_cpu_d', '2026-11-24 20:39:31.019257+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (36, 'db', '0033_auto__chg_field_networklink_available__add_field_virtualmachine_backen', '2026-11-24 20:39:31.04876+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (37, 'db', '0034_auto__add_backend__add_field_virtualmachine_backend_hash__add_field_vi', '2026-11-24 20:39:31.063151+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (38, 'db', '0035_default_backend', '2026-11-24 20:39:31.069366+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (39, 'db', '0036_auto__add_bridgepool__add_macprefixpool__add_field_network_backendtime', '2026-11-24 20:39:31.103002+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (40, 'db', '0037_network_migration', '2026-11-24 20:39:31.112991+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (41, 'db', '0038_auto__del_networklink__del_field_network_netlink__chg_field_network_li', '2026-11-24 20:39:31.123974+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (42, 'db', '0039_auto__add_backendnetwork__del_field_network_backendtime__del_field_net', '2026-11-24 20:39:31.162657+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (43, 'db', '0040_auto__chg_field_networkinterface_index', '2026-11-24 20:39:31.176211+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (44, 'db', '0041_auto__add_field_networkinterface_dirty', '2026-11-24 20:39:31.184721+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (45, 'db', '0042_auto__del_field_backend_password__add_field_backend_password_hash', '2026-11-24 20:39:31.192718+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (46, 'db', '0043_encrypt_passwords', '2026-11-24 20:39:31.200737+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (47, 'db', '0044_auto__add_field_network_subnet6__add_field_network_gateway6', '2026-11-24 20:39:31.209648+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (48, 'db', '0045_auto__chg_field_networkinterface_mac__add_field_network_reservations', '2026-11-24 20:39:31.22581+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (49, 'db', '0046_auto__chg_field_backend_password_hash', '2026-11-24 20:39:31.238788+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (50, 'db', '0047_auto__chg_field_networkinterface_mac__add_unique_networkinterface_mac_', '2026-11-24 20:39:31.261628+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (51, 'db', '0049_not_null_mac_prefix', '2026-11-24 20:39:31.275031+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (52, 'db', '0050_auto__add_unique_backendnetwork_network_backend', '2026-11-24 20:39:31.285176+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (53, 'db', '0051_auto__add_bridgepooltable__add_macprefixpooltable', '2026-11-24 20:39:31.302546+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (54, 'db', '0052_migrate_pool_entries', '2026-11-24 20:39:31.312477+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (55, 'db', '0053_auto__del_bridgepool__del_macprefixpool', '2026-11-24 20:39:31.324083+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (56, 'db', '0054_auto__add_ippooltable__add_field_network_pool', '2026-11-24 20:39:31.340537+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (57, 'db', '0056_auto__del_field_network_reservations', '2026-11-24 20:39:31.356777+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (58, 'db', '0057_auto__add_virtualmachinediagnostic', '2026-11-24 20:39:31.381204+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (59, 'db', '0058_auto__chg_field_networkinterface_dirty__chg_field_virtualmachine_delet', '2026-11-24 20:39:31.473449+00');
SELECT pg_catalog.setval('public.south_migrationhistory_id_seq', 59, true);

