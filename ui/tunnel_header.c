#include "config.h"

#include "tunnel_header.h"

#include <curses.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli/cli_tunnel.h"
#include "db/db.h"
#include "draw.h"
#include "input.h"
#include "kube/http.h"
#include "route.h"
#include "ssh/tunnel.h"
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
	/* questions for passphrases, the first one on the prompt line (when
	 * prompt_open, unless withdrawn: then the prompt waits for Enter or
	 * Esc with no question), and what is typed for it; told: the message
	 * line said that the first one waits for the line */
	struct pass_question *questions;
	size_t nquestions;
	bool prompt_open, withdrawn, told;
	char *typed;
	size_t typed_size, ntyped;
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

/* A question put by a tunnel, waiting for its turn on the prompt line. */
struct pass_question {
	struct tunnel *t;
	char *path;
};

/* Room for one byte past the longest passphrase: a longer one is kept that
 * far, so that the tunnel refuses it in words rather than cut it. */
#define TYPED_SIZE (TUNNEL_PASSPHRASE_MAX + 2)

static void pass_try_open(struct tunnel_header *h);

/* What is typed, in the tunnels' secret memory (out of swap, core dumps
 * and children); NULL when none could be had. */
static char *typed_buf(struct tunnel_header *h)
{
	if (!h->typed)
		h->typed = tunnel_secret_alloc(TYPED_SIZE, &h->typed_size);
	return h->typed;
}

static void typed_wipe(struct tunnel_header *h)
{
	if (h->typed)
		explicit_bzero(h->typed, h->typed_size);
	h->ntyped = 0;
}

static void question_remove(struct tunnel_header *h, size_t i)
{
	free(h->questions[i].path);
	memmove(h->questions + i, h->questions + i + 1,
		(h->nquestions - i - 1) * sizeof(*h->questions));
	h->nquestions--;
	if (i == 0)
		h->told = false;
}

/* The prompt closed: its question (unless withdrawn already) leaves the
 * queue; the next one, if any, is put when the line is free. */
static void pass_next(struct tunnel_header *h)
{
	typed_wipe(h);
	h->prompt_open = false;
	if (h->withdrawn)
		h->withdrawn = false;
	else if (h->nquestions > 0)
		question_remove(h, 0);
	pass_try_open(h);
}

static void pass_done(struct app *app, const char *text, void *ud);
static const struct app_prompt_ops pass_prompt_ops;

/* Every key goes to the passphrase but Enter and Esc (Ctrl-g, Ctrl-c),
 * which end the prompt; nothing typed reaches the line edit, so nothing is
 * drawn. */
static bool pass_key(struct app *app, struct lineedit *le, keycode k, void *ud)
{
	struct tunnel_header *h = ud;
	char *buf = typed_buf(h);

	(void)le;
	if (k == KC_ENTER || k == KC_ESC || k == KEY_CTRL('g'))
		return false;
	if (k == KEY_CTRL('c')) {
		/* as Esc: the console's quit key is not the passphrase's */
		(void)app_prompt_close(app, &pass_prompt_ops);
		pass_done(app, NULL, h);
		return true;
	}
	if (!buf)
		return true;
	if (k == KC_BACKSPACE || k == KEY_CTRL('h') || k == 127) {
		/* one character back: past its continuation bytes */
		while (h->ntyped > 0 && (buf[h->ntyped - 1] & 0xc0) == 0x80)
			buf[--h->ntyped] = '\0';
		if (h->ntyped > 0)
			buf[--h->ntyped] = '\0';
	} else if (k == KEY_CTRL('u')) {
		typed_wipe(h);
	} else if (k >= KC_SPACE && k < KC_NAMED) {
		/* past the room, the rest is dropped: the tunnel refuses it */
		(void)append_utf8(buf, TYPED_SIZE, &h->ntyped, k);
	}
	return true;
}

static void pass_done(struct app *app, const char *text, void *ud)
{
	struct tunnel_header *h = ud;
	const char *buf = typed_buf(h);

	(void)app;
	if (!h->withdrawn && h->nquestions > 0) {
		struct pass_question *q = &h->questions[0];

		/* text is the line edit's, always empty: Enter gives what was typed */
		(void)tunnel_passphrase_answer(q->t, q->path, text && buf ? buf : NULL);
	}
	pass_next(h);
}

static const struct app_prompt_ops pass_prompt_ops = {
	.on_key = pass_key,
	.on_done = pass_done,
	.keep = true,
};

/* The first question goes on the prompt line when it is free: never over
 * a prompt, dialog or form the operator is busy with (its keys would go to
 * the other); until then the message line says that it waits. */
static void pass_try_open(struct tunnel_header *h)
{
	const struct pass_question *q;
	char label[256];

	if (h->prompt_open || h->nquestions == 0)
		return;
	q = &h->questions[0];
	if (app_line_busy(h->app)) {
		if (!h->told)
			app_note(h->app, h, false,
				 "tunnel %s wants the passphrase of %s: finish this first",
				 tunnel_name(q->t), q->path);
		h->told = true;
		return;
	}
	app_note_end(h->app, h);
	typed_wipe(h);
	snprintf(label, sizeof(label), "Passphrase for %s (tunnel %s; not shown, Esc skips): ",
		 q->path, tunnel_name(q->t));
	h->prompt_open = true;
	app_prompt(h->app, label, "", &pass_prompt_ops, h);
}

static void line_free(struct app *app, void *ud)
{
	(void)app;
	pass_try_open(ud);
}

/* The terminal before the screen is taken, and a forced askpass program:
 * as the CLI asks. True when it was asked there (answered or not). */
static bool ask_off_screen(struct tunnel_header *h, struct tunnel *t, const char *path)
{
	const char *prog = getenv("SSH_ASKPASS"), *req = getenv("SSH_ASKPASS_REQUIRE");
	bool forced = prog && *prog && req && strcmp(req, "force") == 0;
	struct err why = {{0}};
	char *buf;
	bool ok;

	if (h->screen && !forced)
		return false;
	/* Once refused, not asked again before the screen is the console's:
	 * the tunnel's next attempts ask there. */
	if (!forced && h->terminal_declined) {
		(void)tunnel_passphrase_answer(t, path, NULL);
		return true;
	}
	buf = typed_buf(h);
	ok = buf && cli_passphrase(path, buf, TUNNEL_PASSPHRASE_MAX + 1, &why, NULL);
	if (!forced)
		h->terminal_declined = !ok;
	if (!ok && buf && strstr(why.msg, "longer than")) {
		/* a stand-in of the same excess, so that the tunnel refuses it in
		 * words; what was typed is not kept */
		memset(buf, 'x', TUNNEL_PASSPHRASE_MAX + 1);
		buf[TUNNEL_PASSPHRASE_MAX + 1] = '\0';
		ok = true;
	}
	(void)tunnel_passphrase_answer(t, path, ok ? buf : NULL);
	typed_wipe(h);
	return true;
}

/* A tunnel asks: on the terminal before the screen is taken, else the
 * question joins the queue of the prompt line while the loop goes on. */
static void ask_passphrase(struct tunnel *t, const char *path, void *ud)
{
	struct tunnel_header *h = console_tunnels;

	(void)ud;
	if (!h) {
		(void)tunnel_passphrase_answer(t, path, NULL);
		return;
	}
	if (h->prompt_open || h->nquestions > 0 || !ask_off_screen(h, t, path)) {
		h->questions = xrealloc(h->questions, (h->nquestions + 1) * sizeof(*h->questions));
		h->questions[h->nquestions++] = (struct pass_question){t, xstrdup(path)};
		pass_try_open(h);
	}
}

/* The tunnel no longer waits (its attempt ended, or it is freed): its
 * question leaves the queue. On the prompt line, the prompt stays, saying
 * so, and takes the keys till Enter or Esc: the rest of a passphrase being
 * typed must not become commands. */
static void passphrase_withdrawn(struct tunnel *t, const char *path, void *ud)
{
	struct tunnel_header *h = console_tunnels;

	(void)ud;
	if (!h)
		return;
	for (size_t i = 0; i < h->nquestions; i++) {
		if (h->questions[i].t != t || strcmp(h->questions[i].path, path) != 0)
			continue;
		if (i == 0 && h->prompt_open && !h->withdrawn) {
			char label[256];

			snprintf(label, sizeof(label),
				 "Passphrase for %s (tunnel %s): "
				 "question withdrawn (Enter or Esc) ",
				 path, tunnel_name(t));
			(void)app_prompt_relabel(h->app, &pass_prompt_ops, label);
			h->withdrawn = true;
		}
		question_remove(h, i);
		if (i == 0 && !h->prompt_open) {
			app_note_end(h->app, h);
			pass_try_open(h);
		}
		app_redraw(h->app);
		return;
	}
}

/* ---- lifetime ---- */

struct tunnel_header *tunnel_header_new(struct app *app)
{
	const struct conf *conf = app_conf(app);
	struct tunnel_header *h;
	struct tunnel_opts base = {.passphrase_ask = ask_passphrase,
				   .passphrase_withdrawn = passphrase_withdrawn};

	if (conf->tunnels.n == 0)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->app = app;
	h->loop_thread = pthread_self();
	pthread_mutex_init(&h->lock, NULL);
	console_tunnels = h;
	app_on_line_free(app, line_free, h);
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
	app_on_line_free(h->app, NULL, NULL);
	app_note_end(h->app, h);
	tunnel_set_observe(h->set, NULL, NULL);
	tunnel_set_free(h->set);
	for (size_t i = 0; i < h->nquestions; i++)
		free(h->questions[i].path);
	free(h->questions);
	if (h->typed)
		tunnel_secret_free(h->typed, h->typed_size);
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
