# Provisioning: catalog templates rendered into a store's Kubernetes
# objects, and its generated secrets. Pure code; part of the core library.
libopsdeck_a_SOURCES += \
	src/provision/render.c src/provision/render.h \
	src/provision/secret.c src/provision/secret.h

# The job runner: workload health, the step machine of one job, and the
# runner that claims jobs (in the console and in `opsdeck worker`).
libopsdeck_a_SOURCES += \
	src/provision/health.c src/provision/health.h \
	src/provision/answer.c src/provision/answer.h \
	src/provision/job.c src/provision/job.h \
	src/provision/runner.c src/provision/runner.h \
	src/provision/reconcile.c src/provision/reconcile.h \
	src/provision/storevars.c src/provision/storevars.h \
	src/provision/expected.c src/provision/expected.h

# A store's credentials read back from its Secret, for an audited reveal.
libopsdeck_a_SOURCES += src/provision/credentials.c src/provision/credentials.h

# A store's objects and events for the console's details, kept by watches.
libopsdeck_a_SOURCES += src/provision/inventory.c src/provision/inventory.h

# Deleting an orphan namespace, audited (store reconcile and :reconcile).
libopsdeck_a_SOURCES += src/provision/orphan.c src/provision/orphan.h
