# Tests of the cluster client (src/kube/): cmocka unit tests of the pure
# parts, and tests against a small HTTP server in the test itself.
KUBE_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(MHD_CFLAGS)
KUBE_TEST_LIBS = $(OPSDECK_CORE_LIBS) $(CMOCKA_LIBS) $(MHD_LIBS)
KUBE_TEST_HELPERS = tests/kube/kubetest.c tests/kube/kubetest.h

check_PROGRAMS += tests/kube/test_kubeconfig
TESTS += tests/kube/test_kubeconfig

tests_kube_test_kubeconfig_SOURCES = tests/kube/test_kubeconfig.c $(KUBE_TEST_HELPERS)
tests_kube_test_kubeconfig_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_kubeconfig_LDADD = $(KUBE_TEST_LIBS)

check_PROGRAMS += tests/kube/test_execcred
TESTS += tests/kube/test_execcred
tests_kube_test_execcred_SOURCES = tests/kube/test_execcred.c $(KUBE_TEST_HELPERS)
tests_kube_test_execcred_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_execcred_LDADD = $(KUBE_TEST_LIBS)

# KUBERNETES_EXEC_INFO (it may hold a proxy password) wiped before it is freed.
check_PROGRAMS += tests/kube/test_execcred_wipe
TESTS += tests/kube/test_execcred_wipe
tests_kube_test_execcred_wipe_SOURCES = tests/kube/test_execcred_wipe.c $(KUBE_TEST_HELPERS)
tests_kube_test_execcred_wipe_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_execcred_wipe_LDFLAGS = -Wl,--wrap=free
tests_kube_test_execcred_wipe_LDADD = $(KUBE_TEST_LIBS)

check_PROGRAMS += tests/kube/test_http
TESTS += tests/kube/test_http
tests_kube_test_http_SOURCES = tests/kube/test_http.c tests/kube/fakeapi.c tests/kube/fakeapi.h \
	$(KUBE_TEST_HELPERS)
tests_kube_test_http_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_http_LDADD = $(KUBE_TEST_LIBS) -lpthread

check_PROGRAMS += tests/kube/test_api
TESTS += tests/kube/test_api
tests_kube_test_api_SOURCES = tests/kube/test_api.c tests/kube/fakeapi.c tests/kube/fakeapi.h \
	$(KUBE_TEST_HELPERS)
tests_kube_test_api_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_api_LDADD = $(KUBE_TEST_LIBS) -lpthread

check_PROGRAMS += tests/kube/test_watch
TESTS += tests/kube/test_watch
tests_kube_test_watch_SOURCES = tests/kube/test_watch.c tests/kube/fakeapi.c tests/kube/fakeapi.h \
	$(KUBE_TEST_HELPERS)
tests_kube_test_watch_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_watch_LDADD = $(KUBE_TEST_LIBS) -lpthread

check_PROGRAMS += tests/kube/test_tls
TESTS += tests/kube/test_tls
tests_kube_test_tls_SOURCES = tests/kube/test_tls.c tests/kube/tlsserver.c tests/kube/tlsserver.h \
	$(KUBE_TEST_HELPERS)
tests_kube_test_tls_CFLAGS = $(KUBE_TEST_CFLAGS) $(OPENSSL_CFLAGS)
tests_kube_test_tls_LDADD = $(KUBE_TEST_LIBS) $(OPENSSL_LIBS) -lpthread

# The generic HTTP engine alone (src/net/), against both fake servers.
check_PROGRAMS += tests/kube/test_net
TESTS += tests/kube/test_net
tests_kube_test_net_SOURCES = tests/kube/test_net.c tests/kube/fakeapi.c tests/kube/fakeapi.h \
	tests/kube/tlsserver.c tests/kube/tlsserver.h $(KUBE_TEST_HELPERS)
tests_kube_test_net_CFLAGS = $(KUBE_TEST_CFLAGS) $(OPENSSL_CFLAGS)
tests_kube_test_net_LDADD = $(KUBE_TEST_LIBS) $(OPENSSL_LIBS) -lpthread

# Against kubesim ($KUBESIM, built by tests/kubesim/local.mk).
check_PROGRAMS += tests/kube/test_kubesim
TESTS += tests/kube/test_kubesim
tests_kube_test_kubesim_SOURCES = tests/kube/test_kubesim.c tests/kube/simproc.c \
	tests/kube/simproc.h $(KUBE_TEST_HELPERS)
tests_kube_test_kubesim_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_kubesim_LDADD = $(KUBE_TEST_LIBS)

# kubeconfig files, one per way to authenticate, against two kubesims.
check_PROGRAMS += tests/kube/test_kubeauth
TESTS += tests/kube/test_kubeauth
tests_kube_test_kubeauth_SOURCES = tests/kube/test_kubeauth.c tests/kube/simproc.c \
	tests/kube/simproc.h $(KUBE_TEST_HELPERS)
tests_kube_test_kubeauth_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_kubeauth_LDADD = $(KUBE_TEST_LIBS)

# The cluster registry against kubesim over plain HTTP (so a second kubesim
# can take over the port of the first).
check_PROGRAMS += tests/kube/test_registry
TESTS += tests/kube/test_registry
tests_kube_test_registry_SOURCES = tests/kube/test_registry.c tests/kube/simproc.c \
	tests/kube/simproc.h $(KUBE_TEST_HELPERS)
tests_kube_test_registry_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_registry_LDADD = $(KUBE_TEST_LIBS)

# A log session through clean ends, 503s, drops and stalls of its stream.
check_PROGRAMS += tests/kube/test_logsession
TESTS += tests/kube/test_logsession
tests_kube_test_logsession_SOURCES = tests/kube/test_logsession.c tests/kube/fakeapi.c \
	tests/kube/fakeapi.h $(KUBE_TEST_HELPERS)
tests_kube_test_logsession_CFLAGS = $(KUBE_TEST_CFLAGS)
tests_kube_test_logsession_LDADD = $(KUBE_TEST_LIBS) -lpthread
