# A database ready for stores, and a store ordered and provisioned, for
# shell tests that need one. Load after tap.sh, pg.sh and sim.sh (the
# database and kubesim started); the caller defines od (opsdeck with its
# settings).
#
#   store_prepare_db        migrates the database and adds the WooCommerce
#                           offering, customer Acme with project shop (10
#                           stores) and kubesim's cluster as "local"; bails
#                           out if any step fails
#   store_order_ready NAME  orders store NAME in project shop (woocommerce,
#                           small), sets id to its id, waits until a worker
#                           (the caller's) has it Ready, and tests that it is
#   store_status_of ID      the store's status
#   store_ui_ready NAME     for a console test (after ui_with_pg, tests/ui/
#                           lib.sh): store_prepare_db, a worker with the
#                           console's settings ($worker its pid, its output in
#                           $UI_TMP/worker.log, stopped at exit), then
#                           store_order_ready NAME
#
# For programs that read stores from a database of their own, without
# kubesim (load after tap.sh; PG_TCP as pg_start takes it):
#
#   store_db_two_ready CUSTOMER AGE_A AGE_B
#                           starts PostgreSQL (pg.sh) and makes $work (removed
#                           at exit) with XDG_CONFIG_HOME in it, migrates, adds
#                           the WooCommerce offering, customer CUSTOMER with
#                           project (its name in lower case) "Shop", cluster
#                           sim and two Ready stores a (id 00000000000a) and
#                           b (00000000000b), made AGE_A and AGE_B (SQL
#                           intervals) ago, straight in (past the ordering
#                           rules); bails out if any step fails

store_prepare_db() {
	{
		od db migrate &&
			od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
			od customer create Acme &&
			od project create acme Shop --stores 10 --cpu 100 --memory 200Gi &&
			od cluster add local --context "$SIM_CONTEXT"
	} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
}

store_status_of() {
	psql -X -At -v ON_ERROR_STOP=1 -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"
}

store_order_ready() {
	id=$(od store create shop woocommerce small "$1" |
		sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p')
	wait_for "[ \"\$(store_status_of '$id')\" = Ready ]" 120
	is "$(store_status_of "$id")" Ready "the store is provisioned"
}

store_ui_ready() {
	worker=
	pg_on_exit '[ -n "$worker" ] && kill $worker 2>/dev/null && wait $worker'
	store_prepare_db
	XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" worker --reconcile 0 >"$UI_TMP/worker.log" 2>&1 &
	worker=$!
	store_order_ready "$1"
}

store_db_two_ready() {
	command -v pg_start >/dev/null 2>&1 || . "$top_srcdir/tests/lib/pg.sh"
	pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
	work=$(mktemp -d)
	pg_on_exit "rm -rf '$work'"
	export XDG_CONFIG_HOME="$work/config"
	{
		"$OPSDECK" db migrate &&
			"$OPSDECK" catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
			"$OPSDECK" customer create "$1" &&
			"$OPSDECK" project create "$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" Shop
	} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
	psql -X -q -v ON_ERROR_STOP=1 -v age_a="$2" -v age_b="$3" <<'SQL' ||
SET session_replication_role = replica;
INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('sim', 'sim');
INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, status, url,
			    replicas, created_by, created_at, ready_at)
SELECT v.id, p.uuid, o.uuid, pl.uuid, 'sim', v.name, 'store-' || v.id, 'Ready',
       'https://' || v.name || '.example.com', 1, 'test', now() - v.age, now()
  FROM (VALUES ('00000000000a', 'a', interval :'age_a'),
	       ('00000000000b', 'b', interval :'age_b')) AS v (id, name, age),
       opsdeck.projects p, opsdeck.offerings o, opsdeck.plans pl
 WHERE pl.offering = o.uuid AND pl.name = 'small';
SQL
		{ echo "Bail out! cannot add the stores"; exit 1; }
}
