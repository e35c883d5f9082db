-- opsdeck schema, version 6: a project's end date is never set in the
-- past.
--
-- An end date already past is how a project ends (it can get no stores
-- afterwards, see stores_check); setting one in the past, when creating a
-- project or changing its end date, would end it by mistake. A project that
-- ended keeps its date through other changes (a rename, a quota).

CREATE FUNCTION opsdeck.projects_end_date_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.end_date IS NOT NULL AND NEW.end_date < current_date
	   AND (TG_OP = 'INSERT' OR NEW.end_date IS DISTINCT FROM OLD.end_date) THEN
		RAISE EXCEPTION 'the end date % is in the past (today is %)', NEW.end_date, current_date
			USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_end_date_future';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER projects_end_date_check BEFORE INSERT OR UPDATE OF end_date ON opsdeck.projects
	FOR EACH ROW EXECUTE FUNCTION opsdeck.projects_end_date_check();
