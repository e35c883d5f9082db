#include "config.h"

#include "term.h"

#include <curses.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "b64.h"
#include "provision/secret.h"
#include "util.h"

static bool term_active;
static bool term_have_termios;
static struct termios term_saved;
/* Escape sequences that undo what curses did, computed before any crash can
 * happen so the crash handler only needs write(2), which is signal-safe. */
static char term_reset_seq[256];
static size_t term_reset_len;

static void reset_seq_add(const char *cap)
{
	char *s = tigetstr((char *)cap);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (term_reset_len + n < sizeof(term_reset_seq)) {
		memcpy(term_reset_seq + term_reset_len, s, n);
		term_reset_len += n;
	}
}

static void crash_handler(int signo)
{
	if (term_active) {
		if (term_reset_len)
			(void)!write(STDOUT_FILENO, term_reset_seq, term_reset_len);
		if (term_have_termios)
			tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
	}
	signal(signo, SIG_DFL);
	raise(signo);
}

void term_install_crash_handler(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

bool term_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

bool term_start(bool mouse)
{
	if (tcgetattr(STDIN_FILENO, &term_saved) == 0)
		term_have_termios = true;
	if (!initscr())
		return false;
	term_active = true;
	term_reset_len = 0;
	reset_seq_add("sgr0");
	reset_seq_add("cnorm");
	reset_seq_add("rmkx");
	reset_seq_add("rmcup");
	if (mouse) {
		/* SGR mouse mode off as well, in case the terminal used it. */
		static const char off[] = "\033[?1000l\033[?1002l\033[?1006l";

		if (term_reset_len + sizeof(off) - 1 < sizeof(term_reset_seq)) {
			memcpy(term_reset_seq + term_reset_len, off, sizeof(off) - 1);
			term_reset_len += sizeof(off) - 1;
		}
	}
	/* raw: every control key reaches the key map (Ctrl-c, Ctrl-s...); the
	 * console handles Ctrl-c itself. */
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	if (mouse)
		mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED |
				  BUTTON5_PRESSED,
			  NULL);
	return true;
}

void term_stop(void)
{
	if (!term_active)
		return;
	term_active = false;
	curs_set(1);
	endwin();
	if (term_have_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
}

void term_suspend(void)
{
	if (!term_active)
		return;
	def_prog_mode();
	curs_set(1);
	endwin();
	if (term_have_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
}

void term_resume(void)
{
	if (!term_active)
		return;
	reset_prog_mode();
	curs_set(0);
	term_resize();
	clearok(curscr, TRUE);
	refresh();
}

void term_resize(void)
{
	struct winsize ws;

	if (!term_active)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
}

bool term_copy(const char *text)
{
	size_t len = text ? strlen(text) : 0;
	char *b64;

	if (len == 0 || len > TERM_COPY_MAX)
		return false;
	b64 = b64_encode((const unsigned char *)text, len);
	/* c: the clipboard; BEL ends it (understood more widely than ST) */
	fprintf(stdout, "\033]52;c;%s\a", b64);
	fflush(stdout);
	secret_wipe(b64, strlen(b64)); /* it may carry a credential */
	free(b64);
	return true;
}
