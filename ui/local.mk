# The console. ui/ is the only place that includes curses.
noinst_LIBRARIES += libopsdeck_ui.a
libopsdeck_ui_a_SOURCES = \
	ui/table_model.c ui/table_model.h
libopsdeck_ui_a_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)

bin_PROGRAMS += opsdeck
opsdeck_SOURCES = \
	ui/main.c
opsdeck_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
opsdeck_LDADD = libopsdeck_ui.a $(OPSDECK_CORE_LIBS) $(NCURSES_LIBS)
