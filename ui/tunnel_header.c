#include "config.h"

#include "tunnel_header.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cli/cli_tunnel.h"
#include "db/db.h"
#include "draw.h"
#include "input.h"
#include "kube/http.h"
#include "route.h"
#include "ssh/tunnelset.h"
#include "style.h"

/* An answer the route gave on the loop's thread, for the same question
 * asked from another thread (the console's schema migration at start runs
 * on one while the loop carries its tunnel); the forward lives as long as
 * the set, so its port stays good. */
struct route_answer {
	char *profile, *host;
	int port, local_port;
};

struct tunnel_header {
	struct app *app;
	struct tunnel_set *set;
	pthread_t loop_thread;
	pthread_mutex_t lock; /* answers */
	struct route_answer *answers;
	size_t nanswers;
	bool screen;
	/* a passphrase was refused at the terminal: the console asks next */
	bool terminal_declined;
	/* what the message line was last told, per tunnel, as "name\tstate\treason" */
	char **said;
	size_t nsaid;
};

/* ---- the header ---- */

/* "up 3 ms", "connecting", "down: REASON"; with several tunnels the
 * reasons are left to the message line, so that every tunnel's state fits. */
static void describe(const struct tunnel_status *st, bool reason, char *buf, size_t bufsz)
{
	if (st->state == TUNNEL_UP && st->rtt_ms >= 0)
		snprintf(buf, bufsz, "up %ld ms", st->rtt_ms);
	else if (st->state == TUNNEL_DOWN && reason)
		snprintf(buf, bufsz, "down: %s", st->reason[0] ? st->reason : "no reason given");
	else
		snprintf(buf, bufsz, "%s", tunnel_state_name(st->state));
}

/* The full reason goes to the message line once per new state: the header
 * has room for its beginning only. */
static void tell(struct tunnel_header *h, size_t i, struct tunnel *t)
{
	const struct tunnel_status *st = tunnel_status(t);
	char *now;

	if (i >= h->nsaid) {
		h->said = xrealloc(h->said, (i + 1) * sizeof(*h->said));
		while (h->nsaid <= i)
			h->said[h->nsaid++] = NULL;
	}
	now = xasprintf("%s\t%s", tunnel_state_name(st->state),
			st->state == TUNNEL_DOWN ? st->reason : "");
	if (h->said[i] && strcmp(h->said[i], now) == 0) {
		free(now);
		return;
	}
	free(h->said[i]);
	h->said[i] = now;
	if (st->state == TUNNEL_DOWN)
		app_error(h->app, "tunnel %s: down: %s", tunnel_name(t), st->reason);
}

static void update(struct tunnel_header *h)
{
	size_t n = tunnel_set_count(h->set), len = 0;
	char text[1200];
	bool alert = false;

	text[0] = '\0';
	if (n == 0) {
		app_set_header(h->app, HEADER_TUNNEL, NULL, false);
		return;
	}
	for (size_t i = 0; i < n && len < sizeof(text); i++) {
		struct tunnel *t = tunnel_set_at(h->set, i);
		const struct tunnel_status *st = tunnel_status(t);
		char what[600];

		describe(st, n == 1, what, sizeof(what));
		alert |= st->state != TUNNEL_UP;
		if (n == 1)
			len += (size_t)snprintf(text, sizeof(text), "tunnel %s: %s", tunnel_name(t),
						what);
		else
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s %s",
						i ? ", " : "tunnels: ", tunnel_name(t), what);
		tell(h, i, t);
	}
	app_set_header(h->app, HEADER_TUNNEL, text, alert);
}

static void state_changed(struct tunnel *t, void *ud)
{
	(void)t;
	update(ud);
}

/* ---- the route ---- */

static int answer_find(struct tunnel_header *h, const char *profile, const char *host, int port)
{
	int local = -1;

	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->nanswers; i++) {
		const struct route_answer *a = &h->answers[i];

		if (a->port == port && strcmp(a->profile, profile) == 0 &&
		    strcmp(a->host, host) == 0)
			local = a->local_port;
	}
	pthread_mutex_unlock(&h->lock);
	return local;
}

/* The set runs on the console's loop: asked on another thread (the
 * migration at start), it says nothing rather than race the loop. */
static void route_describe_here(void *ud, const char *profile, const char *host, int port,
				char *buf, size_t bufsz)
{
	struct tunnel_header *h = ud;

	if (pthread_equal(pthread_self(), h->loop_thread))
		tunnel_set_describe(h->set, profile, host, port, buf, bufsz);
}

static int route(void *ud, const char *profile, const char *host, int port, struct err *err)
{
	struct tunnel_header *h = ud;
	size_t before;
	int local;

	if (!pthread_equal(pthread_self(), h->loop_thread)) {
		local = answer_find(h, profile, host, port);
		if (local < 0)
			err_set(err, "tunnel %s: %s:%d was not asked for on the console's loop",
				profile, host, port);
		return local;
	}
	/* the set is the loop's: read only on its thread */
	before = tunnel_set_count(h->set);
	local = tunnel_set_endpoint(h->set, profile, host, port, err);
	if (local > 0 && answer_find(h, profile, host, port) < 0) {
		pthread_mutex_lock(&h->lock);
		h->answers = xrealloc(h->answers, (h->nanswers + 1) * sizeof(*h->answers));
		h->answers[h->nanswers++] = (struct route_answer){
		    .profile = xstrdup(profile),
		    .host = xstrdup(host),
		    .port = port,
		    .local_port = local,
		};
		pthread_mutex_unlock(&h->lock);
	}
	if (tunnel_set_count(h->set) != before)
		update(h); /* a tunnel opened: it shows at once */
	return local;
}

/* ---- passphrases ---- */

/* The console's tunnels, for the passphrase callback: a tunnel set gives
 * its tunnels' callbacks its own ud, not the one of its base options. One
 * console per process. */
static struct tunnel_header *console_tunnels;

static void draw_prompt(const char *path, bool too_long)
{
	int rows, cols, w;
	struct rect r;
	char line[600];

	getmaxyx(stdscr, rows, cols);
	snprintf(line, sizeof(line), "Passphrase for %s", path);
	w = draw_width(line) + 6;
	if (w < 50)
		w = 50;
	if (w > cols - 4)
		w = cols - 4;
	r = (struct rect){rows / 2 - 3, (cols - w) / 2, 7, w};
	draw_box(&r, "Passphrase", style_attr(ROLE_BORDER), style_attr(ROLE_DIALOG));
	draw_text(r.y + 2, r.x + 2, r.w - 4, line, style_attr(ROLE_DIALOG), 0);
	draw_text(r.y + 3, r.x + 2, r.w - 4,
		  too_long ? "Too long: Esc cancels" : "(what is typed is not shown)",
		  style_attr(ROLE_DIALOG), 0);
	draw_text(r.y + 4, r.x + 2, r.w - 4, "Enter = use it, Esc = skip this key",
		  style_attr(ROLE_DIALOG) | A_BOLD, 0);
	curs_set(0);
	refresh();
}

/* Appends code point k as UTF-8; false if it does not fit (NUL kept). */
static bool append_utf8(char *buf, size_t bufsz, size_t *n, keycode k)
{
	unsigned char u[4];
	size_t len;

	if (k < 0x80) {
		u[0] = (unsigned char)k;
		len = 1;
	} else if (k < 0x800) {
		u[0] = (unsigned char)(0xc0 | (k >> 6));
		u[1] = (unsigned char)(0x80 | (k & 0x3f));
		len = 2;
	} else if (k < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (k >> 12));
		u[1] = (unsigned char)(0x80 | ((k >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (k & 0x3f));
		len = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (k >> 18));
		u[1] = (unsigned char)(0x80 | ((k >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((k >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (k & 0x3f));
		len = 4;
	}
	if (*n + len >= bufsz)
		return false;
	memcpy(buf + *n, u, len);
	*n += len;
	buf[*n] = '\0';
	explicit_bzero(u, sizeof(u));
	return true;
}

/* The modal prompt: the loop waits (the tunnel does not count this time
 * against its connect timeout); nothing typed is drawn. */
static bool ask_on_screen(const char *path, char *buf, size_t bufsz, struct err *why)
{
	struct input in;
	size_t n = 0;
	bool too_long = false;
	int result = 0; /* 1: Enter, -1: Esc */

	memset(&in, 0, sizeof(in));
	buf[0] = '\0';
	if (bufsz > TUNNEL_PASSPHRASE_MAX + 1)
		bufsz = TUNNEL_PASSPHRASE_MAX + 1;
	draw_prompt(path, false);
	while (!result) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		int r = poll(&p, 1, input_pending(&in) ? INPUT_ESC_WAIT_MS : 500);
		keycode k = KC_NONE;
		int row;
		enum input_kind kind;

		if (r < 0 && errno != EINTR)
			break;
		if (r == 0 && input_pending(&in) && input_flush_esc(&in, &k) && k == KC_ESC)
			result = -1;
		if (r > 0 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN))
			break;
		while (!result && (kind = input_read(&in, &k, &row)) != INPUT_NONE) {
			if (kind == INPUT_RESIZE) {
				draw_prompt(path, too_long);
				continue;
			}
			if (kind != INPUT_KEY)
				continue;
			if (k == KC_ENTER || k == KEY_CTRL('m') || k == KEY_CTRL('j')) {
				result = 1;
			} else if (k == KC_ESC || k == KEY_CTRL('c') || k == KEY_CTRL('g')) {
				result = -1;
			} else if (k == KC_BACKSPACE || k == KEY_CTRL('h') || k == 127) {
				/* one character back: past its continuation bytes */
				while (n > 0 && (buf[n - 1] & 0xc0) == 0x80)
					buf[--n] = '\0';
				if (n > 0)
					buf[--n] = '\0';
			} else if (k == KEY_CTRL('u')) {
				explicit_bzero(buf, n);
				n = 0;
			} else if (k >= KC_SPACE && k < KC_NAMED && !too_long) {
				if (!append_utf8(buf, bufsz, &n, k)) {
					too_long = true;
					draw_prompt(path, true);
				}
			}
			k = KC_NONE;
		}
	}
	explicit_bzero(&in, sizeof(in));
	clear();
	if (result == 1 && !too_long && n > 0)
		return true;
	explicit_bzero(buf, bufsz);
	if (too_long)
		err_set(why, "the passphrase is longer than %d bytes", TUNNEL_PASSPHRASE_MAX);
	else if (result == 1)
		err_set(why, "no passphrase given");
	else
		err_set(why, "cancelled");
	return false;
}

static bool ask_passphrase(const char *path, char *buf, size_t bufsz, struct err *why, void *ud)
{
	struct tunnel_header *h = console_tunnels;
	const char *prog = getenv("SSH_ASKPASS"), *req = getenv("SSH_ASKPASS_REQUIRE");
	bool ok;

	(void)ud;
	if (!h) {
		err_set(why, "cancelled");
		return false;
	}
	/* Before the screen is taken, and for a forced askpass program: as the
	 * CLI asks. */
	if (prog && *prog && req && strcmp(req, "force") == 0)
		return cli_passphrase(path, buf, bufsz, why, NULL);
	if (!h->screen) {
		/* Once refused, not asked again before the screen is the
		 * console's: the tunnel's next attempts ask there. */
		if (h->terminal_declined) {
			err_set(why, "cancelled");
			return false;
		}
		ok = cli_passphrase(path, buf, bufsz, why, NULL);
		h->terminal_declined = !ok;
		return ok;
	}
	if (app_suspended(h->app)) {
		err_set(why, "cancelled: the terminal is lent to a command");
		return false;
	}
	ok = ask_on_screen(path, buf, bufsz, why);
	app_redraw(h->app);
	return ok;
}

/* ---- lifetime ---- */

struct tunnel_header *tunnel_header_new(struct app *app)
{
	const struct conf *conf = app_conf(app);
	struct tunnel_header *h;
	struct tunnel_opts base = {.passphrase = ask_passphrase};

	if (conf->tunnels.n == 0)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->app = app;
	h->loop_thread = pthread_self();
	pthread_mutex_init(&h->lock, NULL);
	console_tunnels = h;
	h->set = tunnel_set_new(app_loop(app), &conf->tunnels, &base);
	tunnel_set_observe(h->set, state_changed, h);
	route_install(route, h);
	route_install_describe(route_describe_here, h);
	db_set_tunnel(conf->database_tunnel);
	kube_http_set_tunnels(conf);
	return h;
}

void tunnel_header_screen(struct tunnel_header *h, bool on)
{
	if (h)
		h->screen = on;
}

void tunnel_header_free(struct tunnel_header *h)
{
	if (!h)
		return;
	route_install(NULL, NULL);
	route_install_describe(NULL, NULL);
	db_set_tunnel(NULL);
	kube_http_set_tunnels(NULL);
	console_tunnels = NULL;
	tunnel_set_observe(h->set, NULL, NULL);
	tunnel_set_free(h->set);
	for (size_t i = 0; i < h->nanswers; i++) {
		free(h->answers[i].profile);
		free(h->answers[i].host);
	}
	free(h->answers);
	for (size_t i = 0; i < h->nsaid; i++)
		free(h->said[i]);
	free(h->said);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
