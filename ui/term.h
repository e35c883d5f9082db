/* The terminal's lifetime: curses start and stop, resize, and restoring the
 * terminal on every way out (normal exit, SIGTERM, Ctrl-C, a crash). */
#ifndef OPSDECK_UI_TERM_H
#define OPSDECK_UI_TERM_H

#include <stdbool.h>

/* Starts curses on the controlling terminal. mouse: report clicks and wheel
 * (off by default so the terminal's own text selection keeps working). */
bool term_start(bool mouse);
/* Restores the terminal; safe to call twice. */
void term_stop(void);
/* Lends the terminal to a child (kubectl exec): the screen and the tty's
 * modes as before the console, until term_resume, which puts curses back
 * (its modes, the size the terminal has now, the whole screen to redraw). */
void term_suspend(void);
void term_resume(void);
/* Puts text on the terminal's clipboard with OSC 52, which terminals and
 * tmux (set-clipboard) honour over SSH too. False when text is empty or
 * longer than TERM_COPY_MAX bytes. */
#define TERM_COPY_MAX 65536
bool term_copy(const char *text);
/* Reads the real size from the tty and tells curses. */
void term_resize(void);
/* True when the locale's charset is UTF-8 (else borders fall back to ASCII). */
bool term_utf8(void);
/* Installs handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT that put
 * the terminal back before the default action (the core dump) happens. */
void term_install_crash_handler(void);

#endif
