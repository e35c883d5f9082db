-- opsdeck schema, version 2: the job runner. Ordering and operating stores,
-- claiming jobs under leases with a concurrency limit kept here, the step
-- timeline of every job, and the global limits.
--
-- Every operation is one function call, so that it is one statement and one
-- transaction whoever calls it (the console on its asynchronous connection,
-- the CLI, a worker), and so that the rules live next to the data.

-- ---- global limits ----------------------------------------------------------

CREATE TABLE opsdeck.settings (
	name text PRIMARY KEY
		CONSTRAINT settings_name_known CHECK (name IN ('max_concurrent_provisions', 'max_stores')),
	value integer NOT NULL CONSTRAINT settings_value_range CHECK (value BETWEEN 0 AND 100000)
);
INSERT INTO opsdeck.settings (name, value) VALUES ('max_concurrent_provisions', 3), ('max_stores', 50);

-- MAX_STORES across every cluster: counted under a lock on the setting's
-- row, so that two concurrent orders cannot both take the last place.
CREATE FUNCTION opsdeck.stores_global_limit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	lim integer;
	n integer;
BEGIN
	SELECT value INTO lim FROM opsdeck.settings WHERE name = 'max_stores' FOR UPDATE;
	SELECT count(*) INTO n FROM opsdeck.stores WHERE status <> 'Deleted';
	IF lim IS NOT NULL AND n + 1 > lim THEN
		RAISE EXCEPTION 'opsdeck runs at most % stores and has % already', lim, n
			USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_max_stores';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER stores_global_limit BEFORE INSERT ON opsdeck.stores
	FOR EACH ROW EXECUTE FUNCTION opsdeck.stores_global_limit();

-- ---- the step timeline ------------------------------------------------------

ALTER TABLE opsdeck.jobs ADD COLUMN step text
	CONSTRAINT jobs_step_valid CHECK (step ~ '^[a-z][a-z-]{0,31}$');

CREATE TABLE opsdeck.job_steps (
	id bigserial PRIMARY KEY,
	job bigint NOT NULL CONSTRAINT job_steps_job_fk REFERENCES opsdeck.jobs (id),
	attempt integer NOT NULL CONSTRAINT job_steps_attempt_positive CHECK (attempt >= 1),
	step text NOT NULL CONSTRAINT job_steps_step_valid CHECK (step ~ '^[a-z][a-z-]{0,31}$'),
	runner text NOT NULL CONSTRAINT job_steps_runner_valid CHECK (opsdeck.is_name(runner, 200)),
	started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	finished_at timestamptz,
	outcome text CONSTRAINT job_steps_outcome_valid
		CHECK (outcome IN ('done', 'failed', 'retry', 'cancelled', 'lost')),
	message text CONSTRAINT job_steps_message_valid CHECK (opsdeck.is_text(message, 2000)),
	CONSTRAINT job_steps_finished_whole CHECK ((finished_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX job_steps_job ON opsdeck.job_steps (job, id);
CREATE TRIGGER job_steps_notify AFTER INSERT OR UPDATE ON opsdeck.job_steps
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('job');

-- Closes the open step of a job with an outcome.
CREATE FUNCTION opsdeck.job_step_close(p_job bigint, p_outcome text, p_message text) RETURNS void
LANGUAGE sql AS $$
	UPDATE opsdeck.job_steps SET finished_at = clock_timestamp(), outcome = p_outcome,
	       message = coalesce(p_message, message)
	 WHERE job = p_job AND finished_at IS NULL;
$$;

-- ---- ordering and operating stores ------------------------------------------

-- Orders a store: the row (Queued) and its provision job in one statement,
-- with the audit event. The quota, capacity and catalog rules are the
-- stores table's triggers. p_cluster NULL: the only active cluster.
CREATE FUNCTION opsdeck.store_order(p_project text, p_offering text, p_plan text, p_cluster text,
				    p_name text, p_actor text)
RETURNS TABLE (store_id text, store_namespace text, job_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
	prj opsdeck.projects%ROWTYPE;
	off opsdeck.offerings%ROWTYPE;
	pl opsdeck.plans%ROWTYPE;
	cl text;
	names text;
	sid text;
	jid bigint;
BEGIN
	SELECT * INTO prj FROM opsdeck.projects WHERE slug = p_project;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no project %', p_project
			USING ERRCODE = 'no_data_found', CONSTRAINT = 'stores_project_known';
	END IF;
	SELECT * INTO off FROM opsdeck.offerings WHERE slug = p_offering;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no offering %', p_offering
			USING ERRCODE = 'no_data_found', CONSTRAINT = 'stores_offering_known';
	END IF;
	SELECT * INTO pl FROM opsdeck.plans WHERE offering = off.uuid AND name = p_plan;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'offering % has no plan %', p_offering, p_plan
			USING ERRCODE = 'no_data_found', CONSTRAINT = 'stores_plan_known';
	END IF;
	IF p_cluster IS NULL THEN
		SELECT string_agg(c.name, ', ' ORDER BY c.name), min(c.name), count(*)
		  INTO names, cl, jid FROM opsdeck.clusters c WHERE c.state = 'active';
		IF jid = 0 THEN
			RAISE EXCEPTION 'no active cluster: add one with `opsdeck cluster add`'
				USING ERRCODE = 'no_data_found', CONSTRAINT = 'stores_cluster_known';
		ELSIF jid > 1 THEN
			RAISE EXCEPTION 'several clusters are active (%): name one', names
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_cluster_known';
		END IF;
	ELSE
		SELECT c.name INTO cl FROM opsdeck.clusters c WHERE c.name = p_cluster;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'no cluster %', p_cluster
				USING ERRCODE = 'no_data_found', CONSTRAINT = 'stores_cluster_known';
		END IF;
	END IF;
	-- 48 random bits; a collision is retried by the primary key's check below.
	LOOP
		sid := substr(replace(gen_random_uuid()::text, '-', ''), 1, 12);
		EXIT WHEN NOT EXISTS (SELECT 1 FROM opsdeck.stores s WHERE s.id = sid);
	END LOOP;
	INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, status,
				    replicas, created_by)
	VALUES (sid, prj.uuid, off.uuid, pl.uuid, cl, p_name, 'store-' || sid, 'Queued', pl.replicas,
		p_actor);
	INSERT INTO opsdeck.jobs (store, kind, args) VALUES (sid, 'provision', jsonb_build_object('actor', p_actor))
		RETURNING jobs.id INTO jid;
	INSERT INTO opsdeck.events (actor, action, object, project, message, detail)
	VALUES (p_actor, 'store.order', 'store/' || sid, prj.uuid,
		format('ordered store %s (%s): %s %s on cluster %s', sid, p_name, off.slug, pl.name, cl),
		jsonb_build_object('name', p_name, 'offering', off.slug, 'plan', pl.name, 'cluster', cl,
				   'replicas', pl.replicas, 'job', jid));
	RETURN QUERY SELECT sid, 'store-' || sid, jid;
END
$$;

-- Asks for an operation on a store: scale (p_replicas), pause, resume,
-- retry, delete or reconcile. Checks that the store's state allows it,
-- records the request as a job and an audit event, and answers the job's id
-- (NULL when nothing needs doing, e.g. scaling a paused store only changes
-- the replicas it will resume with). Asking again for an operation already
-- queued answers the queued job instead of adding a second one.
CREATE FUNCTION opsdeck.store_request(p_store text, p_kind text, p_replicas integer, p_actor text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	s opsdeck.stores%ROWTYPE;
	jid bigint;
	v_kind text := p_kind;
	v_args jsonb := jsonb_build_object('actor', p_actor);
	msg text;
BEGIN
	SELECT * INTO s FROM opsdeck.stores WHERE id = p_store FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no store %', p_store
			USING ERRCODE = 'no_data_found', CONSTRAINT = 'stores_known';
	END IF;
	IF s.status = 'Deleted' THEN
		RAISE EXCEPTION 'store % is deleted', p_store
			USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_deleted_final';
	END IF;
	IF s.status = 'Deleting' AND p_kind <> 'delete' THEN
		RAISE EXCEPTION 'store % is being deleted', p_store
			USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_request_state';
	END IF;

	IF p_kind = 'scale' THEN
		IF p_replicas IS NULL OR p_replicas NOT BETWEEN 1 AND 50 THEN
			RAISE EXCEPTION 'replicas must be from 1 to 50'
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_replicas_range';
		END IF;
		IF s.status NOT IN ('Ready', 'Paused', 'Failed') THEN
			RAISE EXCEPTION 'store % is %; it can be scaled once it is Ready', p_store, s.status
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_request_state';
		END IF;
		msg := format('scaled store %s from %s to %s replica(s)', p_store, s.replicas, p_replicas);
		-- The quota check is the stores trigger's, on this update.
		UPDATE opsdeck.stores SET replicas = p_replicas WHERE id = p_store;
		v_args := v_args || jsonb_build_object('replicas', p_replicas, 'from', s.replicas);
		IF s.status = 'Paused' THEN
			v_kind := NULL; -- remembered for the resume
			msg := msg || ' (paused: applied when it resumes)';
		END IF;
	ELSIF p_kind = 'pause' THEN
		IF s.status NOT IN ('Ready', 'Failed') THEN
			RAISE EXCEPTION 'store % is %; only a Ready store can be paused', p_store, s.status
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_request_state';
		END IF;
		msg := format('paused store %s', p_store);
	ELSIF p_kind = 'resume' THEN
		IF s.status <> 'Paused' THEN
			RAISE EXCEPTION 'store % is %; only a Paused store can be resumed', p_store, s.status
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_request_state';
		END IF;
		msg := format('resumed store %s', p_store);
	ELSIF p_kind = 'retry' THEN
		IF s.status <> 'Failed' THEN
			RAISE EXCEPTION 'store % is %; only a Failed store can be retried', p_store, s.status
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_request_state';
		END IF;
		-- A retry runs the provisioning again: every step is idempotent,
		-- so it repairs whatever is missing or unhealthy.
		v_kind := 'provision';
		UPDATE opsdeck.stores SET status = 'Queued' WHERE id = p_store;
		msg := format('retried store %s', p_store);
	ELSIF p_kind = 'delete' THEN
		-- Whatever was waiting is moot now.
		UPDATE opsdeck.jobs j SET state = 'cancelled', finished_at = now(),
		       last_error = 'cancelled: the store is being deleted'
		 WHERE j.store = p_store AND j.state = 'queued' AND j.kind <> 'delete';
		UPDATE opsdeck.stores SET status = 'Deleting' WHERE id = p_store;
		msg := format('deleted store %s (%s)', p_store, s.name);
	ELSIF p_kind = 'reconcile' THEN
		msg := format('asked for a reconcile of store %s', p_store);
	ELSE
		RAISE EXCEPTION 'unknown operation %', p_kind
			USING ERRCODE = 'check_violation', CONSTRAINT = 'jobs_kind_valid';
	END IF;

	IF v_kind IS NOT NULL THEN
		SELECT j.id INTO jid FROM opsdeck.jobs j
		 WHERE j.store = p_store AND j.kind = v_kind AND j.state = 'queued'
		   AND (v_kind <> 'scale' OR j.args -> 'replicas' = v_args -> 'replicas')
		 ORDER BY j.id LIMIT 1;
		IF FOUND THEN
			RETURN jid;
		END IF;
		INSERT INTO opsdeck.jobs (store, kind, args) VALUES (p_store, v_kind, v_args)
			RETURNING jobs.id INTO jid;
		v_args := v_args || jsonb_build_object('job', jid);
	END IF;
	INSERT INTO opsdeck.events (actor, action, object, project, message, detail)
	VALUES (p_actor, 'store.' || p_kind, 'store/' || p_store, s.project, msg, v_args - 'actor');
	RETURN jid;
END
$$;

-- ---- the job queue, for runners ---------------------------------------------

-- Claims one runnable job for a runner and leases it for p_lease_s seconds.
-- Runnable: queued and due, or running under a lease that expired (its
-- runner died; every step is idempotent, so the job resumes from the
-- start). Jobs of one store run one at a time, in order. At most
-- max_concurrent_provisions provision jobs hold a live lease at once,
-- counted here under a transaction-level advisory lock so that two runners
-- claiming at the same moment cannot both take the last slot; SKIP LOCKED
-- keeps claims from waiting on rows that a lease renewal is updating.
CREATE FUNCTION opsdeck.job_claim(p_owner text, p_lease_s integer)
RETURNS SETOF opsdeck.jobs
LANGUAGE plpgsql AS $$
DECLARE
	lim integer;
	busy integer;
	j opsdeck.jobs%ROWTYPE;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('opsdeck.job_claim'));
	SELECT value INTO lim FROM opsdeck.settings WHERE name = 'max_concurrent_provisions';
	SELECT count(*) INTO busy FROM opsdeck.jobs
	 WHERE kind = 'provision' AND state = 'running' AND lease_until > now();
	FOR j IN
		SELECT * FROM opsdeck.jobs c
		 WHERE ((c.state = 'queued' AND c.run_after <= now())
			OR (c.state = 'running' AND c.lease_until <= now()))
		   AND (c.kind <> 'provision' OR busy < coalesce(lim, 3))
		   AND NOT EXISTS (SELECT 1 FROM opsdeck.jobs o
				    WHERE o.store = c.store AND o.id < c.id
				      AND o.state IN ('queued', 'running'))
		 ORDER BY c.run_after, c.id
		 FOR UPDATE SKIP LOCKED
	LOOP
		IF j.state = 'running' THEN
			PERFORM opsdeck.job_step_close(j.id, 'lost',
				format('runner %s stopped holding the lease', j.lease_owner));
		END IF;
		IF j.attempts >= j.max_attempts THEN
			-- Its runner died during the last attempt: nothing left to try.
			PERFORM opsdeck.job_end(j.id, j.lease_owner, 'failed',
				format('gave up after %s attempts: runner %s stopped during the last one',
				       j.attempts, coalesce(j.lease_owner, '?')), 0, NULL);
			CONTINUE;
		END IF;
		UPDATE opsdeck.jobs SET state = 'running', lease_owner = p_owner,
		       lease_until = now() + make_interval(secs => p_lease_s),
		       attempts = attempts + 1, step = NULL,
		       started_at = coalesce(started_at, now())
		 WHERE id = j.id RETURNING * INTO j;
		IF j.kind = 'provision' THEN
			UPDATE opsdeck.stores SET status = 'Provisioning', error_message = NULL
			 WHERE id = j.store AND status IN ('Queued', 'Failed', 'Provisioning');
		END IF;
		RETURN NEXT j;
		RETURN;
	END LOOP;
END
$$;

-- Renews a lease. Answers the store's status, or NULL when the lease is no
-- longer this runner's (it expired and another runner took the job, or the
-- job was cancelled): the runner must then stop working on it.
CREATE FUNCTION opsdeck.job_renew(p_job bigint, p_owner text, p_lease_s integer) RETURNS text
LANGUAGE sql AS $$
	WITH j AS (
		UPDATE opsdeck.jobs SET lease_until = now() + make_interval(secs => p_lease_s)
		 WHERE id = p_job AND state = 'running' AND lease_owner = p_owner
		RETURNING store)
	SELECT s.status FROM j JOIN opsdeck.stores s ON s.id = j.store;
$$;

-- Records that a job reached a step (closing the previous one). False when
-- the lease is not this runner's.
CREATE FUNCTION opsdeck.job_step(p_job bigint, p_owner text, p_step text, p_message text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	j opsdeck.jobs%ROWTYPE;
BEGIN
	SELECT * INTO j FROM opsdeck.jobs WHERE id = p_job AND state = 'running' AND lease_owner = p_owner
		FOR UPDATE;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM opsdeck.job_step_close(p_job, 'done', NULL);
	UPDATE opsdeck.jobs SET step = p_step WHERE id = p_job;
	INSERT INTO opsdeck.job_steps (job, attempt, step, runner, message)
	VALUES (p_job, j.attempts, p_step, p_owner, p_message);
	RETURN true;
END
$$;

-- Ends a job's attempt: 'succeeded', 'failed' (for good), 'retry' (a
-- transient failure: queued again after p_retry_s seconds while attempts
-- remain, else failed) or 'cancelled'. Updates the store to match and
-- writes the audit event. False when the lease is not this runner's.
CREATE FUNCTION opsdeck.job_end(p_job bigint, p_owner text, p_outcome text, p_message text,
				p_retry_s integer, p_url text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	j opsdeck.jobs%ROWTYPE;
	s opsdeck.stores%ROWTYPE;
	v_outcome text := p_outcome;
	v_actor text;
	v_action text;
	v_msg text;
BEGIN
	SELECT * INTO j FROM opsdeck.jobs WHERE id = p_job AND state = 'running'
	   AND lease_owner IS NOT DISTINCT FROM p_owner FOR UPDATE;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	SELECT * INTO s FROM opsdeck.stores WHERE id = j.store FOR UPDATE;
	IF v_outcome = 'retry' AND j.attempts >= j.max_attempts THEN
		v_outcome := 'failed';
		p_message := format('%s (gave up after %s attempts)', p_message, j.attempts);
	END IF;
	v_actor := coalesce(p_owner, 'opsdeck');

	IF v_outcome = 'retry' THEN
		PERFORM opsdeck.job_step_close(p_job, 'retry', p_message);
		UPDATE opsdeck.jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,
		       last_error = left(p_message, 4000),
		       run_after = now() + make_interval(secs => greatest(p_retry_s, 0))
		 WHERE id = p_job;
		IF j.kind = 'provision' AND s.status = 'Provisioning' THEN
			UPDATE opsdeck.stores SET status = 'Queued' WHERE id = s.id;
		END IF;
		RETURN true;
	END IF;

	PERFORM opsdeck.job_step_close(p_job, CASE v_outcome WHEN 'succeeded' THEN 'done'
							   WHEN 'cancelled' THEN 'cancelled'
							   ELSE 'failed' END,
				      CASE WHEN v_outcome = 'succeeded' THEN NULL ELSE p_message END);
	UPDATE opsdeck.jobs SET state = v_outcome, lease_owner = NULL, lease_until = NULL,
	       finished_at = now(),
	       last_error = CASE WHEN v_outcome = 'succeeded' THEN last_error ELSE left(p_message, 4000) END
	 WHERE id = p_job;
	IF v_outcome = 'cancelled' THEN
		RETURN true;
	END IF;

	IF v_outcome = 'failed' THEN
		IF s.status <> 'Deleted' THEN
			UPDATE opsdeck.stores SET status = 'Failed', error_message = left(p_message, 4000)
			 WHERE id = s.id;
		END IF;
		v_action := 'store.failed';
		v_msg := format('store %s failed (%s): %s', s.id, j.kind, p_message);
	ELSIF j.kind = 'delete' THEN
		UPDATE opsdeck.stores SET status = 'Deleted', url = NULL, error_message = NULL WHERE id = s.id;
		v_action := 'store.deleted';
		v_msg := format('store %s is deleted; namespace %s is gone', s.id, s.namespace);
	ELSIF s.status IN ('Deleting', 'Deleted') THEN
		RETURN true; -- a delete overtook it
	ELSIF j.kind = 'pause' THEN
		UPDATE opsdeck.stores SET status = 'Paused', error_message = NULL WHERE id = s.id;
		v_action := 'store.paused';
		v_msg := format('store %s is paused', s.id);
	ELSIF j.kind IN ('provision', 'resume', 'scale') THEN
		UPDATE opsdeck.stores SET status = 'Ready', error_message = NULL,
		       url = coalesce(p_url, url), ready_at = now()
		 WHERE id = s.id;
		v_action := 'store.ready';
		v_msg := format('store %s is ready%s', s.id, coalesce(' at ' || coalesce(p_url, s.url), ''));
	ELSE
		RETURN true; -- reconcile reports through opsdeck.store_drift
	END IF;
	INSERT INTO opsdeck.events (actor, action, object, project, message, detail)
	VALUES (v_actor, v_action, 'store/' || s.id, s.project, left(v_msg, 2000),
		jsonb_build_object('job', j.id, 'kind', j.kind, 'attempts', j.attempts));
	RETURN true;
END
$$;

-- A reconcile pass found that what runs no longer matches a Ready store:
-- the store turns Failed with the reason, and the event says why.
CREATE FUNCTION opsdeck.store_drift(p_store text, p_reason text, p_actor text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	s opsdeck.stores%ROWTYPE;
BEGIN
	SELECT * INTO s FROM opsdeck.stores WHERE id = p_store FOR UPDATE;
	IF NOT FOUND OR s.status NOT IN ('Ready', 'Paused') THEN
		RETURN false;
	END IF;
	UPDATE opsdeck.stores SET status = 'Failed', error_message = left('drift: ' || p_reason, 4000)
	 WHERE id = p_store;
	INSERT INTO opsdeck.events (actor, action, object, project, message, detail)
	VALUES (p_actor, 'store.drift', 'store/' || s.id, s.project,
		left(format('store %s was %s but %s', s.id, s.status, p_reason), 2000),
		jsonb_build_object('was', s.status));
	RETURN true;
END
$$;

-- A runner that stops cleanly hands its job back: queued again at once,
-- and the attempt it had begun is not counted.
CREATE FUNCTION opsdeck.job_release(p_job bigint, p_owner text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE opsdeck.jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,
	       attempts = greatest(attempts - 1, 0), run_after = now()
	 WHERE id = p_job AND state = 'running' AND lease_owner = p_owner;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM opsdeck.job_step_close(p_job, 'cancelled', format('runner %s stopped; job released', p_owner));
	RETURN true;
END
$$;
