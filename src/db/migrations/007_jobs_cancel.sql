-- opsdeck schema, version 7: an operator cancels a job, or runs a failed
-- one again.
--
-- A queued job (or a running one whose runner stopped renewing its lease)
-- is cancelled at once. A running one is asked to stop: the request is
-- recorded on the job, and its runner ends it, cancelled, when it reaches
-- its next step (opsdeck.job_step_next), so that no step is cut in the
-- middle. Either way the store says so, and the audit trail has the
-- request and the end.

ALTER TABLE opsdeck.jobs
	ADD COLUMN cancel_requested_by text
		CONSTRAINT jobs_cancel_by_valid CHECK (opsdeck.is_name(cancel_requested_by, 200)),
	ADD COLUMN cancel_requested_at timestamptz,
	ADD CONSTRAINT jobs_cancel_request_whole
		CHECK ((cancel_requested_by IS NULL) = (cancel_requested_at IS NULL));

-- Ends job j (its row locked by the caller) cancelled with p_message: its
-- open step closed, and the store told -- a store waiting for its
-- provisioning or being deleted turns Failed with the message (from there
-- it can be retried or deleted again); any other keeps its status and
-- shows the message -- and the event written.
CREATE FUNCTION opsdeck.job_cancelled(j opsdeck.jobs, p_actor text, p_message text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	s opsdeck.stores%ROWTYPE;
BEGIN
	PERFORM opsdeck.job_step_close(j.id, 'cancelled', left(p_message, 2000));
	UPDATE opsdeck.jobs SET state = 'cancelled', lease_owner = NULL, lease_until = NULL,
	       finished_at = now(), last_error = left(p_message, 4000)
	 WHERE id = j.id;
	SELECT * INTO s FROM opsdeck.stores WHERE id = j.store FOR UPDATE;
	IF j.kind IN ('provision', 'delete') AND s.status IN ('Queued', 'Provisioning', 'Deleting') THEN
		UPDATE opsdeck.stores SET status = 'Failed', error_message = left(p_message, 4000)
		 WHERE id = s.id;
	ELSIF s.status <> 'Deleted' AND j.kind <> 'reconcile' THEN
		UPDATE opsdeck.stores SET error_message = left(p_message, 4000) WHERE id = s.id;
	END IF;
	INSERT INTO opsdeck.events (actor, action, object, project, message, detail)
	VALUES (p_actor, 'job.cancelled', 'store/' || s.id, s.project,
		left(format('job %s (%s) of store %s: %s', j.id, j.kind, s.id, p_message), 2000),
		jsonb_build_object('job', j.id, 'kind', j.kind, 'was', j.state,
				   'step', j.step, 'attempts', j.attempts));
END
$$;

-- Job p_job, its row locked, when its state is one of p_states; else
-- raised in words: "job N is <state>; only <p_rule>", under p_constraint.
CREATE FUNCTION opsdeck.job_lock_in(p_job bigint, p_states text[], p_rule text,
				    p_constraint text) RETURNS opsdeck.jobs
LANGUAGE plpgsql AS $$
DECLARE
	j opsdeck.jobs%ROWTYPE;
BEGIN
	SELECT * INTO j FROM opsdeck.jobs WHERE id = p_job FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no job %', p_job
			USING ERRCODE = 'no_data_found', CONSTRAINT = 'jobs_known';
	END IF;
	IF j.state <> ALL (p_states) THEN
		RAISE EXCEPTION 'job % is %; only %', p_job, j.state, p_rule
			USING ERRCODE = 'check_violation', CONSTRAINT = p_constraint;
	END IF;
	RETURN j;
END
$$;

-- Cancels job p_job for p_actor: a queued job, or a running one whose
-- lease expired, ends now; a running one is asked to stop at its next
-- step. Answers the job's state afterwards ('cancelled' or 'running').
CREATE FUNCTION opsdeck.job_cancel(p_job bigint, p_actor text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	j opsdeck.jobs%ROWTYPE;
	s opsdeck.stores%ROWTYPE;
BEGIN
	j := opsdeck.job_lock_in(p_job, ARRAY['queued', 'running'],
				 'a queued or running job can be cancelled', 'jobs_cancel_state');
	IF j.state = 'queued' OR j.lease_until <= now() THEN
		PERFORM opsdeck.job_cancelled(j, p_actor, format('cancelled by %s%s', p_actor,
			CASE WHEN j.state = 'running'
			     THEN format(' after its runner %s stopped renewing its lease', j.lease_owner)
			     ELSE ' before it ran' END));
		RETURN 'cancelled';
	END IF;
	IF j.cancel_requested_at IS NOT NULL THEN
		RETURN 'running'; -- asked already: the first request stands
	END IF;
	UPDATE opsdeck.jobs SET cancel_requested_by = p_actor, cancel_requested_at = now()
	 WHERE id = p_job;
	SELECT * INTO s FROM opsdeck.stores WHERE id = j.store;
	INSERT INTO opsdeck.events (actor, action, object, project, message, detail)
	VALUES (p_actor, 'job.cancel', 'store/' || s.id, s.project,
		left(format('asked job %s (%s) of store %s to stop: it is cancelled at its next step '
			    '(now %s, runner %s)', j.id, j.kind, s.id, coalesce(j.step, 'starting'),
			    j.lease_owner), 2000),
		jsonb_build_object('job', j.id, 'kind', j.kind, 'step', j.step,
				   'runner', j.lease_owner));
	RETURN 'running';
END
$$;

-- Records that an attempt reached a step, as job_step does, unless its job
-- was asked to stop: it then ends cancelled here. Answers whether the
-- runner goes on (ok), and when it does not, the cancel's message (NULL:
-- the lease is no longer this runner's).
CREATE FUNCTION opsdeck.job_step_next(p_job bigint, p_owner text, p_attempt integer, p_step text,
				      p_message text)
RETURNS TABLE (ok boolean, cancelled text)
LANGUAGE plpgsql AS $$
DECLARE
	j opsdeck.jobs%ROWTYPE;
	v_msg text;
BEGIN
	IF NOT opsdeck.job_holds(p_job, p_owner, p_attempt) THEN
		RETURN QUERY SELECT false, NULL::text;
		RETURN;
	END IF;
	SELECT * INTO j FROM opsdeck.jobs WHERE id = p_job;
	IF j.cancel_requested_at IS NOT NULL THEN
		v_msg := format('cancelled by %s %s', j.cancel_requested_by,
				CASE WHEN j.step IS NULL THEN 'before its first step'
				     ELSE format('after step %s, before step %s', j.step, p_step) END);
		PERFORM opsdeck.job_step_close(p_job, 'done', NULL); -- the step before did its work
		PERFORM opsdeck.job_cancelled(j, j.cancel_requested_by, v_msg);
		RETURN QUERY SELECT false, v_msg;
		RETURN;
	END IF;
	RETURN QUERY SELECT opsdeck.job_step(p_job, p_owner, p_attempt, p_step, p_message), NULL::text;
END
$$;

-- Runs a failed or cancelled job again, as a new job asked for through
-- opsdeck.store_request (so the store's state rules and its audit event
-- are the same as for the store's own operations; a provision is the
-- store's retry). Refused when a later job of the same kind exists for the
-- store: that one is the one to look at. Answers the new job's id (NULL
-- when nothing needs running, as store_request says), and writes a
-- job.retry event linking the two.
CREATE FUNCTION opsdeck.job_retry(p_job bigint, p_actor text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	j opsdeck.jobs%ROWTYPE;
	later opsdeck.jobs%ROWTYPE;
	s opsdeck.stores%ROWTYPE;
	jid bigint;
BEGIN
	j := opsdeck.job_lock_in(p_job, ARRAY['failed', 'cancelled'],
				 'a failed or cancelled job can be retried', 'jobs_retry_state');
	SELECT * INTO later FROM opsdeck.jobs
	 WHERE store = j.store AND kind = j.kind AND id > j.id ORDER BY id DESC LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'job % (%) of store % came after it and is %', later.id, later.kind,
			j.store, later.state
			USING ERRCODE = 'check_violation', CONSTRAINT = 'jobs_retry_superseded';
	END IF;
	jid := opsdeck.store_request(j.store,
				     CASE WHEN j.kind = 'provision' THEN 'retry' ELSE j.kind END,
				     (j.args ->> 'replicas')::integer, p_actor);
	SELECT * INTO s FROM opsdeck.stores WHERE id = j.store;
	INSERT INTO opsdeck.events (actor, action, object, project, message, detail)
	VALUES (p_actor, 'job.retry', 'store/' || s.id, s.project,
		left(format('retried job %s (%s) of store %s%s', j.id, j.kind, s.id,
			    coalesce(' as job ' || jid, ': nothing needed running')), 2000),
		jsonb_build_object('job', j.id, 'kind', j.kind, 'new_job', jid));
	RETURN jid;
END
$$;

-- Lists show every queued and running job; finished ones are read newest
-- first, by this index.
CREATE INDEX jobs_finished ON opsdeck.jobs (finished_at DESC) WHERE finished_at IS NOT NULL;
