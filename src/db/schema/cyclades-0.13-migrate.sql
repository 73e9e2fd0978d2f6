-- Schema changes of the Cyclades 0.13 upgrade (guide step 3.2), for the sandbox only:
-- what `snf-manage migrate` does with South db 0059-0061 to a 0.12.5 database.
-- The data part of 0061 (network flavors) is done in code (src/sandbox/simulate.ts).
-- Result: the catalog of cyclades-0.13.sql.

-- section: 0059

CREATE TABLE public.db_quotaholderserial (
    serial bigint NOT NULL,
    pending boolean DEFAULT true NOT NULL,
    accepted boolean DEFAULT false NOT NULL,
    rejected boolean DEFAULT false NOT NULL
);

ALTER TABLE ONLY public.db_quotaholderserial
    ADD CONSTRAINT db_quotaholderserial_pkey PRIMARY KEY (serial);

CREATE INDEX db_quotaholderserial_pending ON public.db_quotaholderserial USING btree (pending);

ALTER TABLE public.db_virtualmachine ADD COLUMN serial_id bigint;

ALTER TABLE public.db_network ADD COLUMN serial_id bigint;

CREATE INDEX db_virtualmachine_serial_id ON public.db_virtualmachine USING btree (serial_id);

CREATE INDEX db_network_serial_id ON public.db_network USING btree (serial_id);

ALTER TABLE ONLY public.db_virtualmachine
    ADD CONSTRAINT serial_id_refs_serial_34e5961a19495384 FOREIGN KEY (serial_id) REFERENCES public.db_quotaholderserial(serial) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.db_network
    ADD CONSTRAINT serial_id_refs_serial_45acc3429c421093 FOREIGN KEY (serial_id) REFERENCES public.db_quotaholderserial(serial) DEFERRABLE INITIALLY DEFERRED;

-- section: 0060

ALTER TABLE public.db_network RENAME COLUMN type TO flavor;

ALTER TABLE public.db_network ADD COLUMN mode character varying(16);

ALTER TABLE public.db_network ADD COLUMN tags character varying(128);

ALTER TABLE public.db_network ALTER COLUMN link TYPE character varying(32);
