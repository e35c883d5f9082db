-- opsdeck schema, version 1: the marketplace (customers, projects,
-- offerings, plans), the clusters and stores it runs, the job queue and the
-- audit trail. The rules live here as constraints and triggers, so that no
-- client, however written, can store a bad state.
--
-- Applied by `opsdeck db migrate` in one transaction under an advisory lock;
-- the schema and opsdeck.schema_migrations already exist at this point.

-- ---- value rules ---------------------------------------------------------

-- A DNS-1123 label: what Kubernetes accepts as a namespace or object name.
CREATE FUNCTION opsdeck.is_dns_label(t text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT t ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' $$;

-- A one-line name for people: not blank, no surrounding spaces, no control
-- characters, at most maxlen characters.
CREATE FUNCTION opsdeck.is_name(t text, maxlen integer) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT length(t) BETWEEN 1 AND maxlen AND t = btrim(t, E' \t') AND t !~ '[[:cntrl:]]' $$;

-- Free text: may hold newlines and tabs, no other control characters.
CREATE FUNCTION opsdeck.is_text(t text, maxlen integer) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT length(t) <= maxlen AND t !~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' $$;

-- ---- notifications -------------------------------------------------------

-- Every change is announced on channel `opsdeck` as a small JSON object
-- {"table": ..., "op": "insert|update|delete", "key": ...}; consoles then
-- re-read what they show. The key column is the trigger's argument.
CREATE FUNCTION opsdeck.notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	rec jsonb;
BEGIN
	IF TG_OP = 'DELETE' THEN
		rec := to_jsonb(OLD);
	ELSE
		rec := to_jsonb(NEW);
	END IF;
	PERFORM pg_notify('opsdeck', json_build_object(
		'table', TG_TABLE_NAME,
		'op', lower(TG_OP),
		'key', rec ->> TG_ARGV[0])::text);
	RETURN NULL;
END
$$;

CREATE FUNCTION opsdeck.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;

-- ---- customers and projects ----------------------------------------------

CREATE TABLE opsdeck.customers (
	uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL CONSTRAINT customers_name_valid CHECK (opsdeck.is_name(name, 200)),
	slug text NOT NULL CONSTRAINT customers_slug_unique UNIQUE
		CONSTRAINT customers_slug_dns CHECK (opsdeck.is_dns_label(slug)),
	created_at timestamptz NOT NULL DEFAULT now(),
	archived_at timestamptz,
	CONSTRAINT customers_archived_after_created CHECK (archived_at IS NULL OR archived_at >= created_at)
);

CREATE TABLE opsdeck.projects (
	uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	customer uuid NOT NULL CONSTRAINT projects_customer_fk REFERENCES opsdeck.customers (uuid),
	name text NOT NULL CONSTRAINT projects_name_valid CHECK (opsdeck.is_name(name, 200)),
	-- Unique across customers: it labels every store namespace of the project.
	slug text NOT NULL CONSTRAINT projects_slug_unique UNIQUE
		CONSTRAINT projects_slug_dns CHECK (opsdeck.is_dns_label(slug)),
	description text NOT NULL DEFAULT ''
		CONSTRAINT projects_description_valid CHECK (opsdeck.is_text(description, 2000)),
	end_date date,
	quota_stores integer NOT NULL DEFAULT 5
		CONSTRAINT projects_quota_stores_range CHECK (quota_stores BETWEEN 0 AND 10000),
	quota_cpu_millis integer NOT NULL DEFAULT 8000
		CONSTRAINT projects_quota_cpu_range CHECK (quota_cpu_millis BETWEEN 0 AND 100000000),
	quota_memory_mib integer NOT NULL DEFAULT 16384
		CONSTRAINT projects_quota_memory_range CHECK (quota_memory_mib BETWEEN 0 AND 1000000000),
	created_at timestamptz NOT NULL DEFAULT now(),
	archived_at timestamptz,
	CONSTRAINT projects_archived_after_created CHECK (archived_at IS NULL OR archived_at >= created_at)
);
CREATE INDEX projects_customer ON opsdeck.projects (customer);

-- ---- catalog ---------------------------------------------------------------

CREATE TABLE opsdeck.offerings (
	uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	slug text NOT NULL CONSTRAINT offerings_slug_unique UNIQUE
		CONSTRAINT offerings_slug_dns CHECK (opsdeck.is_dns_label(slug)),
	name text NOT NULL CONSTRAINT offerings_name_valid CHECK (opsdeck.is_name(name, 100)),
	-- The store kinds the provisioner knows; an unknown kind must never
	-- quietly deploy something else.
	kind text NOT NULL CONSTRAINT offerings_kind_known CHECK (kind IN ('woocommerce', 'medusa')),
	description text NOT NULL DEFAULT ''
		CONSTRAINT offerings_description_valid CHECK (opsdeck.is_text(description, 2000)),
	state text NOT NULL DEFAULT 'active'
		CONSTRAINT offerings_state_valid CHECK (state IN ('active', 'paused', 'archived')),
	-- The catalog file the offering was imported from (YAML); its
	-- `manifests` list is the store template.
	template text NOT NULL
		CONSTRAINT offerings_template_size CHECK (length(template) BETWEEN 1 AND 1048576),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE opsdeck.plans (
	uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	offering uuid NOT NULL CONSTRAINT plans_offering_fk REFERENCES opsdeck.offerings (uuid),
	name text NOT NULL CONSTRAINT plans_name_dns CHECK (opsdeck.is_dns_label(name)),
	replicas integer NOT NULL CONSTRAINT plans_replicas_range CHECK (replicas BETWEEN 1 AND 20),
	cpu_request_millis integer NOT NULL
		CONSTRAINT plans_cpu_request_range CHECK (cpu_request_millis BETWEEN 10 AND 64000),
	cpu_limit_millis integer NOT NULL
		CONSTRAINT plans_cpu_limit_range CHECK (cpu_limit_millis BETWEEN cpu_request_millis AND 64000),
	memory_request_mib integer NOT NULL
		CONSTRAINT plans_memory_request_range CHECK (memory_request_mib BETWEEN 16 AND 262144),
	memory_limit_mib integer NOT NULL
		CONSTRAINT plans_memory_limit_range CHECK (memory_limit_mib BETWEEN memory_request_mib AND 262144),
	storage_gib integer NOT NULL CONSTRAINT plans_storage_range CHECK (storage_gib BETWEEN 1 AND 16384),
	monthly_price numeric(10, 2) NOT NULL
		CONSTRAINT plans_price_range CHECK (monthly_price >= 0 AND monthly_price < 1000000),
	active boolean NOT NULL DEFAULT true,
	CONSTRAINT plans_name_unique UNIQUE (offering, name),
	-- Lets stores reference (plan, offering) so a store's plan always
	-- belongs to its offering.
	CONSTRAINT plans_uuid_offering_unique UNIQUE (uuid, offering)
);

-- ---- clusters and stores -----------------------------------------------------

CREATE TABLE opsdeck.clusters (
	name text PRIMARY KEY CONSTRAINT clusters_name_dns CHECK (opsdeck.is_dns_label(name)),
	kube_context text NOT NULL CONSTRAINT clusters_context_valid CHECK (opsdeck.is_name(kube_context, 253)),
	tunnel_profile text
		CONSTRAINT clusters_tunnel_valid CHECK (tunnel_profile ~ '^[A-Za-z0-9_-]{1,64}$'),
	max_stores integer NOT NULL DEFAULT 50
		CONSTRAINT clusters_max_stores_range CHECK (max_stores BETWEEN 0 AND 100000),
	state text NOT NULL DEFAULT 'active'
		CONSTRAINT clusters_state_valid CHECK (state IN ('active', 'cordoned', 'disabled')),
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE opsdeck.stores (
	id text PRIMARY KEY CONSTRAINT stores_id_hex CHECK (id ~ '^[0-9a-f]{12}$'),
	project uuid NOT NULL CONSTRAINT stores_project_fk REFERENCES opsdeck.projects (uuid),
	offering uuid NOT NULL CONSTRAINT stores_offering_fk REFERENCES opsdeck.offerings (uuid),
	plan uuid NOT NULL,
	cluster text NOT NULL CONSTRAINT stores_cluster_fk REFERENCES opsdeck.clusters (name),
	name text NOT NULL CONSTRAINT stores_name_dns CHECK (opsdeck.is_dns_label(name)),
	namespace text NOT NULL CONSTRAINT stores_namespace_unique UNIQUE
		CONSTRAINT stores_namespace_of_id CHECK (namespace = 'store-' || id),
	status text NOT NULL DEFAULT 'Queued'
		CONSTRAINT stores_status_valid CHECK (status IN ('Queued', 'Provisioning', 'Ready', 'Failed',
								'Paused', 'Deleting', 'Deleted')),
	url text CONSTRAINT stores_url_valid CHECK (url ~ '^https?://[^[:space:][:cntrl:]]+$' AND length(url) <= 2048),
	-- The desired replicas; a paused store keeps them for its resume.
	replicas integer NOT NULL CONSTRAINT stores_replicas_range CHECK (replicas BETWEEN 1 AND 50),
	error_message text CONSTRAINT stores_error_valid CHECK (opsdeck.is_text(error_message, 4000)),
	created_by text NOT NULL CONSTRAINT stores_created_by_valid CHECK (opsdeck.is_name(created_by, 200)),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	ready_at timestamptz,
	CONSTRAINT stores_plan_of_offering FOREIGN KEY (plan, offering)
		REFERENCES opsdeck.plans (uuid, offering),
	CONSTRAINT stores_failed_has_error CHECK (status <> 'Failed' OR error_message IS NOT NULL),
	CONSTRAINT stores_ready_has_time CHECK (status <> 'Ready' OR ready_at IS NOT NULL)
);
CREATE INDEX stores_project ON opsdeck.stores (project);
CREATE INDEX stores_cluster ON opsdeck.stores (cluster);
CREATE INDEX stores_offering ON opsdeck.stores (offering);
-- A live store's name is unique in its project (idempotent ordering).
CREATE UNIQUE INDEX stores_project_name_live ON opsdeck.stores (project, name)
	WHERE status <> 'Deleted';

-- ---- jobs --------------------------------------------------------------------

CREATE TABLE opsdeck.jobs (
	id bigserial PRIMARY KEY,
	store text NOT NULL CONSTRAINT jobs_store_fk REFERENCES opsdeck.stores (id),
	kind text NOT NULL CONSTRAINT jobs_kind_valid CHECK (kind IN ('provision', 'scale', 'pause', 'resume',
								 'delete', 'reconcile')),
	args jsonb NOT NULL DEFAULT '{}' CONSTRAINT jobs_args_object CHECK (jsonb_typeof(args) = 'object'),
	state text NOT NULL DEFAULT 'queued'
		CONSTRAINT jobs_state_valid CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
							     'cancelled')),
	attempts integer NOT NULL DEFAULT 0 CONSTRAINT jobs_attempts_range CHECK (attempts >= 0),
	max_attempts integer NOT NULL DEFAULT 5
		CONSTRAINT jobs_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 100),
	run_after timestamptz NOT NULL DEFAULT now(),
	lease_owner text CONSTRAINT jobs_lease_owner_valid CHECK (opsdeck.is_name(lease_owner, 200)),
	lease_until timestamptz,
	last_error text CONSTRAINT jobs_last_error_valid CHECK (opsdeck.is_text(last_error, 4000)),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	started_at timestamptz,
	finished_at timestamptz,
	CONSTRAINT jobs_attempts_bounded CHECK (attempts <= max_attempts),
	CONSTRAINT jobs_lease_whole CHECK ((lease_owner IS NULL) = (lease_until IS NULL)),
	CONSTRAINT jobs_running_leased CHECK (state <> 'running' OR lease_owner IS NOT NULL),
	CONSTRAINT jobs_finished_has_time
		CHECK (state NOT IN ('succeeded', 'failed', 'cancelled') OR finished_at IS NOT NULL)
);
CREATE INDEX jobs_runnable ON opsdeck.jobs (run_after) WHERE state = 'queued';
CREATE INDEX jobs_store ON opsdeck.jobs (store);

-- ---- audit trail ---------------------------------------------------------------

CREATE TABLE opsdeck.events (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	actor text NOT NULL CONSTRAINT events_actor_valid CHECK (opsdeck.is_name(actor, 200)),
	action text NOT NULL
		CONSTRAINT events_action_valid CHECK (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$' AND length(action) <= 64),
	object text NOT NULL CONSTRAINT events_object_valid CHECK (opsdeck.is_name(object, 300)),
	project uuid CONSTRAINT events_project_fk REFERENCES opsdeck.projects (uuid),
	message text NOT NULL CONSTRAINT events_message_valid
		CHECK (length(message) >= 1 AND opsdeck.is_text(message, 2000)),
	detail jsonb NOT NULL DEFAULT '{}' CONSTRAINT events_detail_object CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX events_at ON opsdeck.events (at DESC);
CREATE INDEX events_project ON opsdeck.events (project, id DESC);

-- ---- rules that span rows --------------------------------------------------------
-- Raised as check_violation with a constraint name, so clients can tell them
-- apart; the message is already in words.

-- The audit trail is append-only.
CREATE FUNCTION opsdeck.events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit trail is append-only: events cannot be changed or removed'
		USING ERRCODE = 'check_violation', CONSTRAINT = 'events_append_only';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON opsdeck.events
	FOR EACH ROW EXECUTE FUNCTION opsdeck.events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON opsdeck.events
	FOR EACH STATEMENT EXECUTE FUNCTION opsdeck.events_append_only();

-- Customers: no new project under an archived customer; a customer is
-- archived only once all its projects are.
CREATE FUNCTION opsdeck.customers_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	IF OLD.archived_at IS NOT NULL AND NEW.archived_at IS NULL THEN
		RAISE EXCEPTION 'customer % is archived; it cannot be restored', OLD.slug
			USING ERRCODE = 'check_violation', CONSTRAINT = 'customers_archived_final';
	END IF;
	IF NEW.archived_at IS NOT NULL AND OLD.archived_at IS NULL THEN
		SELECT count(*) INTO n FROM opsdeck.projects
		 WHERE customer = NEW.uuid AND archived_at IS NULL;
		IF n > 0 THEN
			RAISE EXCEPTION 'customer % still has % active project(s); archive them first', NEW.slug, n
				USING ERRCODE = 'check_violation', CONSTRAINT = 'customers_archive_projects';
		END IF;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER customers_check BEFORE UPDATE ON opsdeck.customers
	FOR EACH ROW EXECUTE FUNCTION opsdeck.customers_check();

-- What a project's live stores use: every store that is not Deleted, its
-- plan's requests times its replicas.
CREATE VIEW opsdeck.project_usage AS
SELECT p.uuid AS project,
       count(s.id)::integer AS stores_used,
       coalesce(sum(pl.cpu_request_millis::bigint * s.replicas), 0)::bigint AS cpu_used_millis,
       coalesce(sum(pl.memory_request_mib::bigint * s.replicas), 0)::bigint AS memory_used_mib
  FROM opsdeck.projects p
  LEFT JOIN opsdeck.stores s ON s.project = p.uuid AND s.status <> 'Deleted'
  LEFT JOIN opsdeck.plans pl ON pl.uuid = s.plan
 GROUP BY p.uuid;

-- Projects: archived ones are frozen; archiving needs no live store; a
-- quota never goes below what is in use.
CREATE FUNCTION opsdeck.projects_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	u opsdeck.project_usage%ROWTYPE;
	cust_archived timestamptz;
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT archived_at INTO cust_archived FROM opsdeck.customers WHERE uuid = NEW.customer;
		IF cust_archived IS NOT NULL THEN
			RAISE EXCEPTION 'the customer is archived; it cannot get new projects'
				USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_customer_active';
		END IF;
		RETURN NEW;
	END IF;
	IF OLD.archived_at IS NOT NULL THEN
		RAISE EXCEPTION 'project % is archived and cannot be changed', OLD.slug
			USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_archived_frozen';
	END IF;
	IF NEW.customer <> OLD.customer OR NEW.slug <> OLD.slug THEN
		RAISE EXCEPTION 'a project''s customer and slug cannot change (project %)', OLD.slug
			USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_identity_fixed';
	END IF;
	SELECT * INTO u FROM opsdeck.project_usage WHERE project = NEW.uuid;
	IF NEW.archived_at IS NOT NULL AND u.stores_used > 0 THEN
		RAISE EXCEPTION 'project % has % live store(s); delete them before archiving it',
			NEW.slug, u.stores_used
			USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_archive_live_stores';
	END IF;
	IF NEW.quota_stores < u.stores_used THEN
		RAISE EXCEPTION 'project % uses % store(s); its store quota cannot go below that',
			NEW.slug, u.stores_used
			USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_quota_below_usage';
	END IF;
	IF NEW.quota_cpu_millis < u.cpu_used_millis THEN
		RAISE EXCEPTION 'project % uses %m CPU; its CPU quota cannot go below that',
			NEW.slug, u.cpu_used_millis
			USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_quota_below_usage';
	END IF;
	IF NEW.quota_memory_mib < u.memory_used_mib THEN
		RAISE EXCEPTION 'project % uses %Mi memory; its memory quota cannot go below that',
			NEW.slug, u.memory_used_mib
			USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_quota_below_usage';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER projects_check BEFORE INSERT OR UPDATE ON opsdeck.projects
	FOR EACH ROW EXECUTE FUNCTION opsdeck.projects_check();

-- Offerings: a kind cannot change under live stores.
CREATE FUNCTION opsdeck.offerings_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	IF NEW.kind <> OLD.kind THEN
		SELECT count(*) INTO n FROM opsdeck.stores WHERE offering = NEW.uuid AND status <> 'Deleted';
		IF n > 0 THEN
			RAISE EXCEPTION 'offering % has % live store(s) of kind %; its kind cannot change',
				NEW.slug, n, OLD.kind
				USING ERRCODE = 'check_violation', CONSTRAINT = 'offerings_kind_fixed';
		END IF;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER offerings_check BEFORE UPDATE ON opsdeck.offerings
	FOR EACH ROW EXECUTE FUNCTION opsdeck.offerings_check();
CREATE TRIGGER offerings_touch BEFORE UPDATE ON opsdeck.offerings
	FOR EACH ROW EXECUTE FUNCTION opsdeck.touch_updated_at();

-- Stores: ordering and growing a store is checked against the project's
-- quota, the cluster's capacity and the catalog, under row locks on the
-- project and the cluster so that concurrent orders cannot both squeeze
-- into the last slot (count-then-insert races are what this prevents).
CREATE FUNCTION opsdeck.stores_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	prj opsdeck.projects%ROWTYPE;
	cl opsdeck.clusters%ROWTYPE;
	pl opsdeck.plans%ROWTYPE;
	off_state text;
	used_stores integer;
	used_cpu bigint;
	used_mem bigint;
BEGIN
	IF TG_OP = 'UPDATE' THEN
		IF OLD.status = 'Deleted' THEN
			RAISE EXCEPTION 'store % is deleted and cannot change', OLD.id
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_deleted_final';
		END IF;
		IF NEW.id <> OLD.id OR NEW.project <> OLD.project OR NEW.offering <> OLD.offering
		   OR NEW.namespace <> OLD.namespace THEN
			RAISE EXCEPTION 'a store''s id, project, offering and namespace cannot change (store %)', OLD.id
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_identity_fixed';
		END IF;
		NEW.updated_at := now();
		-- Nothing that uses more: no check needed.
		IF NEW.status = 'Deleted' OR (NEW.plan = OLD.plan AND NEW.replicas <= OLD.replicas
					       AND NEW.cluster = OLD.cluster) THEN
			RETURN NEW;
		END IF;
	END IF;
	IF NEW.status = 'Deleted' THEN
		RETURN NEW;
	END IF;

	SELECT * INTO prj FROM opsdeck.projects WHERE uuid = NEW.project FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NEW; -- the foreign key reports it
	END IF;
	IF prj.archived_at IS NOT NULL THEN
		RAISE EXCEPTION 'project % is archived; it cannot get stores', prj.slug
			USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_project_active';
	END IF;
	IF prj.end_date IS NOT NULL AND prj.end_date < current_date THEN
		RAISE EXCEPTION 'project % ended on %; it cannot get stores', prj.slug, prj.end_date
			USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_project_active';
	END IF;

	SELECT * INTO pl FROM opsdeck.plans WHERE uuid = NEW.plan;
	IF NOT FOUND THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' OR NEW.plan <> OLD.plan THEN
		SELECT state INTO off_state FROM opsdeck.offerings WHERE uuid = NEW.offering;
		IF off_state IS DISTINCT FROM 'active' THEN
			RAISE EXCEPTION 'the offering is %; it takes no new orders', off_state
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_offering_active';
		END IF;
		IF NOT pl.active THEN
			RAISE EXCEPTION 'plan % is no longer offered', pl.name
				USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_plan_active';
		END IF;
	END IF;

	SELECT count(*), coalesce(sum(p2.cpu_request_millis::bigint * s.replicas), 0),
	       coalesce(sum(p2.memory_request_mib::bigint * s.replicas), 0)
	  INTO used_stores, used_cpu, used_mem
	  FROM opsdeck.stores s JOIN opsdeck.plans p2 ON p2.uuid = s.plan
	 WHERE s.project = NEW.project AND s.status <> 'Deleted' AND s.id <> NEW.id;
	IF used_stores + 1 > prj.quota_stores THEN
		RAISE EXCEPTION 'project % has used % of its % store(s)', prj.slug, used_stores, prj.quota_stores
			USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_quota_stores';
	END IF;
	IF used_cpu + pl.cpu_request_millis::bigint * NEW.replicas > prj.quota_cpu_millis THEN
		RAISE EXCEPTION 'project % would use %m of its %m CPU quota', prj.slug,
			used_cpu + pl.cpu_request_millis::bigint * NEW.replicas, prj.quota_cpu_millis
			USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_quota_cpu';
	END IF;
	IF used_mem + pl.memory_request_mib::bigint * NEW.replicas > prj.quota_memory_mib THEN
		RAISE EXCEPTION 'project % would use %Mi of its %Mi memory quota', prj.slug,
			used_mem + pl.memory_request_mib::bigint * NEW.replicas, prj.quota_memory_mib
			USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_quota_memory';
	END IF;

	IF TG_OP = 'INSERT' OR NEW.cluster <> OLD.cluster THEN
		SELECT * INTO cl FROM opsdeck.clusters WHERE name = NEW.cluster FOR UPDATE;
		IF FOUND THEN
			IF cl.state <> 'active' THEN
				RAISE EXCEPTION 'cluster % is %; it takes no new stores', cl.name, cl.state
					USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_cluster_active';
			END IF;
			SELECT count(*) INTO used_stores FROM opsdeck.stores
			 WHERE cluster = NEW.cluster AND status <> 'Deleted' AND id <> NEW.id;
			IF used_stores + 1 > cl.max_stores THEN
				RAISE EXCEPTION 'cluster % is full (% of % stores)', cl.name, used_stores, cl.max_stores
					USING ERRCODE = 'check_violation', CONSTRAINT = 'stores_cluster_full';
			END IF;
		END IF;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER stores_check BEFORE INSERT OR UPDATE ON opsdeck.stores
	FOR EACH ROW EXECUTE FUNCTION opsdeck.stores_check();

CREATE TRIGGER jobs_touch BEFORE UPDATE ON opsdeck.jobs
	FOR EACH ROW EXECUTE FUNCTION opsdeck.touch_updated_at();

-- ---- change notifications on every table -------------------------------------

CREATE TRIGGER customers_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.customers
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('uuid');
CREATE TRIGGER projects_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.projects
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('uuid');
CREATE TRIGGER offerings_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.offerings
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('uuid');
CREATE TRIGGER plans_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.plans
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('uuid');
CREATE TRIGGER clusters_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.clusters
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('name');
CREATE TRIGGER stores_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.stores
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('id');
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.jobs
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('id');
CREATE TRIGGER events_notify AFTER INSERT ON opsdeck.events
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('id');
CREATE TRIGGER schema_migrations_notify AFTER INSERT OR UPDATE OR DELETE ON opsdeck.schema_migrations
	FOR EACH ROW EXECUTE FUNCTION opsdeck.notify_change('version');
