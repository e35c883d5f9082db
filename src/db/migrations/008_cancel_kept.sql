-- opsdeck schema, version 8: a request to stop a running job holds
-- whatever its attempt ends in, and the functions that lock a job and its
-- store take the two locks in one order.
--
-- Version 7 recorded the request on the job and honoured it at the job's
-- next step only. An attempt that ended in a transient failure (job_end
-- 'retry') or that its runner handed back (job_release) put the job back
-- in the queue, and the next claim ran it again: the request was lost.
-- Now such an attempt ends the job cancelled, a claim never runs a job
-- that was asked to stop (one whose runner stopped renewing its lease is
-- ended cancelled instead), and a job put back in the queue that way
-- before this version is cancelled below.
--
-- Lock order: a job's row before its store's row. job_claim, job_end,
-- job_release, job_cancel, job_step_next and job_retry lock the job first
-- (job_holds, job_lock_in, or FOR UPDATE) and the store after it;
-- store_request, which changes a store and cancels its waiting jobs on a
-- delete, now locks the store's queued and running jobs (in id order)
-- before the store. Version 2's store_request locked the store first:
-- a delete holding the store and waiting for a job deadlocked with a
-- cancel or a claim holding that job and waiting for the store.

-- Ends job j -- asked to stop, its row locked by the caller -- cancelled,
-- for the one who asked, with how it stopped: "cancelled by alice <how>".
CREATE FUNCTION opsdeck.job_cancel_honour(j opsdeck.jobs, p_how text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	v_msg text := format('cancelled by %s %s', j.cancel_requested_by, p_how);
BEGIN
	PERFORM opsdeck.job_cancelled(j, j.cancel_requested_by, v_msg);
	RETURN v_msg;
END
$$;

-- As in version 2, except that a job asked to stop is not run: one whose
-- runner stopped renewing its lease ends cancelled (its open step lost),
-- and one queued ends cancelled too.
CREATE OR REPLACE FUNCTION opsdeck.job_claim(p_owner text, p_lease_s integer)
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
		   AND (c.kind <> 'provision' OR busy < coalesce(lim, 3)
			OR c.cancel_requested_at IS NOT NULL)
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
		IF j.cancel_requested_at IS NOT NULL THEN
			PERFORM opsdeck.job_cancel_honour(j,
				CASE WHEN j.state = 'running'
				     THEN format('after its runner %s stopped renewing its lease',
						 j.lease_owner)
				     ELSE 'as asked while it ran; it was not run again' END);
			CONTINUE;
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

-- As in version 2, except that an attempt of a job asked to stop that
-- ends in a transient failure ('retry') ends the job cancelled, its step
-- failed with the message, instead of queueing it again.
CREATE OR REPLACE FUNCTION opsdeck.job_end(p_job bigint, p_owner text, p_outcome text,
					   p_message text, p_retry_s integer, p_url text)
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
	IF v_outcome = 'retry' AND j.cancel_requested_at IS NOT NULL THEN
		PERFORM opsdeck.job_step_close(p_job, 'failed', p_message);
		PERFORM opsdeck.job_cancel_honour(j,
			format('instead of trying again after attempt %s failed%s', j.attempts,
			       coalesce(': ' || p_message, '')));
		RETURN true;
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
	       last_error = CASE WHEN v_outcome = 'succeeded' THEN last_error
				 ELSE left(p_message, 4000) END
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
		UPDATE opsdeck.stores SET status = 'Deleted', url = NULL, error_message = NULL
		 WHERE id = s.id;
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

-- As in version 2, except that a job asked to stop that its runner hands
-- back ends cancelled instead of going back to the queue.
CREATE OR REPLACE FUNCTION opsdeck.job_release(p_job bigint, p_owner text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	j opsdeck.jobs%ROWTYPE;
BEGIN
	SELECT * INTO j FROM opsdeck.jobs WHERE id = p_job AND state = 'running'
	   AND lease_owner = p_owner FOR UPDATE;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	IF j.cancel_requested_at IS NOT NULL THEN
		PERFORM opsdeck.job_cancel_honour(j,
			format('when its runner %s stopped %s', p_owner,
			       coalesce('at step ' || j.step, 'before its first step')));
		RETURN true;
	END IF;
	UPDATE opsdeck.jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,
	       attempts = greatest(attempts - 1, 0), run_after = now()
	 WHERE id = p_job;
	PERFORM opsdeck.job_step_close(p_job, 'cancelled',
				       format('runner %s stopped; job released', p_owner));
	RETURN true;
END
$$;

-- An attempt's end and its handing back (the version 4 functions, which
-- runners call), answered as job_step_next answers: ok false when the
-- lease is not this runner's; cancelled, the cancel in words when a
-- request to stop made the job end cancelled instead (else NULL), so that
-- the runner says what happened.
CREATE FUNCTION opsdeck.job_end_next(p_job bigint, p_owner text, p_attempt integer,
				     p_outcome text, p_message text, p_retry_s integer,
				     p_url text)
RETURNS TABLE (ok boolean, cancelled text)
LANGUAGE plpgsql AS $$
DECLARE
	v_ok boolean;
BEGIN
	v_ok := opsdeck.job_end(p_job, p_owner, p_attempt, p_outcome, p_message, p_retry_s,
				p_url);
	RETURN QUERY SELECT v_ok, (SELECT j.last_error FROM opsdeck.jobs j
				   WHERE v_ok AND p_outcome <> 'cancelled' AND j.id = p_job
				     AND j.state = 'cancelled');
END
$$;

CREATE FUNCTION opsdeck.job_release_next(p_job bigint, p_owner text, p_attempt integer)
RETURNS TABLE (ok boolean, cancelled text)
LANGUAGE plpgsql AS $$
DECLARE
	v_ok boolean;
BEGIN
	v_ok := opsdeck.job_release(p_job, p_owner, p_attempt);
	RETURN QUERY SELECT v_ok, (SELECT j.last_error FROM opsdeck.jobs j
				   WHERE v_ok AND j.id = p_job AND j.state = 'cancelled');
END
$$;

-- As in version 2, except that the store's queued and running jobs are
-- locked before the store (the lock order above).
CREATE OR REPLACE FUNCTION opsdeck.store_request(p_store text, p_kind text, p_replicas integer,
						 p_actor text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	s opsdeck.stores%ROWTYPE;
	jid bigint;
	v_kind text := p_kind;
	v_args jsonb := jsonb_build_object('actor', p_actor);
	msg text;
BEGIN
	PERFORM 1 FROM opsdeck.jobs j WHERE j.store = p_store AND j.state IN ('queued', 'running')
	 ORDER BY j.id FOR UPDATE;
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

-- Jobs that version 7 put back in the queue although they were asked to
-- stop end cancelled now, as the request said.
DO $$
DECLARE
	j opsdeck.jobs%ROWTYPE;
BEGIN
	FOR j IN SELECT * FROM opsdeck.jobs
		  WHERE state = 'queued' AND cancel_requested_at IS NOT NULL ORDER BY id FOR UPDATE
	LOOP
		PERFORM opsdeck.job_cancel_honour(j, 'as asked while it ran; it was not run again');
	END LOOP;
END
$$;
