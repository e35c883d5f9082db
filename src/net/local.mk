# The generic HTTP client: libcurl multi on the event loop, with TLS options,
# deadlines, stall bounds, retries and an auth hook; no Kubernetes here.
libopsdeck_a_SOURCES += \
	src/net/http.c src/net/http.h
# Proxy URLs and the *_proxy variables, read as kubectl reads them.
libopsdeck_a_SOURCES += src/net/proxy.c src/net/proxy.h
