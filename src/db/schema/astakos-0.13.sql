-- Astakos database of Synnefo 0.13 (0.12.5 + quotaholder_app syncdb + South im 0015-0024).
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
    username character varying(75) NOT NULL,
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
    date timestamp with time zone NOT NULL,
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
    affiliation character varying(255),
    provider character varying(255),
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
    activation_sent timestamp with time zone,
    uuid character varying(255),
    disturbed_quota boolean NOT NULL
);

CREATE TABLE public.im_astakosuserauthprovider (
    id integer NOT NULL,
    affiliation character varying(255),
    user_id integer NOT NULL,
    module character varying(255) DEFAULT 'local'::character varying NOT NULL,
    identifier character varying(255),
    active boolean DEFAULT true NOT NULL,
    auth_backend character varying(255) DEFAULT 'astakos'::character varying NOT NULL,
    info_data text DEFAULT ''::text,
    created timestamp with time zone NOT NULL
);

CREATE SEQUENCE public.im_astakosuserauthprovider_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_astakosuserauthprovider_id_seq OWNED BY public.im_astakosuserauthprovider.id;

CREATE TABLE public.im_astakosuserquota (
    id integer NOT NULL,
    capacity numeric(38,0) DEFAULT 0 NOT NULL,
    quantity numeric(38,0) NOT NULL,
    export_limit numeric(38,0) NOT NULL,
    import_limit numeric(38,0) NOT NULL,
    resource_id integer NOT NULL,
    user_id integer NOT NULL
);

CREATE SEQUENCE public.im_astakosuserquota_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_astakosuserquota_id_seq OWNED BY public.im_astakosuserquota.id;

CREATE TABLE public.im_chain (
    chain integer NOT NULL
);

CREATE SEQUENCE public.im_chain_chain_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_chain_chain_seq OWNED BY public.im_chain.chain;

CREATE TABLE public.im_emailchange (
    id integer NOT NULL,
    new_email_address character varying(75) NOT NULL,
    user_id integer NOT NULL,
    requested_at timestamp with time zone NOT NULL,
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

CREATE TABLE public.im_pendingthirdpartyuser (
    id integer NOT NULL,
    third_party_identifier character varying(255),
    provider character varying(255) NOT NULL,
    email character varying(75),
    first_name character varying(30),
    last_name character varying(30),
    affiliation character varying(255),
    username character varying(30) NOT NULL,
    token character varying(255),
    created timestamp with time zone,
    info text DEFAULT ''::text
);

CREATE SEQUENCE public.im_pendingthirdpartyuser_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_pendingthirdpartyuser_id_seq OWNED BY public.im_pendingthirdpartyuser.id;

CREATE TABLE public.im_project (
    id integer NOT NULL,
    application_id integer NOT NULL,
    last_approval_date timestamp with time zone,
    deactivation_reason character varying(255),
    deactivation_date timestamp with time zone,
    creation_date timestamp with time zone NOT NULL,
    name character varying(80),
    is_modified boolean DEFAULT false NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    state integer DEFAULT 1 NOT NULL
);

CREATE SEQUENCE public.im_project_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_project_id_seq OWNED BY public.im_project.id;

CREATE TABLE public.im_projectapplication (
    id integer NOT NULL,
    applicant_id integer NOT NULL,
    state integer DEFAULT 0 NOT NULL,
    owner_id integer NOT NULL,
    chain integer NOT NULL,
    precursor_application_id integer,
    name character varying(80) NOT NULL,
    homepage character varying(255),
    description text,
    start_date timestamp with time zone,
    end_date timestamp with time zone NOT NULL,
    member_join_policy integer NOT NULL,
    member_leave_policy integer NOT NULL,
    limit_on_members_number integer,
    comments text,
    issue_date timestamp with time zone NOT NULL,
    response_date timestamp with time zone,
    response text,
    CONSTRAINT im_projectapplication_limit_on_members_number_check CHECK ((limit_on_members_number >= 0))
);

CREATE SEQUENCE public.im_projectapplication_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_projectapplication_id_seq OWNED BY public.im_projectapplication.id;

CREATE TABLE public.im_projectmembership (
    id integer NOT NULL,
    person_id integer NOT NULL,
    request_date date NOT NULL,
    project_id integer NOT NULL,
    state integer DEFAULT 0 NOT NULL,
    is_pending boolean DEFAULT false NOT NULL,
    is_active boolean DEFAULT false NOT NULL,
    application_id integer,
    pending_application_id integer,
    pending_serial bigint,
    acceptance_date date,
    leave_request_date date
);

CREATE SEQUENCE public.im_projectmembership_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_projectmembership_id_seq OWNED BY public.im_projectmembership.id;

CREATE TABLE public.im_projectmembershiphistory (
    id integer NOT NULL,
    person bigint NOT NULL,
    project bigint NOT NULL,
    date date NOT NULL,
    reason integer NOT NULL,
    serial bigint NOT NULL
);

CREATE SEQUENCE public.im_projectmembershiphistory_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_projectmembershiphistory_id_seq OWNED BY public.im_projectmembershiphistory.id;

CREATE TABLE public.im_projectresourcegrant (
    id integer NOT NULL,
    resource_id integer NOT NULL,
    project_application_id integer,
    project_capacity numeric(38,0) DEFAULT '100000000000000000000000000000000'::numeric NOT NULL,
    project_import_limit numeric(38,0) DEFAULT '100000000000000000000000000000000'::numeric NOT NULL,
    project_export_limit numeric(38,0) DEFAULT '100000000000000000000000000000000'::numeric NOT NULL,
    member_capacity numeric(38,0) DEFAULT '100000000000000000000000000000000'::numeric NOT NULL,
    member_import_limit numeric(38,0) DEFAULT '100000000000000000000000000000000'::numeric NOT NULL,
    member_export_limit numeric(38,0) DEFAULT '100000000000000000000000000000000'::numeric NOT NULL
);

CREATE SEQUENCE public.im_projectresourcegrant_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_projectresourcegrant_id_seq OWNED BY public.im_projectresourcegrant.id;

CREATE TABLE public.im_resource (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    service_id integer NOT NULL,
    "desc" text,
    unit character varying(255),
    "group" character varying(255),
    uplimit numeric(38,0) NOT NULL
);

CREATE SEQUENCE public.im_resource_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_resource_id_seq OWNED BY public.im_resource.id;

CREATE TABLE public.im_resource_meta (
    id integer NOT NULL,
    resource_id integer NOT NULL,
    resourcemetadata_id integer NOT NULL
);

CREATE SEQUENCE public.im_resource_meta_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_resource_meta_id_seq OWNED BY public.im_resource_meta.id;

CREATE TABLE public.im_resourcemetadata (
    id integer NOT NULL,
    key character varying(255) NOT NULL,
    value character varying(255) NOT NULL
);

CREATE SEQUENCE public.im_resourcemetadata_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_resourcemetadata_id_seq OWNED BY public.im_resourcemetadata.id;

CREATE TABLE public.im_serial (
    serial integer NOT NULL
);

CREATE SEQUENCE public.im_serial_serial_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_serial_serial_seq OWNED BY public.im_serial.serial;

CREATE TABLE public.im_service (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    url character varying(100) NOT NULL,
    icon character varying(100) NOT NULL,
    auth_token character varying(32),
    auth_token_created timestamp with time zone,
    auth_token_expires timestamp with time zone,
    "order" integer NOT NULL,
    CONSTRAINT im_service_order_check CHECK (("order" >= 0))
);

CREATE SEQUENCE public.im_service_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_service_id_seq OWNED BY public.im_service.id;

CREATE TABLE public.im_sessioncatalog (
    id integer NOT NULL,
    session_key character varying(40) NOT NULL,
    user_id integer
);

CREATE SEQUENCE public.im_sessioncatalog_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_sessioncatalog_id_seq OWNED BY public.im_sessioncatalog.id;

CREATE TABLE public.im_usersetting (
    id integer NOT NULL,
    user_id integer NOT NULL,
    setting character varying(255) NOT NULL,
    value integer NOT NULL
);

CREATE SEQUENCE public.im_usersetting_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.im_usersetting_id_seq OWNED BY public.im_usersetting.id;

CREATE TABLE public.quotaholder_app_callserial (
    id integer NOT NULL,
    serial bigint NOT NULL,
    clientkey character varying(4096) NOT NULL
);

CREATE SEQUENCE public.quotaholder_app_callserial_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.quotaholder_app_callserial_id_seq OWNED BY public.quotaholder_app_callserial.id;

CREATE TABLE public.quotaholder_app_commission (
    serial integer NOT NULL,
    entity_id character varying(4096) NOT NULL,
    name character varying(4096),
    clientkey character varying(4096) NOT NULL,
    issue_time character varying(24) NOT NULL
);

CREATE SEQUENCE public.quotaholder_app_commission_serial_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.quotaholder_app_commission_serial_seq OWNED BY public.quotaholder_app_commission.serial;

CREATE TABLE public.quotaholder_app_entity (
    entity character varying(4096) NOT NULL,
    owner_id character varying(4096) NOT NULL,
    key character varying(4096) NOT NULL
);

CREATE TABLE public.quotaholder_app_holder (
    attribute character varying(4096) NOT NULL,
    intval bigint NOT NULL,
    strval character varying(4096) NOT NULL
);

CREATE TABLE public.quotaholder_app_holding (
    id integer NOT NULL,
    entity_id character varying(4096) NOT NULL,
    resource character varying(4096) NOT NULL,
    policy_id character varying(4096) NOT NULL,
    flags bigint NOT NULL,
    imported numeric(38,0) NOT NULL,
    importing numeric(38,0) NOT NULL,
    exported numeric(38,0) NOT NULL,
    exporting numeric(38,0) NOT NULL,
    returned numeric(38,0) NOT NULL,
    "returning" numeric(38,0) NOT NULL,
    released numeric(38,0) NOT NULL,
    releasing numeric(38,0) NOT NULL
);

CREATE SEQUENCE public.quotaholder_app_holding_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.quotaholder_app_holding_id_seq OWNED BY public.quotaholder_app_holding.id;

CREATE TABLE public.quotaholder_app_policy (
    policy character varying(4096) NOT NULL,
    quantity numeric(38,0) NOT NULL,
    capacity numeric(38,0) NOT NULL,
    import_limit numeric(38,0) NOT NULL,
    export_limit numeric(38,0) NOT NULL
);

CREATE TABLE public.quotaholder_app_provision (
    id integer NOT NULL,
    serial_id integer NOT NULL,
    entity_id character varying(4096) NOT NULL,
    resource character varying(4096) NOT NULL,
    quantity numeric(38,0) NOT NULL
);

CREATE SEQUENCE public.quotaholder_app_provision_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.quotaholder_app_provision_id_seq OWNED BY public.quotaholder_app_provision.id;

CREATE TABLE public.quotaholder_app_provisionlog (
    id integer NOT NULL,
    serial bigint NOT NULL,
    source character varying(4096) NOT NULL,
    target character varying(4096) NOT NULL,
    name character varying(4096) NOT NULL,
    issue_time character varying(4096) NOT NULL,
    log_time character varying(4096) NOT NULL,
    resource character varying(4096) NOT NULL,
    source_quantity numeric(38,0) NOT NULL,
    source_capacity numeric(38,0) NOT NULL,
    source_import_limit numeric(38,0) NOT NULL,
    source_export_limit numeric(38,0) NOT NULL,
    source_imported numeric(38,0) NOT NULL,
    source_exported numeric(38,0) NOT NULL,
    source_returned numeric(38,0) NOT NULL,
    source_released numeric(38,0) NOT NULL,
    target_quantity numeric(38,0) NOT NULL,
    target_capacity numeric(38,0) NOT NULL,
    target_import_limit numeric(38,0) NOT NULL,
    target_export_limit numeric(38,0) NOT NULL,
    target_imported numeric(38,0) NOT NULL,
    target_exported numeric(38,0) NOT NULL,
    target_returned numeric(38,0) NOT NULL,
    target_released numeric(38,0) NOT NULL,
    delta_quantity numeric(38,0) NOT NULL,
    reason character varying(4096) NOT NULL
);

CREATE SEQUENCE public.quotaholder_app_provisionlog_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.quotaholder_app_provisionlog_id_seq OWNED BY public.quotaholder_app_provisionlog.id;

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

ALTER TABLE ONLY public.im_astakosuserauthprovider ALTER COLUMN id SET DEFAULT nextval('public.im_astakosuserauthprovider_id_seq'::regclass);

ALTER TABLE ONLY public.im_astakosuserquota ALTER COLUMN id SET DEFAULT nextval('public.im_astakosuserquota_id_seq'::regclass);

ALTER TABLE ONLY public.im_chain ALTER COLUMN chain SET DEFAULT nextval('public.im_chain_chain_seq'::regclass);

ALTER TABLE ONLY public.im_emailchange ALTER COLUMN id SET DEFAULT nextval('public.im_emailchange_id_seq'::regclass);

ALTER TABLE ONLY public.im_invitation ALTER COLUMN id SET DEFAULT nextval('public.im_invitation_id_seq'::regclass);

ALTER TABLE ONLY public.im_pendingthirdpartyuser ALTER COLUMN id SET DEFAULT nextval('public.im_pendingthirdpartyuser_id_seq'::regclass);

ALTER TABLE ONLY public.im_projectapplication ALTER COLUMN id SET DEFAULT nextval('public.im_projectapplication_id_seq'::regclass);

ALTER TABLE ONLY public.im_projectmembership ALTER COLUMN id SET DEFAULT nextval('public.im_projectmembership_id_seq'::regclass);

ALTER TABLE ONLY public.im_projectmembershiphistory ALTER COLUMN id SET DEFAULT nextval('public.im_projectmembershiphistory_id_seq'::regclass);

ALTER TABLE ONLY public.im_projectresourcegrant ALTER COLUMN id SET DEFAULT nextval('public.im_projectresourcegrant_id_seq'::regclass);

ALTER TABLE ONLY public.im_resource ALTER COLUMN id SET DEFAULT nextval('public.im_resource_id_seq'::regclass);

ALTER TABLE ONLY public.im_resource_meta ALTER COLUMN id SET DEFAULT nextval('public.im_resource_meta_id_seq'::regclass);

ALTER TABLE ONLY public.im_resourcemetadata ALTER COLUMN id SET DEFAULT nextval('public.im_resourcemetadata_id_seq'::regclass);

ALTER TABLE ONLY public.im_serial ALTER COLUMN serial SET DEFAULT nextval('public.im_serial_serial_seq'::regclass);

ALTER TABLE ONLY public.im_service ALTER COLUMN id SET DEFAULT nextval('public.im_service_id_seq'::regclass);

ALTER TABLE ONLY public.im_sessioncatalog ALTER COLUMN id SET DEFAULT nextval('public.im_sessioncatalog_id_seq'::regclass);

ALTER TABLE ONLY public.im_usersetting ALTER COLUMN id SET DEFAULT nextval('public.im_usersetting_id_seq'::regclass);

ALTER TABLE ONLY public.quotaholder_app_callserial ALTER COLUMN id SET DEFAULT nextval('public.quotaholder_app_callserial_id_seq'::regclass);

ALTER TABLE ONLY public.quotaholder_app_commission ALTER COLUMN serial SET DEFAULT nextval('public.quotaholder_app_commission_serial_seq'::regclass);

ALTER TABLE ONLY public.quotaholder_app_holding ALTER COLUMN id SET DEFAULT nextval('public.quotaholder_app_holding_id_seq'::regclass);

ALTER TABLE ONLY public.quotaholder_app_provision ALTER COLUMN id SET DEFAULT nextval('public.quotaholder_app_provision_id_seq'::regclass);

ALTER TABLE ONLY public.quotaholder_app_provisionlog ALTER COLUMN id SET DEFAULT nextval('public.quotaholder_app_provisionlog_id_seq'::regclass);

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
    ADD CONSTRAINT im_astakosuser_uuid_key UNIQUE (uuid);

ALTER TABLE ONLY public.im_astakosuserauthprovider
    ADD CONSTRAINT im_astakosuserauthprovider_identifier_20ef82432adc4247_uniq UNIQUE (identifier, module, user_id);

ALTER TABLE ONLY public.im_astakosuserauthprovider
    ADD CONSTRAINT im_astakosuserauthprovider_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_astakosuserquota
    ADD CONSTRAINT im_astakosuserquota_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_astakosuserquota
    ADD CONSTRAINT im_astakosuserquota_resource_id_a8984f5748ed41c_uniq UNIQUE (resource_id, user_id);

ALTER TABLE ONLY public.im_chain
    ADD CONSTRAINT im_chain_pkey PRIMARY KEY (chain);

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

ALTER TABLE ONLY public.im_pendingthirdpartyuser
    ADD CONSTRAINT im_pendingthirdpartyuser_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_pendingthirdpartyuser
    ADD CONSTRAINT im_pendingthirdpartyuser_provider_c6ed5b5d54ab767_uniq UNIQUE (provider, third_party_identifier);

ALTER TABLE ONLY public.im_pendingthirdpartyuser
    ADD CONSTRAINT im_pendingthirdpartyuser_username_key UNIQUE (username);

ALTER TABLE ONLY public.im_project
    ADD CONSTRAINT im_project_application_id_key UNIQUE (application_id);

ALTER TABLE ONLY public.im_project
    ADD CONSTRAINT im_project_name_key UNIQUE (name);

ALTER TABLE ONLY public.im_project
    ADD CONSTRAINT im_project_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_projectapplication
    ADD CONSTRAINT im_projectapplication_chain_20321179a1dd661a_uniq UNIQUE (chain, id);

ALTER TABLE ONLY public.im_projectapplication
    ADD CONSTRAINT im_projectapplication_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_projectmembership
    ADD CONSTRAINT im_projectmembership_person_id_b8dfc827501861_uniq UNIQUE (person_id, project_id);

ALTER TABLE ONLY public.im_projectmembership
    ADD CONSTRAINT im_projectmembership_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_projectmembershiphistory
    ADD CONSTRAINT im_projectmembershiphistory_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_projectresourcegrant
    ADD CONSTRAINT im_projectresourcegrant_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_projectresourcegrant
    ADD CONSTRAINT im_projectresourcegrant_resource_id_28aa5745dc34bc90_uniq UNIQUE (resource_id, project_application_id);

ALTER TABLE ONLY public.im_resource_meta
    ADD CONSTRAINT im_resource_meta_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_resource_meta
    ADD CONSTRAINT im_resource_meta_resource_id_35c2ed83f2dc7742_uniq UNIQUE (resource_id, resourcemetadata_id);

ALTER TABLE ONLY public.im_resource
    ADD CONSTRAINT im_resource_name_64946b943d0edfc_uniq UNIQUE (name, service_id);

ALTER TABLE ONLY public.im_resource
    ADD CONSTRAINT im_resource_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_resourcemetadata
    ADD CONSTRAINT im_resourcemetadata_key_key UNIQUE (key);

ALTER TABLE ONLY public.im_resourcemetadata
    ADD CONSTRAINT im_resourcemetadata_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_serial
    ADD CONSTRAINT im_serial_pkey PRIMARY KEY (serial);

ALTER TABLE ONLY public.im_service
    ADD CONSTRAINT im_service_name_key UNIQUE (name);

ALTER TABLE ONLY public.im_service
    ADD CONSTRAINT im_service_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_sessioncatalog
    ADD CONSTRAINT im_sessioncatalog_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_usersetting
    ADD CONSTRAINT im_usersetting_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.im_usersetting
    ADD CONSTRAINT im_usersetting_user_id_56cec0d60e7ac53_uniq UNIQUE (user_id, setting);

ALTER TABLE ONLY public.quotaholder_app_callserial
    ADD CONSTRAINT quotaholder_app_callserial_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.quotaholder_app_callserial
    ADD CONSTRAINT quotaholder_app_callserial_serial_clientkey_key UNIQUE (serial, clientkey);

ALTER TABLE ONLY public.quotaholder_app_commission
    ADD CONSTRAINT quotaholder_app_commission_pkey PRIMARY KEY (serial);

ALTER TABLE ONLY public.quotaholder_app_entity
    ADD CONSTRAINT quotaholder_app_entity_pkey PRIMARY KEY (entity);

ALTER TABLE ONLY public.quotaholder_app_holder
    ADD CONSTRAINT quotaholder_app_holder_pkey PRIMARY KEY (attribute);

ALTER TABLE ONLY public.quotaholder_app_holding
    ADD CONSTRAINT quotaholder_app_holding_entity_id_resource_key UNIQUE (entity_id, resource);

ALTER TABLE ONLY public.quotaholder_app_holding
    ADD CONSTRAINT quotaholder_app_holding_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.quotaholder_app_policy
    ADD CONSTRAINT quotaholder_app_policy_pkey PRIMARY KEY (policy);

ALTER TABLE ONLY public.quotaholder_app_provision
    ADD CONSTRAINT quotaholder_app_provision_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.quotaholder_app_provisionlog
    ADD CONSTRAINT quotaholder_app_provisionlog_pkey PRIMARY KEY (id);

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

CREATE INDEX im_astakosuser_disturbed_quota ON public.im_astakosuser USING btree (disturbed_quota);

CREATE INDEX im_astakosuserauthprovider_user_id ON public.im_astakosuserauthprovider USING btree (user_id);

CREATE INDEX im_astakosuserquota_resource_id ON public.im_astakosuserquota USING btree (resource_id);

CREATE INDEX im_astakosuserquota_user_id ON public.im_astakosuserquota USING btree (user_id);

CREATE INDEX im_invitation_code ON public.im_invitation USING btree (code);

CREATE INDEX im_invitation_inviter_id ON public.im_invitation USING btree (inviter_id);

CREATE INDEX im_project_id ON public.im_project USING btree (id);

CREATE INDEX im_project_is_active ON public.im_project USING btree (is_active);

CREATE INDEX im_project_is_modified ON public.im_project USING btree (is_modified);

CREATE INDEX im_project_state ON public.im_project USING btree (state);

CREATE INDEX im_projectapplication_applicant_id ON public.im_projectapplication USING btree (applicant_id);

CREATE INDEX im_projectapplication_chain ON public.im_projectapplication USING btree (chain);

CREATE INDEX im_projectapplication_owner_id ON public.im_projectapplication USING btree (owner_id);

CREATE INDEX im_projectapplication_state ON public.im_projectapplication USING btree (state);

CREATE INDEX im_projectmembership_acceptance_date ON public.im_projectmembership USING btree (acceptance_date);

CREATE INDEX im_projectmembership_application_id ON public.im_projectmembership USING btree (application_id);

CREATE INDEX im_projectmembership_is_active ON public.im_projectmembership USING btree (is_active);

CREATE INDEX im_projectmembership_is_pending ON public.im_projectmembership USING btree (is_pending);

CREATE INDEX im_projectmembership_pending_application_id ON public.im_projectmembership USING btree (pending_application_id);

CREATE INDEX im_projectmembership_pending_serial ON public.im_projectmembership USING btree (pending_serial);

CREATE INDEX im_projectmembership_person_id ON public.im_projectmembership USING btree (person_id);

CREATE INDEX im_projectmembership_project_id ON public.im_projectmembership USING btree (project_id);

CREATE INDEX im_projectmembership_state ON public.im_projectmembership USING btree (state);

CREATE INDEX im_projectresourcegrant_project_application_id ON public.im_projectresourcegrant USING btree (project_application_id);

CREATE INDEX im_projectresourcegrant_resource_id ON public.im_projectresourcegrant USING btree (resource_id);

CREATE INDEX im_resource_meta_resource_id ON public.im_resource_meta USING btree (resource_id);

CREATE INDEX im_resource_meta_resourcemetadata_id ON public.im_resource_meta USING btree (resourcemetadata_id);

CREATE INDEX im_resource_service_id ON public.im_resource USING btree (service_id);

CREATE INDEX im_service_name ON public.im_service USING btree (name);

CREATE INDEX im_sessioncatalog_user_id ON public.im_sessioncatalog USING btree (user_id);

CREATE INDEX im_usersetting_user_id ON public.im_usersetting USING btree (user_id);

CREATE INDEX quotaholder_app_commission_entity_id ON public.quotaholder_app_commission USING btree (entity_id);

CREATE INDEX quotaholder_app_commission_entity_id_like ON public.quotaholder_app_commission USING btree (entity_id varchar_pattern_ops);

CREATE INDEX quotaholder_app_entity_owner_id ON public.quotaholder_app_entity USING btree (owner_id);

CREATE INDEX quotaholder_app_entity_owner_id_like ON public.quotaholder_app_entity USING btree (owner_id varchar_pattern_ops);

CREATE INDEX quotaholder_app_holding_entity_id ON public.quotaholder_app_holding USING btree (entity_id);

CREATE INDEX quotaholder_app_holding_entity_id_like ON public.quotaholder_app_holding USING btree (entity_id varchar_pattern_ops);

CREATE INDEX quotaholder_app_holding_policy_id ON public.quotaholder_app_holding USING btree (policy_id);

CREATE INDEX quotaholder_app_holding_policy_id_like ON public.quotaholder_app_holding USING btree (policy_id varchar_pattern_ops);

CREATE INDEX quotaholder_app_provision_entity_id ON public.quotaholder_app_provision USING btree (entity_id);

CREATE INDEX quotaholder_app_provision_entity_id_like ON public.quotaholder_app_provision USING btree (entity_id varchar_pattern_ops);

CREATE INDEX quotaholder_app_provision_serial_id ON public.quotaholder_app_provision USING btree (serial_id);

-- section: foreign-keys

ALTER TABLE ONLY public.im_projectapplication
    ADD CONSTRAINT applicant_id_refs_user_ptr_id_101aa33b5cb45f2a FOREIGN KEY (applicant_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_projectmembership
    ADD CONSTRAINT application_id_refs_id_71948d3d104e4222 FOREIGN KEY (application_id) REFERENCES public.im_projectapplication(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_project
    ADD CONSTRAINT application_id_refs_id_c4e25c8185a8478 FOREIGN KEY (application_id) REFERENCES public.im_projectapplication(id) DEFERRABLE INITIALLY DEFERRED;

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

ALTER TABLE ONLY public.im_projectapplication
    ADD CONSTRAINT chain_refs_chain_4f4472e25c63ba54 FOREIGN KEY (chain) REFERENCES public.im_chain(chain) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.django_admin_log
    ADD CONSTRAINT django_admin_log_content_type_id_fkey FOREIGN KEY (content_type_id) REFERENCES public.django_content_type(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT group_id_refs_id_3cea63fe FOREIGN KEY (group_id) REFERENCES public.auth_group(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_project
    ADD CONSTRAINT id_refs_chain_5b47a71acec9cf47 FOREIGN KEY (id) REFERENCES public.im_chain(chain) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_invitation
    ADD CONSTRAINT inviter_id_refs_user_ptr_id_13f9b218a3d2a69c FOREIGN KEY (inviter_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.quotaholder_app_entity
    ADD CONSTRAINT owner_id_refs_entity_7acf0577 FOREIGN KEY (owner_id) REFERENCES public.quotaholder_app_entity(entity) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_projectapplication
    ADD CONSTRAINT owner_id_refs_user_ptr_id_101aa33b5cb45f2a FOREIGN KEY (owner_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_additionalmail
    ADD CONSTRAINT owner_id_refs_user_ptr_id_4ffb6e9c0835e78d FOREIGN KEY (owner_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_projectmembership
    ADD CONSTRAINT pending_application_id_refs_id_71948d3d104e4222 FOREIGN KEY (pending_application_id) REFERENCES public.im_projectapplication(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_projectmembership
    ADD CONSTRAINT person_id_refs_user_ptr_id_226c3a56956dc30d FOREIGN KEY (person_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_projectapplication
    ADD CONSTRAINT precursor_application_id_refs_id_794e5e0c38830905 FOREIGN KEY (precursor_application_id) REFERENCES public.im_projectapplication(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_projectresourcegrant
    ADD CONSTRAINT project_application_id_refs_id_66783c60521311ef FOREIGN KEY (project_application_id) REFERENCES public.im_projectapplication(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_projectmembership
    ADD CONSTRAINT project_id_refs_id_66c348dfc0287ecf FOREIGN KEY (project_id) REFERENCES public.im_project(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.quotaholder_app_commission
    ADD CONSTRAINT quotaholder_app_commission_entity_id_fkey FOREIGN KEY (entity_id) REFERENCES public.quotaholder_app_entity(entity) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.quotaholder_app_holding
    ADD CONSTRAINT quotaholder_app_holding_entity_id_fkey FOREIGN KEY (entity_id) REFERENCES public.quotaholder_app_entity(entity) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.quotaholder_app_holding
    ADD CONSTRAINT quotaholder_app_holding_policy_id_fkey FOREIGN KEY (policy_id) REFERENCES public.quotaholder_app_policy(policy) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.quotaholder_app_provision
    ADD CONSTRAINT quotaholder_app_provision_entity_id_fkey FOREIGN KEY (entity_id) REFERENCES public.quotaholder_app_entity(entity) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.quotaholder_app_provision
    ADD CONSTRAINT quotaholder_app_provision_serial_id_fkey FOREIGN KEY (serial_id) REFERENCES public.quotaholder_app_commission(serial) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_resource_meta
    ADD CONSTRAINT resource_id_refs_id_2675fea5318fa322 FOREIGN KEY (resource_id) REFERENCES public.im_resource(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_astakosuserquota
    ADD CONSTRAINT resource_id_refs_id_446c696037b01f66 FOREIGN KEY (resource_id) REFERENCES public.im_resource(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_projectresourcegrant
    ADD CONSTRAINT resource_id_refs_id_632c9ec17c98147c FOREIGN KEY (resource_id) REFERENCES public.im_resource(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_resource_meta
    ADD CONSTRAINT resourcemetadata_id_refs_id_79f569d70ea8235b FOREIGN KEY (resourcemetadata_id) REFERENCES public.im_resourcemetadata(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_resource
    ADD CONSTRAINT service_id_refs_id_40ec68d23e3815e5 FOREIGN KEY (service_id) REFERENCES public.im_service(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_user_groups
    ADD CONSTRAINT user_id_refs_id_831107f1 FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.django_admin_log
    ADD CONSTRAINT user_id_refs_id_c8665aa FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT user_id_refs_id_f2045483 FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_emailchange
    ADD CONSTRAINT user_id_refs_user_ptr_id_108e3452c7617f70 FOREIGN KEY (user_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_sessioncatalog
    ADD CONSTRAINT user_id_refs_user_ptr_id_3f68afc051d92044 FOREIGN KEY (user_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_usersetting
    ADD CONSTRAINT user_id_refs_user_ptr_id_5a68a2f6891e6dfb FOREIGN KEY (user_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_astakosuserquota
    ADD CONSTRAINT user_id_refs_user_ptr_id_6bdb7bcc250b5b9e FOREIGN KEY (user_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.im_astakosuserauthprovider
    ADD CONSTRAINT user_id_refs_user_ptr_id_f4d2b2a64f4348a FOREIGN KEY (user_id) REFERENCES public.im_astakosuser(user_ptr_id) DEFERRABLE INITIALLY DEFERRED;

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
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (16, 'im', '0015_auto__add_chain__add_project__add_projectmembership__add_unique_projec', '2026-11-24 20:42:52.344064+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (17, 'im', '0016_auth_providers_and_projects', '2026-11-24 20:42:52.364456+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (18, 'im', '0017_auto__add_field_resource_uplimit__chg_field_astakosuserquota_capacity_', '2026-11-24 20:42:52.413177+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (19, 'im', '0018_auto__chg_field_approvalterms_date__chg_field_project_creation_date__c', '2026-11-24 20:42:52.469013+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (20, 'im', '0019_clear_service_auth_token', '2026-11-24 20:42:52.489+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (21, 'im', '0020_auto', '2026-11-24 20:42:52.528681+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (22, 'im', '0021_auto__chg_field_project_name', '2026-11-24 20:42:52.55011+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (23, 'im', '0022_auto__chg_field_project_id__chg_field_projectapplication_chain', '2026-11-24 20:42:52.582746+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (24, 'im', '0023_auto__add_usersetting__add_unique_usersetting_user_setting', '2026-11-24 20:42:52.605943+00');
INSERT INTO public.south_migrationhistory (id, app_name, migration, applied) VALUES (25, 'im', '0024_auto__add_field_projectapplication_response', '2026-11-24 20:42:52.625461+00');
SELECT pg_catalog.setval('public.south_migrationhistory_id_seq', 25, true);

