# The live lists' typed notices and the connection's link checks (a cmocka
# program speaking TAP), against a private PostgreSQL that also listens on
# TCP, reached directly and through a proxy that can go silent.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
PG_TCP=1
if ! pg_start; then
	echo "Bail out! cannot start PostgreSQL"
	exit 1
fi
work=$(mktemp -d)
pg_on_exit "rm -rf '$work'"
export XDG_CONFIG_HOME="$work/config"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

# Two stores, A then B, straight in (past the ordering rules).
{
	"$OPSDECK" db migrate &&
		"$OPSDECK" catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		"$OPSDECK" customer create Live &&
		"$OPSDECK" project create live Shop
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
q -q <<'SQL' || { echo "Bail out! cannot add the stores"; exit 1; }
SET session_replication_role = replica;
INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('sim', 'sim');
INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, status, url,
			    replicas, created_by, created_at, ready_at)
SELECT v.id, p.uuid, o.uuid, pl.uuid, 'sim', v.name, 'store-' || v.id, 'Ready',
       'https://' || v.name || '.example.com', 1, 'test', now() - v.age, now()
  FROM (VALUES ('00000000000a', 'a', interval '2 min'), ('00000000000b', 'b', interval '1 min'))
	AS v (id, name, age),
       opsdeck.projects p, opsdeck.offerings o, opsdeck.plans pl
 WHERE pl.offering = o.uuid AND pl.name = 'small';
SQL

python3 "$top_srcdir/tests/integration/db_link_proxy.py" "$PG_TCP_PORT" "$work/proxy.port" \
	2>"$work/proxy.log" &
PROXY_PID=$!
pg_on_exit "kill $PROXY_PID 2>/dev/null"
wait_for "[ -s '$work/proxy.port' ]" 10 || { echo "Bail out! the proxy did not start"; exit 1; }
PROXY_PORT=$(cat "$work/proxy.port")
export PROXY_PID PROXY_PORT

"$top_builddir/tests/integration/db_live_test"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# server log:"
	sed 's/^/# /' "$(pg_log)" | tail -20
	sed 's/^/# proxy: /' "$work/proxy.log"
fi
exit $rc
