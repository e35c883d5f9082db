# kubesim: the local Kubernetes API server the tests and the demo run
# against (installed as opsdeck-kubesim), its tests and its benchmark.
if INSTALL_KUBESIM
bin_PROGRAMS += opsdeck-kubesim
else
check_PROGRAMS += opsdeck-kubesim
endif

KUBESIM_CORE = \
	tests/kubesim/sim.c tests/kubesim/sim.h \
	tests/kubesim/jutil.c tests/kubesim/jutil.h \
	tests/kubesim/restype.c tests/kubesim/restype.h \
	tests/kubesim/kafka.c tests/kubesim/kafka.h \
	tests/kubesim/store.c tests/kubesim/store.h \
	tests/kubesim/status.c tests/kubesim/status.h \
	tests/kubesim/selector.c tests/kubesim/selector.h \
	tests/kubesim/yamljson.c tests/kubesim/yamljson.h \
	tests/kubesim/patch.c tests/kubesim/patch.h \
	tests/kubesim/apply.c tests/kubesim/apply.h \
	tests/kubesim/quota.c tests/kubesim/quota.h \
	tests/kubesim/kinds.c tests/kubesim/kinds.h \
	tests/kubesim/table.c tests/kubesim/table.h \
	tests/kubesim/watch.c tests/kubesim/watch.h \
	tests/kubesim/logs.c tests/kubesim/logs.h \
	tests/kubesim/ctrl.c tests/kubesim/ctrl.h \
	tests/kubesim/finalize.c tests/kubesim/finalize.h \
	tests/kubesim/fault.c tests/kubesim/fault.h \
	tests/kubesim/openapi.c tests/kubesim/openapi.h \
	tests/kubesim/api.c tests/kubesim/api.h \
	tests/kubesim/pbuf.c tests/kubesim/pbuf.h \
	tests/kubesim/pbobj.c tests/kubesim/pbobj.h \
	tests/kubesim/review.c tests/kubesim/review.h \
	tests/kubesim/demo.c tests/kubesim/demo.h \
	tests/kubesim/seed.c tests/kubesim/seed.h \
	src/util.c src/util.h src/buf.c src/buf.h

KUBESIM_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(YAML_CFLAGS) -pthread
KUBESIM_LIBS = $(JANSSON_LIBS) $(YAML_LIBS) -lm -lpthread

opsdeck_kubesim_SOURCES = $(KUBESIM_CORE) \
	tests/kubesim/http.c tests/kubesim/http.h \
	tests/kubesim/tlscert.c tests/kubesim/tlscert.h \
	tests/kubesim/main.c
opsdeck_kubesim_CFLAGS = $(KUBESIM_CFLAGS) $(MHD_CFLAGS) $(OPENSSL_CFLAGS) $(GNUTLS_CFLAGS)
# GnuTLS: client certificates are read from libmicrohttpd's GnuTLS session.
opsdeck_kubesim_LDADD = $(KUBESIM_LIBS) $(MHD_LIBS) $(OPENSSL_LIBS) $(GNUTLS_LIBS)

check_PROGRAMS += tests/kubesim/test_units tests/kubesim/test_api
tests_kubesim_test_units_SOURCES = tests/kubesim/test_units.c $(KUBESIM_CORE)
tests_kubesim_test_units_CFLAGS = $(KUBESIM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/tests/kubesim
tests_kubesim_test_units_LDADD = $(KUBESIM_LIBS) $(CMOCKA_LIBS)
tests_kubesim_test_api_SOURCES = tests/kubesim/test_api.c src/util.c src/util.h src/buf.c src/buf.h
tests_kubesim_test_api_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(CMOCKA_CFLAGS)
tests_kubesim_test_api_LDADD = $(JANSSON_LIBS) $(CURL_LIBS) $(CMOCKA_LIBS)
# test_api and kubectl.sh start $(KUBESIM), which `make check` builds first
# (it is in bin_PROGRAMS, part of `all`).
TESTS += tests/kubesim/test_units tests/kubesim/test_api tests/kubesim/kubectl.sh \
	tests/kubesim/startup.sh tests/kubesim/logs.sh
EXTRA_DIST += tests/kubesim/kubectl.sh tests/kubesim/startup.sh doc/kubesim.md \
	tests/kubesim/logs.sh tests/fuzz/fuzz_sincetime.c

# The benchmark (bench/kubesim/): built with the rest, never run as a test.
#   bench/kubesim/bench-kubesim ./opsdeck-kubesim   (see bench/kubesim/run.sh)
noinst_PROGRAMS += bench/kubesim/bench-kubesim
bench_kubesim_bench_kubesim_SOURCES = bench/kubesim/bench-kubesim.c src/util.c src/util.h \
	src/buf.c src/buf.h
bench_kubesim_bench_kubesim_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) -pthread
bench_kubesim_bench_kubesim_LDADD = $(JANSSON_LIBS) $(CURL_LIBS) -lpthread
EXTRA_DIST += bench/kubesim/FIGURES.md bench/kubesim/run.sh
