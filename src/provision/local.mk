# Provisioning: catalog templates rendered into a store's Kubernetes
# objects, and its generated secrets. Pure code; part of the core library.
libopsdeck_a_SOURCES += \
	src/provision/render.c src/provision/render.h \
	src/provision/secret.c src/provision/secret.h
