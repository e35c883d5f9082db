# Following opsdeck's history of a store (a cmocka program speaking TAP)
# against a private PostgreSQL: each read after the first asks only for
# what is newer than what it has, a burst larger than one read comes
# whole, and a read's lines go by time among pods' lines that came first.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
if ! pg_start; then
	echo "Bail out! cannot start PostgreSQL"
	exit 1
fi
work=$(mktemp -d)
pg_on_exit "rm -rf '$work'"
export XDG_CONFIG_HOME="$work/config"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

{
	"$OPSDECK" db migrate &&
		"$OPSDECK" catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		"$OPSDECK" customer create History &&
		"$OPSDECK" project create history Shop
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
# stores A and B straight in (past the ordering rules); 3,000 events of A,
# a second apart, an hour old and more, and some of B
q -q <<'SQL' || { echo "Bail out! cannot add the stores"; exit 1; }
SET session_replication_role = replica;
INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('sim', 'sim');
INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, status, url,
			    replicas, created_by, created_at, ready_at)
SELECT v.id, p.uuid, o.uuid, pl.uuid, 'sim', v.name, 'store-' || v.id, 'Ready',
       'https://' || v.name || '.example.com', 1, 'test', now() - interval '2 hours', now()
  FROM (VALUES ('00000000000a', 'a'), ('00000000000b', 'b')) AS v (id, name),
       opsdeck.projects p, opsdeck.offerings o, opsdeck.plans pl
 WHERE pl.offering = o.uuid AND pl.name = 'small';
INSERT INTO opsdeck.events (at, actor, action, object, project, message)
SELECT now() - interval '2 hours' + i * interval '1 second', 'test', 'store.old', 'store/' || s.id,
       s.project, 'old ' || i
  FROM opsdeck.stores s, generate_series(1, 3000) i WHERE s.id = '00000000000a';
INSERT INTO opsdeck.events (actor, action, object, project, message)
SELECT 'test', 'store.old', 'store/' || s.id, s.project, 'other ' || i
  FROM opsdeck.stores s, generate_series(1, 50) i WHERE s.id = '00000000000b';
SQL

"$top_builddir/tests/integration/logs_history_test"
