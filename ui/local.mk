# The console. ui/ is the only place that includes curses.
noinst_LIBRARIES += libopsdeck_ui.a
libopsdeck_ui_a_SOURCES = \
	ui/table_model.c ui/table_model.h
libopsdeck_ui_a_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

# Everything of the console but main(), in a library so that unit tests
# link the pane registry, the `:` commands and help without a terminal.
noinst_LIBRARIES += libopsdeck_console.a
libopsdeck_console_a_SOURCES = \
	ui/app.c ui/app.h ui/pane.h \
	ui/panes.c ui/panes.h \
	ui/commands.c ui/commands.h \
	ui/term.c ui/term.h \
	ui/style.c ui/style.h \
	ui/draw.c ui/draw.h \
	ui/input.c ui/input.h \
	ui/lineedit.c ui/lineedit.h \
	ui/cmdline.c ui/cmdline.h \
	ui/table.c ui/table.h \
	ui/help.c ui/help.h \
	ui/message.c ui/message.h \
	ui/form.c ui/form.h \
	ui/pane_notice.c ui/pane_notice.h \
	ui/cluster_header.c ui/cluster_header.h \
	ui/pane_verb.c \
	ui/pane_catalog.c ui/pane_projects.c ui/pane_stores.c ui/pane_queues.c ui/pane_logs.c \
	ui/pane_events.c
# The reconcile findings view (:reconcile).
libopsdeck_console_a_SOURCES += ui/pane_reconcile.c
# A store's objects drilled into from its details (YAML, events, kubectl).
libopsdeck_console_a_SOURCES += ui/store_drill.c ui/store_drill.h ui/foreground.c ui/foreground.h
# The clusters view (:clusters).
libopsdeck_console_a_SOURCES += ui/pane_clusters.c
# The tunnels the console opens, in its header.
libopsdeck_console_a_SOURCES += ui/tunnel_header.c ui/tunnel_header.h
libopsdeck_console_a_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
OPSDECK_CONSOLE_LIBS = libopsdeck_console.a libopsdeck_ui.a $(OPSDECK_CORE_LIBS) $(NCURSES_LIBS)

bin_PROGRAMS += opsdeck
opsdeck_SOURCES = ui/main.c
opsdeck_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
opsdeck_LDADD = $(OPSDECK_CONSOLE_LIBS)
