-- opsdeck schema, version 3: a reconcile pass records drift only when what
-- it saw cannot be the work of a job.
--
-- A pass reads the stores, looks at the clusters, looks again after a
-- confirmation delay, and only then records drift; seconds pass between
-- its reading and its writing. In that time a job may have begun (a pause
-- scales the workloads to 0 while the store is still Ready, a scale starts
-- new pods), or ended and changed the store. Version 2's store_drift only
-- looked at the status; this one is also told which status the pass saw
-- and when it read it.

DROP FUNCTION opsdeck.store_drift(text, text, text);

-- Marks a Ready or Paused store Failed with the reason ("drift: ..."), and
-- writes the event, unless the store is no longer what the pass saw:
-- another status now, a job queued or running for it (that job owns what
-- runs), or a job of it that ended after p_seen_at (what was seen may have
-- been that job's work in progress). A job that ended before had finished
-- its work; if its end changed the status, the status says so. Answers
-- whether it marked the store.
CREATE FUNCTION opsdeck.store_drift(p_store text, p_reason text, p_actor text, p_seen_status text,
				    p_seen_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	s opsdeck.stores%ROWTYPE;
BEGIN
	SELECT * INTO s FROM opsdeck.stores WHERE id = p_store FOR UPDATE;
	IF NOT FOUND OR s.status NOT IN ('Ready', 'Paused') OR s.status <> p_seen_status THEN
		RETURN false;
	END IF;
	IF EXISTS (SELECT 1 FROM opsdeck.jobs j
		    WHERE j.store = p_store
		      AND (j.state IN ('queued', 'running')
			   OR j.finished_at > p_seen_at)) THEN
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
