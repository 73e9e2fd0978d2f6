-- Astakos database of Synnefo 0.12.5 (Django 1.2 syncdb + South im 0001-0014).
-- Written from a pg_dump --schema-only of a database built by the upstream code.
-- Loads on PostgreSQL 12 or later. Sections are marked for loadSchema():
-- tables/sequences, then constraints and indexes, then foreign keys, then the version rows.

-- section: tables

CREATE TABLE public.auth_group (
    id integer NOT NULL,
    name character varying(80) NOT NULL
);

CREATE SEQUENCE public.auth_group_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.auth_group_id_seq OWNED BY public.auth_group.id;

CREATE TABLE public.auth_group_permissions (
    id integer NOT NULL,
    group_id integer NOT NULL,
    permission_id integer NOT NULL
);

CREATE SEQUENCE public.auth_group_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.auth_group_permissions_id_seq OWNED BY public.auth_group_permissions.id;

CREATE TABLE public.auth_message (
    id integer NOT NULL,
    user_id integer NOT NULL,
    message text NOT NULL
);

CREATE SEQUENCE public.auth_message_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.auth_message_id_seq OWNED BY public.auth_message.id;

CREATE TABLE public.auth_permission (
    id integer NOT NULL,
    name character varying(50) NOT NULL,
    content_type_id integer NOT NULL,
    codename character varying(100) NOT NULL
);

CREATE SEQUENCE public.auth_permission_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.auth_permission_id_seq OWNED BY public.auth_permission.id;

CREATE TABLE public.auth_user (
    id integer NOT NULL,
    username character varying(30) NOT NULL,
    first_name character varying(30) NOT NULL,
    last_name character varying(30) NOT NULL,
    email character varying(75) NOT NULL,
    password character varying(128) NOT NULL,
    is_staff boolean NOT NULL,
    is_active boolean NOT NULL,
    is_superuser boolean NOT NULL,
    last_login timestamp with time zone NOT NULL,
    date_joined timestamp with time zone NOT NULL
);

CREATE TABLE public.auth_user_groups (
    id integer NOT NULL,
    user_id integer NOT NULL,
    group_id integer NOT NULL
);

CREATE SEQUENCE public.auth_user_groups_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.auth_user_groups_id_seq OWNED BY public.auth_user_groups.id;

CREATE SEQUENCE public.auth_user_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.auth_user_id_seq OWNED BY public.auth_user.id;

CREATE TABLE public.auth_user_user_permissions (
    id integer NOT NULL,
    user_id integer NOT NULL,
    permission_id integer NOT NULL
);

CREATE SEQUENCE public.auth_user_user_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.auth_user_user_permissions_id_seq OWNED BY public.auth_user_user_permissions.id;

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

CREATE TABLE public.im_additionalmail (
    id integer NOT NULL,
    owner_id integer NOT NULL,
    email character varying(75) NOT NULL
);

CREATE SEQUENCE public.im_additionalmail_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_additionalmail_id_seq OWNED BY public.im_additionalmail.id;

CREATE TABLE public.im_approvalterms (
    id integer NOT NULL,
    date timestamp with time zone DEFAULT '2012-03-20 14:24:30.616341+00'::timestamp with time zone NOT NULL,
    location character varying(255) NOT NULL
);

CREATE SEQUENCE public.im_approvalterms_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_approvalterms_id_seq OWNED BY public.im_approvalterms.id;

CREATE TABLE public.im_astakosuser (
    user_ptr_id integer NOT NULL,
    affiliation character varying(255) DEFAULT ''::character varying NOT NULL,
    provider character varying(255) DEFAULT ''::character varying NOT NULL,
    level integer DEFAULT 4 NOT NULL,
    invitations integer DEFAULT 0 NOT NULL,
    auth_token character varying(32),
    auth_token_created timestamp with time zone,
    auth_token_expires timestamp with time zone,
    updated timestamp with time zone NOT NULL,
    is_verified boolean DEFAULT false NOT NULL,
    third_party_identifier character varying(255),
    email_verified boolean DEFAULT false NOT NULL,
    has_credits boolean DEFAULT false NOT NULL,
    has_signed_terms boolean DEFAULT false NOT NULL,
    date_signed_terms timestamp with time zone,
    activation_sent timestamp with time zone
);

CREATE TABLE public.im_emailchange (
    id integer NOT NULL,
    new_email_address character varying(75) NOT NULL,
    user_id integer NOT NULL,
    requested_at timestamp with time zone DEFAULT '2012-05-03 12:23:46.711119+00'::timestamp with time zone NOT NULL,
    activation_key character varying(40) NOT NULL
);

CREATE SEQUENCE public.im_emailchange_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_emailchange_id_seq OWNED BY public.im_emailchange.id;

CREATE TABLE public.im_invitation (
    id integer NOT NULL,
    inviter_id integer,
    realname character varying(255) NOT NULL,
    username character varying(255) NOT NULL,
    code bigint NOT NULL,
    is_consumed boolean DEFAULT false NOT NULL,
    created timestamp with time zone NOT NULL,
    consumed timestamp with time zone
);

CREATE SEQUENCE public.im_invitation_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_invitation_id_seq OWNED BY public.im_invitation.id;

CREATE TABLE public.im_service (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    url character varying(100) NOT NULL,
    icon character varying(100) NOT NULL,
    auth_token character varying(32),
    auth_token_created timestamp with time zone,
    auth_token_expires timestamp with time zone
);

CREATE SEQUENCE public.im_service_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_service_id_seq OWNED BY public.im_service.id;

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

ALTER TABLE ONLY public.auth_group ALTER COLUMN id SET DEFAULT nextval('public.auth_group_id_seq'::regclass);

ALTER TABLE ONLY public.auth_group_permissions ALTER COLUMN id SET DEFAULT nextval('public.auth_group_permissions_id_seq'::regclass);

ALTER TABLE ONLY public.auth_message ALTER COLUMN id SET DEFAULT nextval('public.auth_message_id_seq'::regclass);

ALTER TABLE ONLY public.auth_permission ALTER COLUMN id SET DEFAULT nextval('public.auth_permission_id_seq'::regclass);

ALTER TABLE ONLY public.auth_user ALTER COLUMN id SET DEFAULT nextval('public.auth_user_id_seq'::regclass);

ALTER TABLE ONLY public.auth_user_groups ALTER COLUMN id SET DEFAULT nextval('public.auth_user_groups_id_seq'::regclass);

ALTER TABLE ONLY public.auth_user_user_permissions ALTER COLUMN id SET DEFAULT nextval('public.auth_user_user_permissions_id_seq'::regclass);

ALTER TABLE ONLY public.django_admin_log ALTER COLUMN id SET DEFAULT nextval('public.django_admin_log_id_seq'::regclass);

ALTER TABLE ONLY public.django_content_type ALTER COLUMN id SET DEFAULT nextval('public.django_content_type_id_seq'::regclass);

ALTER TABLE ONLY public.django_site ALTER COLUMN id SET DEFAULT nextval('public.django_site_id_seq'::regclass);

ALTER TABLE ONLY public.im_additionalmail ALTER COLUMN id SET DEFAULT nextval('public.im_additionalmail_id_seq'::regclass);

ALTER TABLE ONLY public.im_approvalterms ALTER COLUMN id SET DEFAULT nextval('public.im_approvalterms_id_seq'::regclass);

ALTER TABLE ONLY public.im_emailchange ALTER COLUMN id SET DEFAULT nextval('public.im_emailchange_id_seq'::regclass);

ALTER TABLE ONLY public.im_invitation ALTER COLUMN id SET DEFAULT nextval('public.im_invitation_id_seq'::regclass);

ALTER TABLE ONLY public.im_service ALTER COLUMN id SET DEFAULT nextval('public.im_service_id_seq'::regclass);

ALTER TABLE ONLY public.south_migrationhistory ALTER COLUMN id SET DEFAULT nextval('public.south_migrationhistory_id_seq'::regclass);

-- section: constraints

ALTER TABLE ONLY public.auth_group
    ADD CONSTRAINT auth_group_name_key UNIQUE (name);

ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT auth_group_permissions_group_id_permission_id_key UNIQUE (group_id, permission_id);

ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT auth_group_permissions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.auth_group
    ADD CONSTRAINT auth_group_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.auth_message
    ADD CONSTRAINT auth_message_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_content_type_id_codename_key UNIQUE (content_type_id, codename);

ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.auth_user_groups
    ADD CONSTRAINT auth_user_groups_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.auth_user_groups
    ADD CONSTRAINT auth_user_groups_user_id_group_id_key UNIQUE (user_id, group_id);

ALTER TABLE ONLY public.auth_user
    ADD CONSTRAINT auth_user_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT auth_user_user_permissions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT auth_user_user_permissions_user_id_permission_id_key UNIQUE (user_id, permission_id);

ALTER TABLE ONLY public.auth_user
    ADD CONSTRAINT auth_user_username_key UNIQUE (username);

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

ALTER TABLE ONLY public.im_additionalmail
    ADD CONSTRAINT im_additionalmail_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_approvalterms
    ADD CONSTRAINT im_approvalterms_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_astakosuser
    ADD CONSTRAINT im_astakosuser_pkey PRIMARY KEY (user_ptr_id);

ALTER TABLE ONLY public.im_astakosuser
    ADD CONSTRAINT im_astakosuser_third_party_identifier_33cfb924b76bf0e5_uniq UNIQUE (third_party_identifier, provider);

ALTER TABLE ONLY public.im_emailchange
    ADD CONSTRAINT im_emailchange_activation_key_key UNIQUE (activation_key);

ALTER TABLE ONLY public.im_emailchange
    ADD CONSTRAINT im_emailchange_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_emailchange
    ADD CONSTRAINT im_emailchange_user_id_key UNIQUE (user_id);

ALTER TABLE ONLY public.im_invitation
    ADD CONSTRAINT im_invitation_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_invitation
    ADD CONSTRAINT im_invitation_username_uniq UNIQUE (username);

ALTER TABLE ONLY public.im_service
    ADD CONSTRAINT im_service_name_key UNIQUE (name);

ALTER TABLE ONLY public.im_service
    ADD CONSTRAINT im_service_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.south_migrationhistory
    ADD CONSTRAINT south_migrationhistory_pkey PRIMARY KEY (id);

CREATE INDEX auth_group_permissions_group_id ON public.auth_group_permissions USING btree (group_id);

CREATE INDEX auth_group_permissions_permission_id ON public.auth_group_permissions USING btree (permission_id);

CREATE INDEX auth_message_user_id ON public.auth_message USING btree (user_id);

CREATE INDEX auth_permission_content_type_id ON public.auth_permission USING btree (content_type_id);

CREATE INDEX auth_user_groups_group_id ON public.auth_user_groups USING btree (group_id);

CREATE INDEX auth_user_groups_user_id ON public.auth_user_groups USING btree (user_id);

CREATE INDEX auth_user_user_permissions_permission_id ON public.auth_user_user_permissions USING btree (permission_id);

CREATE INDEX auth_user_user_permissions_user_id ON public.auth_user_user_permissions USING btree (user_id);

CREATE INDEX django_admin_log_content_type_id ON public.django_admin_log USING btree (content_type_id);

CREATE INDEX django_admin_log_user_id ON public.django_admin_log USING btree (user_id);

CREATE INDEX im_additionalmail_owner_id ON public.im_additionalmail USING btree (owner_id);

CREATE INDEX im_approvalterms_date ON public.im_approvalterms USING btree (date);

CREATE INDEX im_invitation_code ON public.im_invitation USING btree (code);

CREATE INDEX im_invitation_inviter_id ON public.im_invitation USING btree (inviter_id);

-- section: foreign-keys

ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT auth_group_permissions_permission_id_fkey FOREIGN KEY (permission_id) REFERENCES public.auth_permission(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_message
    ADD CONSTRAINT auth_message_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_content_type_id_fkey FOREIGN KEY (content_type_id) REFERENCES public.django_content_type(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_user_groups
    ADD CONSTRAINT auth_user_groups_group_id_fkey FOREIGN KEY (group_id) REFERENCES public.auth_group(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT auth_user_user_permissions_permission_id_fkey FOREIGN KEY (permission_id) REFERENCES public.auth_permission(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.django_admin_log
    ADD CONSTRAINT django_admin_log_content_type_id_fkey FOREIGN KEY (content_type_id) REFERENCES public.django_content_type(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT group_id_refs_id_3cea63fe FOREIGN KEY (group_id) REFERENCES public.auth_group(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_invitation
    ADD CONSTRAINT inviter_id_refs_user_ptr_id_13f9b218a3d2a69c FOREIGN KEY (inviter_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_additionalmail
    ADD CONSTRAINT owner_id_refs_user_ptr_id_4ffb6e9c0835e78d FOREIGN KEY (owner_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_user_groups
    ADD CONSTRAINT user_id_refs_id_831107f1 FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.django_admin_log
    ADD CONSTRAINT user_id_refs_id_c8665aa FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT user_id_refs_id_f2045483 FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_emailchange
    ADD CONSTRAINT user_id_refs_user_ptr_id_108e3452c7617f70 FOREIGN KEY (user_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_astakosuser
    ADD CONSTRAINT user_ptr_id_refs_id_291265165278fc4a FOREIGN KEY (user_ptr_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;

-- section: version-rows

INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (1, 'im', '0001_initial', '2026-11-24 20:42:47.183995+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (2, 'im', '0002_auto__add_field_astakosuser_third_party_identifier', '2026-11-24 20:42:47.189947+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (3, 'im', '0003_auto__add_unique_invitation_username', '2026-11-24 20:42:47.195957+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (4, 'im', '0004_auto__add_field_astakosuser_email_verified', '2026-11-24 20:42:47.202103+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (5, 'im', '0005_auto__add_field_astakosuser_has_credits', '2026-11-24 20:42:47.2079+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (6, 'im', '0006_auto__add_approvalterms__add_field_astakosuser_has_signed_terms__add_f', '2026-11-24 20:42:47.216846+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (7, 'im', '0007_auto__chg_field_astakosuser_email_verified__chg_field_astakosuser_has_', '2026-11-24 20:42:47.253352+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (8, 'im', '0007_auto__del_field_invitation_accepted__del_field_invitation_is_accepted', '2026-11-24 20:42:47.260343+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (9, 'im', '0008_auto__add_emailchange', '2026-11-24 20:42:47.26971+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (10, 'im', '0009_auto__add_service', '2026-11-24 20:42:47.279812+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (11, 'im', '0010_auto__add_field_astakosuser_activation_sent__chg_field_service_url', '2026-11-24 20:42:47.293281+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (12, 'im', '0011_set_old_activation_sent', '2026-11-24 20:42:47.300709+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (13, 'im', '0012_auto__add_additionalmail', '2026-11-24 20:42:47.316811+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (14, 'im', '0013_auto__del_unique_additionalmail_email', '2026-11-24 20:42:47.329272+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (15, 'im', '0014_auto__add_unique_astakosuser_third_party_identifier_provider', '2026-11-24 20:42:47.341034+00');
SELECT pg_catalog.setval('public.south_migrationhistory_id_seq', 15, true);

