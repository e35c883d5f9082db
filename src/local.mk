# The core library: no curses here. Linked by the console, the CLI, the
# worker and every test program.
noinst_LIBRARIES += libopsdeck.a
libopsdeck_a_SOURCES = \
	src/util.c src/util.h \
	src/jsonget.c src/jsonget.h \
	src/buf.c src/buf.h \
	src/textesc.c src/textesc.h \
	src/b64.c src/b64.h \
	src/utf8.c src/utf8.h \
	src/loop.c src/loop.h \
	src/outq.c src/outq.h \
	src/paths.c src/paths.h \
	src/conf.c src/conf.h \
	src/yamldoc.c src/yamldoc.h \
	src/embedded.h src/embedded_find.c \
	src/actions.c src/actions.h src/pane_list.h \
	src/keymap.c src/keymap.h \
	src/keyseq.c src/keyseq.h \
	src/theme.c src/theme.h \
	src/cli/cli.c src/cli/cli.h
# Log sessions: the ring buffer, its queries, lines, exact resume, sessions.
libopsdeck_a_SOURCES += \
	src/logs/ring.c src/logs/ring.h \
	src/logs/query.c src/logs/query.h \
	src/logs/splitter.c src/logs/splitter.h \
	src/logs/resume.c src/logs/resume.h \
	src/logs/session.c src/logs/session.h \
	src/logs/history.c src/logs/history.h
# SSH tunnels: profiles, ~/.ssh/config, host keys, sessions on the loop.
libopsdeck_a_SOURCES += \
	src/ssh/profile.c src/ssh/profile.h \
	src/ssh/sshconfig.c src/ssh/sshconfig.h \
	src/ssh/hostkey.c src/ssh/hostkey.h \
	src/ssh/keyfile.c src/ssh/keyfile.h \
	src/ssh/tunnel.c src/ssh/tunnel.h \
	src/ssh/tunnelset.c src/ssh/tunnelset.h \
	src/ssh/agent.c src/ssh/agent.h \
	src/route.c src/route.h
nodist_libopsdeck_a_SOURCES = src/embedded.c
libopsdeck_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(PQ_CFLAGS) $(SSH2_CFLAGS)

# Libraries every program that links libopsdeck.a needs.
OPSDECK_CORE_LIBS = libopsdeck.a $(YAML_LIBS) $(JANSSON_LIBS) $(CURL_LIBS) $(PQ_LIBS) $(SSH2_LIBS)

EMBEDDED_FILES += themes/default.yaml keymaps/default.yaml
# RabbitMQ over its management HTTP API: the answers' parsers (pure) and
# the client on the generic HTTP engine.
libopsdeck_a_SOURCES += \
	src/mq/rabbit_parse.c src/mq/rabbit_parse.h \
	src/mq/rabbit.c src/mq/rabbit.h \
	src/mq/queuewatch.c src/mq/queuewatch.h \
	src/cli/cli_queue.c src/cli/cli_queue.h
