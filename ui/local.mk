# The console. ui/ is the only place that includes curses.
noinst_LIBRARIES += libopsdeck_ui.a
libopsdeck_ui_a_SOURCES = \
	ui/table_model.c ui/table_model.h
libopsdeck_ui_a_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

bin_PROGRAMS += opsdeck
opsdeck_SOURCES = \
	ui/main.c \
	ui/app.c ui/app.h ui/pane.h \
	ui/term.c ui/term.h \
	ui/style.c ui/style.h \
	ui/draw.c ui/draw.h \
	ui/input.c ui/input.h \
	ui/lineedit.c ui/lineedit.h \
	ui/cmdline.c ui/cmdline.h \
	ui/table.c ui/table.h \
	ui/help.c ui/help.h \
	ui/form.c ui/form.h \
	ui/pane_notice.c ui/pane_notice.h \
	ui/cluster_header.c ui/cluster_header.h \
	ui/pane_catalog.c ui/pane_projects.c ui/pane_stores.c ui/pane_queues.c ui/pane_logs.c \
	ui/pane_events.c
# The reconcile findings view (:reconcile).
opsdeck_SOURCES += ui/pane_reconcile.c
opsdeck_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
opsdeck_LDADD = libopsdeck_ui.a $(OPSDECK_CORE_LIBS) $(NCURSES_LIBS)
