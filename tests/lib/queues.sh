# Shared setup of the Queues pane's tests (tests/integration/queues_pane*.sh):
# the console's settings and a database with a project of stores for its
# jobs. Load after tests/ui/lib.sh and pg.sh, once ui_with_pg has run.
#
#   od ARGS                  opsdeck with the console's settings
#   q ARGS                   psql on the test database, unaligned
#   queues_config [--rabbit] writes the console's settings: operator
#                            pane-tester; with --rabbit (after rabbit_start,
#                            tests/lib/rabbit.sh) also the pane refreshed every
#                            second and the broker as "main" with vhost /
#   queues_prepare_db        migrates the database and adds the WooCommerce
#                            offering, customer "Acme Shops" with project
#                            web-store (5 stores); bails out if any step fails
#   queues_store_sql ID NAME STATUS
#                            the INSERT of a store of web-store on cluster
#                            kind (a Failed one with error "boom")
#   queues_job_of ID         the id of the store's first job

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

queues_config() {
	printf 'operator: pane-tester\n' >"$UI_CONFIG/config.yaml"
	[ "${1:-}" = --rabbit ] || return 0
	cat >>"$UI_CONFIG/config.yaml" <<CONF
queues:
  interval: 1
rabbitmq:
  - name: main
    url: $RABBIT_URL
    user: $RABBIT_USER
    password: "$RABBIT_PASSWORD"
    vhosts: ["/"]
CONF
}

queues_prepare_db() {
	{
		od db migrate &&
			od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
			od customer create "Acme Shops" &&
			od project create acme-shops "Web Store" --stores 5
	} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
}

queues_store_sql() {
	echo "INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, replicas,
		created_by, status, error_message)
	SELECT '$1', p.uuid, o.uuid, pl.uuid, 'kind', '$2', 'store-$1', 1, 'tester', '$3',
		CASE WHEN '$3' = 'Failed' THEN 'boom' END
	FROM opsdeck.projects p, opsdeck.offerings o JOIN opsdeck.plans pl ON pl.offering = o.uuid
	WHERE p.slug = 'web-store' AND o.slug = 'woocommerce' AND pl.name = 'small'"
}

queues_job_of() {
	q -c "SELECT id FROM opsdeck.jobs WHERE store = '$1' ORDER BY id LIMIT 1"
}
