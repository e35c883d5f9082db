# CLI commands that need more than the database (the others are listed with
# it, in src/db/local.mk).
libopsdeck_a_SOURCES += \
	src/cli/cli_doctor.c src/cli/cli_doctor.h \
	src/cli/cli_credentials.c src/cli/cli_credentials.h \
	src/cli/cli_logs.c src/cli/cli_logs.h \
	src/cli/cli_tunnel.c src/cli/cli_tunnel.h \
	src/cli/cli_route.c src/cli/cli_route.h

# Names for shell completion, and the command table its scripts are made of.
libopsdeck_a_SOURCES += src/cli/cli_complete.c src/cli/cli_complete.h
