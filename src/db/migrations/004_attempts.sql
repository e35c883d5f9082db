-- opsdeck schema, version 4: a runner's every write names the attempt it
-- belongs to, besides the lease owner (a runner's name plus a random id of
-- its process). A runner that lost its lease -- it expired while the
-- runner could not reach the database, and a claim, maybe its own, began a
-- new attempt -- can then write nothing, and a write that is sent again
-- because its answer was lost does not record a step twice.
--
-- The functions of version 2 stay for runners of that version; these take
-- the attempt as their third argument.

-- Whether p_owner holds the lease of p_job's attempt p_attempt; locks the
-- job's row until the end of the transaction when it does.
CREATE FUNCTION opsdeck.job_holds(p_job bigint, p_owner text, p_attempt integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM opsdeck.jobs
	 WHERE id = p_job AND state = 'running' AND lease_owner = p_owner AND attempts = p_attempt
	   FOR UPDATE;
	RETURN FOUND;
END
$$;

-- Renews the lease of an attempt: the store's status, or NULL when the
-- attempt is no longer this runner's.
CREATE FUNCTION opsdeck.job_renew(p_job bigint, p_owner text, p_attempt integer, p_lease_s integer)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT opsdeck.job_holds(p_job, p_owner, p_attempt) THEN
		RETURN NULL;
	END IF;
	RETURN opsdeck.job_renew(p_job, p_owner, p_lease_s);
END
$$;

-- Records that an attempt reached a step. Recording the step the attempt
-- is already at again changes nothing (the first answer was lost).
CREATE FUNCTION opsdeck.job_step(p_job bigint, p_owner text, p_attempt integer, p_step text,
				 p_message text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT opsdeck.job_holds(p_job, p_owner, p_attempt) THEN
		RETURN false;
	END IF;
	IF EXISTS (SELECT 1 FROM opsdeck.job_steps x
		    WHERE x.job = p_job AND x.attempt = p_attempt AND x.finished_at IS NULL
		      AND x.step = p_step AND x.runner = p_owner) THEN
		RETURN true;
	END IF;
	RETURN opsdeck.job_step(p_job, p_owner, p_step, p_message);
END
$$;

-- Says what the attempt's current step is doing, on its timeline row
-- ("waiting for cluster local: ..."); NULL clears it.
CREATE FUNCTION opsdeck.job_note(p_job bigint, p_owner text, p_attempt integer, p_message text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT opsdeck.job_holds(p_job, p_owner, p_attempt) THEN
		RETURN false;
	END IF;
	UPDATE opsdeck.job_steps SET message = left(p_message, 2000)
	 WHERE job = p_job AND attempt = p_attempt AND finished_at IS NULL;
	RETURN true;
END
$$;

-- Ends an attempt (see the version 2 job_end for the outcomes).
CREATE FUNCTION opsdeck.job_end(p_job bigint, p_owner text, p_attempt integer, p_outcome text,
				p_message text, p_retry_s integer, p_url text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT opsdeck.job_holds(p_job, p_owner, p_attempt) THEN
		RETURN false;
	END IF;
	RETURN opsdeck.job_end(p_job, p_owner, p_outcome, p_message, p_retry_s, p_url);
END
$$;

-- Hands an attempt back (a runner stopping), the attempt not counted.
CREATE FUNCTION opsdeck.job_release(p_job bigint, p_owner text, p_attempt integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT opsdeck.job_holds(p_job, p_owner, p_attempt) THEN
		RETURN false;
	END IF;
	RETURN opsdeck.job_release(p_job, p_owner);
END
$$;
