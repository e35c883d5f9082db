-- opsdeck schema, version 5: change notices that say which store changed,
-- and what the store list reads found by index.
--
-- A console shows each store with its current job and step. Notices of
-- jobs and job_steps carried the job's id only, so a console re-read every
-- store on every job change. Their payload (and that of stores) now also
-- carries "store": the id of the store the row belongs to. The other keys
-- are as before, so a reader of {table, op, key} reads them unchanged.

CREATE OR REPLACE FUNCTION opsdeck.notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	rec jsonb;
	payload jsonb;
BEGIN
	IF TG_OP = 'DELETE' THEN
		rec := to_jsonb(OLD);
	ELSE
		rec := to_jsonb(NEW);
	END IF;
	payload := jsonb_build_object('table', TG_TABLE_NAME, 'op', lower(TG_OP),
				      'key', rec ->> TG_ARGV[0]);
	-- The second argument, if any: the column holding the row's store.
	IF TG_NARGS > 1 THEN
		payload := payload || jsonb_build_object('store', rec ->> TG_ARGV[1]);
	END IF;
	PERFORM pg_notify('opsdeck', payload::text);
	RETURN NULL;
END
$$;

-- A step belongs to a store through its job.
CREATE FUNCTION opsdeck.notify_job_step_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('opsdeck', jsonb_build_object(
		'table', TG_TABLE_NAME,
		'op', lower(TG_OP),
		'key', NEW.job::text,
		'store', (SELECT store FROM opsdeck.jobs WHERE id = NEW.job))::text);
	RETURN NULL;
END
$$;

DROP TRIGGER stores_notify ON opsdeck.stores;
CREATE TRIGGER stores_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.stores
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('id', 'id');
DROP TRIGGER jobs_notify ON opsdeck.jobs;
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.jobs
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('id', 'store');
DROP TRIGGER job_steps_notify ON opsdeck.job_steps;
CREATE TRIGGER job_steps_notify AFTER INSERT OR UPDATE ON opsdeck.job_steps
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_job_step_change();

-- The store list joins each store to its current job (queued or running)
-- and that job's open step: few rows of big tables, found by these
-- instead of by a look at every job of every store.
CREATE INDEX jobs_current ON opsdeck.jobs (store, id) WHERE state IN ('queued', 'running');
CREATE INDEX job_steps_open ON opsdeck.job_steps (job, id) WHERE finished_at IS NULL;
