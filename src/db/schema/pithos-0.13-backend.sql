-- Tables the Pithos 0.13 backend creates when it starts (SQLAlchemy create_all with
-- checkfirst), for the sandbox only. They stay empty and unused in 0.13. The alembic
-- revisions of 0.13 (165ba3fbfe53, 2a309a9a3438, 27381099d477) are NOT part of this:
-- they are the tool's step 6.4.

-- section: backend-start

CREATE TABLE IF NOT EXISTS public.config (
    key character varying(256) NOT NULL,
    value character varying(256),
    CONSTRAINT config_pkey PRIMARY KEY (key)
);

CREATE TABLE IF NOT EXISTS public.qh_serials (
    serial bigserial NOT NULL,
    CONSTRAINT qh_serials_pkey PRIMARY KEY (serial)
);
