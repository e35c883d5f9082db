# Unit tests (cmocka) of the pure code. Each links the core library and
# speaks TAP, so every test case counts. The table model lives in ui/ but is
# curses-free: its test and benchmark compile it directly, so they do not
# depend on the console's library.
UNIT_TESTS = \
	tests/unit/test_loop \
	tests/unit/test_outq \
	tests/unit/test_conf \
	tests/unit/test_yamldoc \
	tests/unit/test_keymap \
	tests/unit/test_keyseq \
	tests/unit/test_slug \
	tests/unit/test_jobq \
	tests/unit/test_storeref \
	tests/unit/test_theme \
	tests/unit/test_table_model \
	tests/unit/test_events \
	tests/unit/test_render \
	tests/unit/test_listkeys \
	tests/unit/test_health \
	tests/unit/test_expected \
	tests/unit/test_inventory \
	tests/unit/test_store_progress \
	tests/unit/test_credentials \
	tests/unit/test_objyaml \
	tests/unit/test_panes \
	tests/unit/test_message \
	tests/unit/test_rabbit \
	tests/unit/test_kafkatopic \
	tests/unit/test_logs_ring \
	tests/unit/test_logs_splitter \
	tests/unit/test_logs_resume \
	tests/unit/test_logs_history \
	tests/unit/test_sshconfig \
	tests/unit/test_tunnel \
	tests/unit/test_tunnelset \
	tests/unit/test_utf8
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DOPSDECK_TEST_SRCDIR='"$(abs_top_srcdir)"'
UNIT_LDADD = $(OPSDECK_CORE_LIBS) $(CMOCKA_LIBS)
UNIT_HELPERS = tests/unit/testutil.c tests/unit/testutil.h

tests_unit_test_loop_SOURCES = tests/unit/test_loop.c $(UNIT_HELPERS)
tests_unit_test_loop_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_loop_LDADD = $(UNIT_LDADD)

tests_unit_test_outq_SOURCES = tests/unit/test_outq.c
tests_unit_test_outq_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_outq_LDADD = $(UNIT_LDADD)

tests_unit_test_conf_SOURCES = tests/unit/test_conf.c $(UNIT_HELPERS)
tests_unit_test_conf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_LDADD = $(UNIT_LDADD)

tests_unit_test_yamldoc_SOURCES = tests/unit/test_yamldoc.c $(UNIT_HELPERS)
tests_unit_test_yamldoc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_yamldoc_LDADD = $(UNIT_LDADD)

tests_unit_test_keymap_SOURCES = tests/unit/test_keymap.c $(UNIT_HELPERS)
tests_unit_test_keymap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_keymap_LDADD = $(UNIT_LDADD)

tests_unit_test_keyseq_SOURCES = tests/unit/test_keyseq.c
tests_unit_test_keyseq_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_keyseq_LDADD = $(UNIT_LDADD)

tests_unit_test_jobq_SOURCES = tests/unit/test_jobq.c
tests_unit_test_jobq_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobq_LDADD = $(UNIT_LDADD)
tests_unit_test_slug_SOURCES = tests/unit/test_slug.c
tests_unit_test_slug_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slug_LDADD = $(UNIT_LDADD)
tests_unit_test_storeref_SOURCES = tests/unit/test_storeref.c
tests_unit_test_storeref_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_storeref_LDADD = $(UNIT_LDADD)

tests_unit_test_theme_SOURCES = tests/unit/test_theme.c $(UNIT_HELPERS)
tests_unit_test_theme_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_theme_LDADD = $(UNIT_LDADD)

tests_unit_test_table_model_SOURCES = tests/unit/test_table_model.c ui/table_model.c \
	ui/table_model.h $(UNIT_HELPERS)
tests_unit_test_table_model_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_table_model_LDADD = $(UNIT_LDADD)

tests_unit_test_events_SOURCES = tests/unit/test_events.c
tests_unit_test_events_CFLAGS = $(UNIT_CFLAGS) $(PQ_CFLAGS)
tests_unit_test_events_LDADD = $(UNIT_LDADD)

tests_unit_test_expected_SOURCES = tests/unit/test_expected.c
tests_unit_test_expected_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_expected_LDADD = $(UNIT_LDADD)

tests_unit_test_render_SOURCES = tests/unit/test_render.c $(UNIT_HELPERS)
tests_unit_test_render_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_render_LDADD = $(UNIT_LDADD)

tests_unit_test_listkeys_SOURCES = tests/unit/test_listkeys.c
tests_unit_test_listkeys_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_listkeys_LDADD = $(UNIT_LDADD)

tests_unit_test_health_SOURCES = tests/unit/test_health.c $(UNIT_HELPERS)
tests_unit_test_health_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_health_LDADD = $(UNIT_LDADD)

tests_unit_test_objyaml_SOURCES = tests/unit/test_objyaml.c
tests_unit_test_objyaml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_objyaml_LDADD = $(UNIT_LDADD)
tests_unit_test_inventory_SOURCES = tests/unit/test_inventory.c
tests_unit_test_inventory_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_inventory_LDADD = $(UNIT_LDADD)

tests_unit_test_store_progress_SOURCES = tests/unit/test_store_progress.c
tests_unit_test_store_progress_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_progress_LDADD = $(UNIT_LDADD)

tests_unit_test_credentials_SOURCES = tests/unit/test_credentials.c
tests_unit_test_credentials_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_credentials_LDADD = $(UNIT_LDADD)

# The pane registry, the `:` commands, completion and help: links the
# console's library (and so curses) but never starts the terminal.
tests_unit_test_panes_SOURCES = tests/unit/test_panes.c $(UNIT_HELPERS)
tests_unit_test_panes_CFLAGS = $(UNIT_CFLAGS) $(NCURSES_CFLAGS)
tests_unit_test_panes_LDADD = $(OPSDECK_CONSOLE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_message_SOURCES = tests/unit/test_message.c
tests_unit_test_message_CFLAGS = $(UNIT_CFLAGS) $(NCURSES_CFLAGS)
tests_unit_test_message_LDADD = $(OPSDECK_CONSOLE_LIBS) $(CMOCKA_LIBS)

# Benchmarks: built with everything else so they keep compiling, run only
# by `make bench`; their figures go to bench/README.md, never into a test.
noinst_PROGRAMS += bench/table_model
bench_table_model_SOURCES = bench/table_model.c ui/table_model.c ui/table_model.h
bench_table_model_LDADD = $(OPSDECK_CORE_LIBS)
noinst_PROGRAMS += bench/expected_render
bench_expected_render_SOURCES = bench/expected_render.c
bench_expected_render_LDADD = $(OPSDECK_CORE_LIBS)
noinst_PROGRAMS += bench/logs/ingest
bench_logs_ingest_SOURCES = bench/logs/ingest.c
bench_logs_ingest_LDADD = $(OPSDECK_CORE_LIBS)
EXTRA_DIST += bench/README.md tests/fuzz/README.md tests/fuzz/fuzz_yamldoc.c \
	tests/fuzz/fuzz_keymap.c tests/fuzz/fuzz_theme.c tests/fuzz/fuzz_render.c \
	tests/fuzz/fuzz_keyseq.c tests/fuzz/fuzz_objyaml.c tests/fuzz/fuzz_projectref.c \
	tests/fuzz/fuzz_pbobj.c tests/fuzz/fuzz_jobq.c

.PHONY: bench
bench: bench/table_model$(EXEEXT)
	./bench/table_model$(EXEEXT)

# End dates and projects or customers as operators name them.
check_PROGRAMS += tests/unit/test_projectref
TESTS += tests/unit/test_projectref
tests_unit_test_projectref_SOURCES = tests/unit/test_projectref.c
tests_unit_test_projectref_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_projectref_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/fuzz/fuzz_projectref.c

# Which failed answers of a cluster end a provisioning step at once.
check_PROGRAMS += tests/unit/test_answer
TESTS += tests/unit/test_answer
tests_unit_test_answer_SOURCES = tests/unit/test_answer.c
tests_unit_test_answer_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_answer_LDADD = $(UNIT_LDADD)

tests_unit_test_rabbit_SOURCES = tests/unit/test_rabbit.c $(UNIT_HELPERS)
tests_unit_test_rabbit_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rabbit_LDADD = $(UNIT_LDADD)
tests_unit_test_kafkatopic_SOURCES = tests/unit/test_kafkatopic.c
tests_unit_test_kafkatopic_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_kafkatopic_LDADD = $(UNIT_LDADD)
tests_unit_test_logs_ring_SOURCES = tests/unit/test_logs_ring.c
tests_unit_test_logs_ring_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_logs_ring_LDADD = $(UNIT_LDADD)

tests_unit_test_logs_splitter_SOURCES = tests/unit/test_logs_splitter.c
tests_unit_test_logs_splitter_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_logs_splitter_LDADD = $(UNIT_LDADD)

tests_unit_test_logs_resume_SOURCES = tests/unit/test_logs_resume.c
tests_unit_test_logs_resume_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_logs_resume_LDADD = $(UNIT_LDADD)

tests_unit_test_logs_history_SOURCES = tests/unit/test_logs_history.c
tests_unit_test_logs_history_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_logs_history_LDADD = $(UNIT_LDADD)

tests_unit_test_sshconfig_SOURCES = tests/unit/test_sshconfig.c $(UNIT_HELPERS)
tests_unit_test_sshconfig_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sshconfig_LDADD = $(UNIT_LDADD)

tests_unit_test_tunnel_SOURCES = tests/unit/test_tunnel.c
tests_unit_test_tunnel_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tunnel_LDADD = $(UNIT_LDADD)

# Proxy URLs and the *_proxy variables (net/proxy).
check_PROGRAMS += tests/unit/test_proxy
TESTS += tests/unit/test_proxy
tests_unit_test_proxy_SOURCES = tests/unit/test_proxy.c
tests_unit_test_proxy_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proxy_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/fuzz/fuzz_proxyurl.c

# The password file as libpq reads it (db/pgpass).
check_PROGRAMS += tests/unit/test_pgpass
TESTS += tests/unit/test_pgpass
tests_unit_test_pgpass_SOURCES = tests/unit/test_pgpass.c
tests_unit_test_pgpass_CFLAGS = $(UNIT_CFLAGS) $(PQ_CFLAGS)
tests_unit_test_pgpass_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/fuzz/fuzz_pgpass.c

# What the fuzz targets found, replayed, and their in-memory entry points.
check_PROGRAMS += tests/unit/test_fuzz_replay
TESTS += tests/unit/test_fuzz_replay
tests_unit_test_fuzz_replay_SOURCES = tests/unit/test_fuzz_replay.c
tests_unit_test_fuzz_replay_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fuzz_replay_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/fuzz_kubeconfig.c tests/fuzz/fuzz_execcred.c \
	tests/fuzz/fuzz_status.c tests/fuzz/fuzz_api.c tests/fuzz/fuzz_watch.c \
	tests/fuzz/fuzz_secret.c tests/fuzz/fuzz_conf.c tests/fuzz/fuzz_quantity.c \
	tests/fuzz/fuzz_notify.c tests/fuzz/fuzz_events.c tests/fuzz/fuzz_catalog.c \
	tests/fuzz/fuzz_logline.c tests/fuzz/fuzz_rabbit.c tests/fuzz/fuzz_kafkatopic.c \
	tests/fuzz/fuzz_sshconfig.c tests/fuzz/fuzz_duration.c tests/fuzz/fuzz_storeref.c \
	scripts/fuzz

tests_unit_test_tunnelset_SOURCES = tests/unit/test_tunnelset.c $(UNIT_HELPERS)
tests_unit_test_tunnelset_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tunnelset_LDADD = $(UNIT_LDADD)

tests_unit_test_utf8_SOURCES = tests/unit/test_utf8.c $(UNIT_HELPERS)
tests_unit_test_utf8_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_utf8_LDADD = $(UNIT_LDADD)
