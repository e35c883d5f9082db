# PostgreSQL: connection (blocking and on the loop), migrations, queries,
# catalog files. Part of the core library.
libopsdeck_a_SOURCES += \
	src/db/db.c src/db/db.h \
	src/db/conn.c src/db/conn.h \
	src/db/pgpass.c src/db/pgpass.h \
	src/db/resolve.c src/db/resolve.h \
	src/db/ref.c src/db/ref.h \
	src/db/live.c src/db/live.h \
	src/db/migrate.c src/db/migrate.h \
	src/db/customers.c src/db/customers.h \
	src/db/projects.c src/db/projects.h \
	src/db/events.c src/db/events.h \
	src/db/catalog.c src/db/catalog.h \
	src/db/catalog_file.c src/db/catalog_file.h \
	src/db/clusters.c src/db/clusters.h \
	src/db/stores.c src/db/stores.h src/db/storeref.c src/db/storeref.h \
	src/db/jobs.c src/db/jobs.h src/db/jobq.c src/db/jobq.h \
	src/db/storeobj.c src/db/storeobj.h

EMBEDDED_FILES += src/db/migrations/001_init.sql src/db/migrations/002_runner.sql \
	src/db/migrations/003_reconcile.sql src/db/migrations/004_attempts.sql \
	src/db/migrations/005_live_notices.sql \
	src/db/migrations/006_projects.sql src/db/migrations/007_jobs_cancel.sql \
	src/db/migrations/008_cancel_kept.sql
dist_catalog_DATA += catalog/woocommerce.yaml catalog/medusa.yaml

# The CLI commands over the database.
libopsdeck_a_SOURCES += \
	src/cli/cli_util.c src/cli/cli_util.h \
	src/cli/cli_db.c src/cli/cli_db.h \
	src/cli/cli_project.c src/cli/cli_project.h \
	src/cli/cli_catalog.c src/cli/cli_catalog.h \
	src/cli/cli_events.c src/cli/cli_events.h \
	src/cli/cli_job.c src/cli/cli_job.h \
	src/cli/cli_store.c src/cli/cli_store.h \
	src/cli/cli_worker.c src/cli/cli_worker.h
