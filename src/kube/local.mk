# The cluster client: kubeconfig, exec credentials, HTTP over libcurl multi
# on the event loop, API helpers and the watch cache.
libopsdeck_a_SOURCES += \
	src/kube/kubeconfig.c src/kube/kubeconfig.h \
	src/kube/execcred.c src/kube/execcred.h \
	src/kube/http.c src/kube/http.h \
	src/kube/api.c src/kube/api.h \
	src/kube/watch.c src/kube/watch.h \
	src/kube/access.c src/kube/access.h \
	src/kube/probe.c src/kube/probe.h \
	src/kube/registry.c src/kube/registry.h
# An object's YAML and events, for the console's drill into a store.
libopsdeck_a_SOURCES += src/kube/objyaml.c src/kube/objyaml.h
# The keys of associative lists that server-side apply needs (catalog check).
libopsdeck_a_SOURCES += src/kube/listkeys.c src/kube/listkeys.h
# Strimzi KafkaTopics (v1 or v1beta2) for the Queues pane.
libopsdeck_a_SOURCES += src/kube/kafkatopic.c src/kube/kafkatopic.h
EXTRA_DIST += doc/kube-client.md

include tests/kube/local.mk
