-- Pithos backend database of Synnefo 0.12.5 (tables the backend creates, stamped 3dd56e750a3).
-- Written from a pg_dump --schema-only of a database built by the upstream code.
-- Loads on PostgreSQL 12 or later. Sections are marked for loadSchema():
-- tables/sequences, then constraints and indexes, then foreign keys, then the version rows.

-- section: tables

CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);

CREATE TABLE public.attributes (
    serial integer NOT NULL,
    domain character varying(256) NOT NULL,
    key character varying(128) NOT NULL,
    value character varying(256)
);

CREATE TABLE public.groups (
    owner character varying(256) NOT NULL,
    name character varying(256) NOT NULL,
    member character varying(256) NOT NULL
);

CREATE TABLE public.nodes (
    node integer NOT NULL,
    parent integer,
    latest_version integer,
    path character varying(2048) NOT NULL
);

CREATE SEQUENCE public.nodes_node_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.nodes_node_seq OWNED BY public.nodes.node;

CREATE TABLE public.policy (
    node integer NOT NULL,
    key character varying(128) NOT NULL,
    value character varying(256)
);

CREATE TABLE public.public (
    public_id integer NOT NULL,
    path character varying(2048) NOT NULL,
    active boolean NOT NULL
);

CREATE SEQUENCE public.public_public_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.public_public_id_seq OWNED BY public.public.public_id;

CREATE TABLE public.statistics (
    node integer NOT NULL,
    population integer NOT NULL,
    size bigint NOT NULL,
    mtime numeric,
    cluster integer NOT NULL
);

CREATE TABLE public.versions (
    serial integer NOT NULL,
    node integer,
    hash character varying(256),
    size bigint NOT NULL,
    type character varying(256) NOT NULL,
    source integer,
    mtime numeric,
    muser character varying(256) NOT NULL,
    uuid character varying(64) NOT NULL,
    checksum character varying(256) NOT NULL,
    cluster integer NOT NULL
);

CREATE SEQUENCE public.versions_serial_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.versions_serial_seq OWNED BY public.versions.serial;

CREATE TABLE public.xfeatures (
    feature_id integer NOT NULL,
    path character varying(2048)
);

CREATE SEQUENCE public.xfeatures_feature_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.xfeatures_feature_id_seq OWNED BY public.xfeatures.feature_id;

CREATE TABLE public.xfeaturevals (
    feature_id integer NOT NULL,
    key integer NOT NULL,
    value character varying(256) NOT NULL
);

ALTER TABLE ONLY public.nodes ALTER COLUMN node SET DEFAULT nextval('public.nodes_node_seq'::regclass);

ALTER TABLE ONLY public.public ALTER COLUMN public_id SET DEFAULT nextval('public.public_public_id_seq'::regclass);

ALTER TABLE ONLY public.versions ALTER COLUMN serial SET DEFAULT nextval('public.versions_serial_seq'::regclass);

ALTER TABLE ONLY public.xfeatures ALTER COLUMN feature_id SET DEFAULT nextval('public.xfeatures_feature_id_seq'::regclass);

-- section: constraints

ALTER TABLE ONLY public.attributes
    ADD CONSTRAINT attributes_pkey PRIMARY KEY (serial, domain, key);

ALTER TABLE ONLY public.groups
    ADD CONSTRAINT groups_pkey PRIMARY KEY (owner, name, member);

ALTER TABLE ONLY public.nodes
    ADD CONSTRAINT nodes_pkey PRIMARY KEY (node);

ALTER TABLE ONLY public.policy
    ADD CONSTRAINT policy_pkey PRIMARY KEY (node, key);

ALTER TABLE ONLY public.public
    ADD CONSTRAINT public_pkey PRIMARY KEY (public_id);

ALTER TABLE ONLY public.statistics
    ADD CONSTRAINT statistics_pkey PRIMARY KEY (node, cluster);

ALTER TABLE ONLY public.versions
    ADD CONSTRAINT versions_pkey PRIMARY KEY (serial);

ALTER TABLE ONLY public.xfeatures
    ADD CONSTRAINT xfeatures_pkey PRIMARY KEY (feature_id);

ALTER TABLE ONLY public.xfeaturevals
    ADD CONSTRAINT xfeaturevals_pkey PRIMARY KEY (feature_id, key, value);

CREATE UNIQUE INDEX idx_features_path ON public.xfeatures USING btree (path);

CREATE INDEX idx_groups_member ON public.groups USING btree (member);

CREATE INDEX idx_nodes_parent ON public.nodes USING btree (parent);

CREATE UNIQUE INDEX idx_nodes_path ON public.nodes USING btree (path);

CREATE UNIQUE INDEX idx_public_path ON public.public USING btree (path);

CREATE INDEX idx_versions_node_mtime ON public.versions USING btree (node, mtime);

CREATE INDEX idx_versions_node_uuid ON public.versions USING btree (uuid);

-- section: foreign-keys

ALTER TABLE ONLY public.attributes
    ADD CONSTRAINT attributes_serial_fkey FOREIGN KEY (serial) REFERENCES public.versions(serial) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY public.nodes
    ADD CONSTRAINT nodes_parent_fkey FOREIGN KEY (parent) REFERENCES public.nodes(node) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY public.policy
    ADD CONSTRAINT policy_node_fkey FOREIGN KEY (node) REFERENCES public.nodes(node) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY public.statistics
    ADD CONSTRAINT statistics_node_fkey FOREIGN KEY (node) REFERENCES public.nodes(node) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY public.versions
    ADD CONSTRAINT versions_node_fkey FOREIGN KEY (node) REFERENCES public.nodes(node) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY public.xfeaturevals
    ADD CONSTRAINT xfeaturevals_feature_id_fkey FOREIGN KEY (feature_id) REFERENCES public.xfeatures(feature_id) ON DELETE CASCADE;

-- section: version-rows

INSERT INTO public.alembic_version (version_num) VALUES ('3dd56e750a3');

