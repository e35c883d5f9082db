# Integration tests against real servers started by the tests themselves
# (tests/lib/pg.sh: a private PostgreSQL on a Unix socket per script).
TESTS += \
	tests/integration/pg_harness.sh \
	tests/integration/db_conn.sh \
	tests/integration/db_migrate.sh \
	tests/integration/db_constraints.sh \
	tests/integration/db_cli.sh \
	tests/integration/db_panes.sh \
	tests/integration/store_provision.sh \
	tests/integration/store_reconcile.sh \
	tests/integration/orphans.sh \
	tests/integration/store_pane.sh \
	tests/integration/doctor.sh
EXTRA_DIST += tests/lib/tap.sh tests/lib/pg.sh tests/lib/sim.sh tests/lib/kubectl.sh \
	tests/lib/store.sh tests/lib/cli.sh \
	tests/integration/pg_harness.sh \
	tests/integration/db_conn.sh \
	tests/integration/db_migrate.sh \
	tests/integration/db_constraints.sh \
	tests/integration/db_cli.sh \
	tests/integration/db_panes.sh \
	tests/integration/store_provision.sh \
	tests/integration/store_reconcile.sh \
	tests/integration/orphans.sh \
	tests/integration/store_pane.sh \
	tests/integration/doctor.sh

# Reconcile against the template: objects deleted behind opsdeck's back.
TESTS += tests/integration/store_template_drift.sh
EXTRA_DIST += tests/integration/store_template_drift.sh

# The job runner through API and database outages, and workers of one name.
TESTS += tests/integration/runner_outages.sh
EXTRA_DIST += tests/integration/runner_outages.sh

# Stores named by name, PROJECT/NAME or id prefix in the console.
TESTS += tests/integration/store_names.sh
EXTRA_DIST += tests/integration/store_names.sh

# Bulk actions on marked offerings in the Catalog pane.
TESTS += tests/integration/catalog_marks.sh
EXTRA_DIST += tests/integration/catalog_marks.sh

# Revealing a store's credentials (CLI and console), audited.
TESTS += tests/integration/store_credentials.sh
EXTRA_DIST += tests/integration/store_credentials.sh

# `opsdeck logs`: reads, filters, and following exactly once through faults.
TESTS += tests/integration/logs_cli.sh
EXTRA_DIST += tests/integration/logs_cli.sh
# A quiet follow stream: reconnected silently, resumed from its start.
TESTS += tests/integration/logs_quiet.sh
EXTRA_DIST += tests/integration/logs_quiet.sh
# `opsdeck logs -f` and the reader of its output: gone, slow, a full disk.
TESTS += tests/integration/logs_output.sh
EXTRA_DIST += tests/integration/logs_output.sh
# Following opsdeck's history of a store: new rows only, bursts whole.
TESTS += tests/integration/logs_history.sh
EXTRA_DIST += tests/integration/logs_history.sh
check_PROGRAMS += tests/integration/logs_history_test
tests_integration_logs_history_test_SOURCES = tests/integration/logs_history_test.c
tests_integration_logs_history_test_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(PQ_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_logs_history_test_LDADD = $(OPSDECK_CORE_LIBS) $(CMOCKA_LIBS)

# Programs the shell tests run (not tests by themselves).
check_PROGRAMS += tests/integration/db_conn_test
tests_integration_db_conn_test_SOURCES = tests/integration/db_conn_test.c
tests_integration_db_conn_test_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(PQ_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_db_conn_test_LDADD = $(OPSDECK_CORE_LIBS) $(CMOCKA_LIBS)

# One console through a cluster outage: one client per context, READY
# unknown while down, the truth within seconds of the server answering.
TESTS += tests/integration/cluster_outage.sh
EXTRA_DIST += tests/integration/cluster_outage.sh

# The live lists' typed notices, host name lookups off the loop, and a
# database link that goes silent (through a proxy that stops forwarding).
TESTS += tests/integration/db_live.sh
EXTRA_DIST += tests/integration/db_live.sh tests/integration/db_link_proxy.py
check_PROGRAMS += tests/integration/db_live_test
tests_integration_db_live_test_SOURCES = tests/integration/db_live_test.c
tests_integration_db_live_test_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(PQ_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_db_live_test_LDADD = $(OPSDECK_CORE_LIBS) $(CMOCKA_LIBS)

# The :clusters view: states, reachability, counts; cordon and activate,
# audited; live from the CLI; read-only; 80x24.
TESTS += tests/integration/cluster_pane.sh
EXTRA_DIST += tests/integration/cluster_pane.sh

# Projects and customers named by slug or name; end dates and descriptions.
TESTS += tests/integration/db_projects.sh tests/integration/projects_pane.sh
EXTRA_DIST += tests/integration/db_projects.sh tests/integration/projects_pane.sh

# The command line's conventions: help, errors, empty values, --context,
# cluster probing, stores by name.
TESTS += tests/integration/cli_consistency.sh
EXTRA_DIST += tests/integration/cli_consistency.sh

# Drilling into a store's objects from its details: YAML, events, a pod
# deleted, a rollout restart, kubectl exec and port-forward.
TESTS += tests/integration/store_drill.sh
EXTRA_DIST += tests/integration/store_drill.sh

# Errors that end a provisioning step at once, with kubesim's faults.
TESTS += tests/integration/step_errors.sh
EXTRA_DIST += tests/integration/step_errors.sh

# RabbitMQ queues over the management API against a private broker.
TESTS += tests/integration/queues_rabbit.sh tests/integration/queues_rabbit_nostats.sh
check_PROGRAMS += tests/integration/queuewatch_probe
tests_integration_queuewatch_probe_SOURCES = tests/integration/queuewatch_probe.c
tests_integration_queuewatch_probe_LDADD = $(OPSDECK_CORE_LIBS)
EXTRA_DIST += tests/integration/queues_rabbit.sh tests/integration/queues_rabbit_nostats.sh \
	tests/lib/rabbit.sh

# Shell completion made from the command table; names through `opsdeck complete`.
TESTS += tests/integration/completion.sh
EXTRA_DIST += tests/integration/completion.sh

# A kubeconfig's proxy-url: SOCKS5 (names resolved by the proxy, also ssh -D)
# and HTTP CONNECT, refusals in words, certificates checked by name.
TESTS += tests/integration/kube_proxy.sh
EXTRA_DIST += tests/integration/kube_proxy.sh tests/integration/kube_proxy.py
check_PROGRAMS += tests/integration/kube_proxy_watch
tests_integration_kube_proxy_watch_SOURCES = tests/integration/kube_proxy_watch.c
tests_integration_kube_proxy_watch_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_kube_proxy_watch_LDADD = $(OPSDECK_CORE_LIBS)

# The job queue: the CLI, and pane 4.
TESTS += tests/integration/jobs.sh tests/integration/jobs_cancel.sh
EXTRA_DIST += tests/integration/jobs.sh tests/integration/jobs_cancel.sh
TESTS += tests/integration/queues_pane.sh tests/integration/queues_pane_rabbit.sh
EXTRA_DIST += tests/integration/queues_pane.sh tests/integration/queues_pane_rabbit.sh \
	tests/lib/queues.sh
TESTS += tests/integration/queues_pane_acts.sh
EXTRA_DIST += tests/integration/queues_pane_acts.sh

# The Logs pane: a store's containers followed in the console.
TESTS += tests/integration/logs_pane.sh
EXTRA_DIST += tests/integration/logs_pane.sh
TESTS += tests/integration/logs_pane_firehose.sh
EXTRA_DIST += tests/integration/logs_pane_firehose.sh
# Its keys at 80x24: pages with wrap, save paths, sources, an outage.
TESTS += tests/integration/logs_pane_keys.sh
EXTRA_DIST += tests/integration/logs_pane_keys.sh
# SSH tunnels against a private OpenSSH sshd (tests/lib/sshd.sh).
TESTS += tests/integration/tunnel.sh
EXTRA_DIST += tests/integration/tunnel.sh tests/lib/sshd.sh tests/lib/http.sh
# The cluster client, a broker and a log stream riding a tunnel.
TESTS += tests/integration/tunnel_ride.sh
EXTRA_DIST += tests/integration/tunnel_ride.sh
# The database through a tunnel: blocking and on the loop, sshd stopped.
TESTS += tests/integration/db_tunnel.sh
EXTRA_DIST += tests/integration/db_tunnel.sh
TESTS += tests/integration/db_tunnel_passphrase.sh
EXTRA_DIST += tests/integration/db_tunnel_passphrase.sh
check_PROGRAMS += tests/integration/db_tunnel_test
tests_integration_db_tunnel_test_SOURCES = tests/integration/db_tunnel_test.c
tests_integration_db_tunnel_test_CFLAGS = $(AM_CFLAGS) $(PQ_CFLAGS) $(JANSSON_CFLAGS) $(SSH2_CFLAGS)
tests_integration_db_tunnel_test_LDADD = $(OPSDECK_CORE_LIBS)
# The console through a tunnel: the header follows it, the panes come back.
TESTS += tests/integration/tunnel_console.sh
EXTRA_DIST += tests/integration/tunnel_console.sh
TESTS += tests/integration/tunnel_chain.sh
EXTRA_DIST += tests/integration/tunnel_chain.sh
