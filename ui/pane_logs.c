#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "db/conn.h"
#include "db/live.h"
#include "db/storeref.h"
#include "kube/registry.h"
#include "logs/history.h"
#include "logs/query.h"
#include "logs/ring.h"
#include "logs/session.h"
#include "logs/splitter.h"
#include "pane.h"
#include "pane_notice.h"
#include "provision/render.h"
#include "style.h"
#include "util.h"

/* The Logs pane: a store's containers followed by a log session
 * (src/logs) over the console's shared cluster registry, into one ring.
 * Lines are tagged with their source (pod/container) in a colour of the
 * theme's source palette chosen by the source's name, so a container
 * keeps its colour. Follow is on until the operator scrolls up; `/`
 * searches (n, N), i and x add include and exclude filters, C shows
 * context around what they let through. H shows the store's own history
 * (its audit events and job steps, logs/history.h) among the pods' lines
 * by time, each line with its own time, its source name in a colour of
 * its own.
 *
 * Ingestion only counts and marks the pane dirty: a timer redraws at
 * most FRAME_MS apart, so a firehose costs a frame, not a draw per line.
 * With a filter, the lines shown are kept as numbers into the ring (fed
 * by log_grep_feed as lines come); without one, the ring is the view. */

#define FRAME_MS 33
#define SOURCE_ROLES 6
#define PATTERN_MAX 256
/* A merge of more lines makes the filtered view again rather than filter
 * each merged line in where it went: each one shown moves the view's
 * lines after it, and past this many that costs more than the ring. */
#define MERGE_NEAR_MAX 64

struct view_line {
	uint64_t n;
	bool gap; /* a separator comes before it (filter with context) */
};

struct logs_pane {
	struct app *app;
	struct db_live *live;	    /* the stores and clusters */
	struct kube_registry *kube; /* the console's, shared */
	char pending[160];	    /* a store asked for before the stores were read */
	char store[160];	    /* "acme/web", or "" */
	char store_id[STORE_ID_LEN + 1];
	char cluster[128];    /* the store's cluster, by the name the header gives */
	char kube_ctx[256];   /* its context ("": the kubeconfig's current one) */
	char why[640];	      /* why there are no logs to show, or "" */
	char save_path[4096]; /* a file to save to that exists: asked about */

	struct log_session *sess;
	struct log_history *hist; /* the store's history, once H asked for it */
	struct db_conn *db;	  /* the history's reads */
	bool history;		  /* its lines shown */
	char told_history[800];	  /* the history's failure said last */
	struct log_ring *ring;
	struct log_filter filter;
	struct log_grep grep;
	char *include[LOG_FILTER_MAX], *exclude[LOG_FILTER_MAX];
	size_t ninclude, nexclude;
	unsigned context;

	/* the filtered view: lines vl[vl0..nvl) */
	struct view_line *vl;
	size_t nvl, vl0, capvl;
	uint64_t fed_end; /* lines before it went through the filter */
	bool remade;	  /* the last merge's lines are in the view made again */

	bool follow, wrap, timestamps, sources_open;
	uint64_t top;			  /* paused: the line at the top */
	int hscroll;			  /* cells scrolled sideways (no wrap) */
	size_t src_top;			  /* the source list's first row */
	int rows, cols;			  /* the area of lines drawn last */
	uint64_t drawn_top, drawn_bottom; /* lines on screen at the last draw */
	bool drawn_any;

	struct log_regex search;
	bool has_search;
	uint64_t match; /* the search's current line, or LOG_NOT_FOUND */

	struct loop_timer *frame;
	bool dirty;
	uint64_t rate_ms, rate_end;
	double rate;
};

/* ---- the view: every line held, or the filtered ones ---- */

static bool filtered(const struct logs_pane *p)
{
	return !log_filter_none(&p->filter) || (p->hist && !p->history);
}

/* Drops the filtered view's lines the ring no longer holds. */
static void trim_view(struct logs_pane *p)
{
	uint64_t first = log_ring_first(p->ring);

	while (p->vl0 < p->nvl && p->vl[p->vl0].n < first)
		p->vl0++;
	if (p->vl0 > 4096 && p->vl0 * 2 > p->nvl) {
		memmove(p->vl, p->vl + p->vl0, (p->nvl - p->vl0) * sizeof(*p->vl));
		p->nvl -= p->vl0;
		p->vl0 = 0;
	}
}

static size_t view_count(struct logs_pane *p)
{
	if (!p->ring)
		return 0;
	if (!filtered(p))
		return log_ring_count(p->ring);
	trim_view(p);
	return p->nvl - p->vl0;
}

static struct view_line view_at(const struct logs_pane *p, size_t i)
{
	if (!filtered(p))
		return (struct view_line){log_ring_first(p->ring) + i, false};
	return p->vl[p->vl0 + i];
}

/* Index of the first line shown at or after line n (view_count if none). */
static size_t view_index(struct logs_pane *p, uint64_t n)
{
	size_t lo = 0, hi = view_count(p);

	if (!filtered(p)) {
		uint64_t first = log_ring_first(p->ring);

		return n <= first ? 0 : (size_t)(n - first) < hi ? (size_t)(n - first) : hi;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->vl[p->vl0 + mid].n < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool view_has(struct logs_pane *p, uint64_t n)
{
	size_t i = view_index(p, n);

	return i < view_count(p) && view_at(p, i).n == n;
}

/* A line of the store's history while H hides it: not even a match that
 * would bring context. */
static bool hidden(const struct logs_pane *p, const struct log_entry *e)
{
	return e && !p->history && log_history_source(e->source);
}

static void show_line(uint64_t n, enum log_mark mark, bool gap, void *ud)
{
	struct logs_pane *p = ud;
	const struct log_entry *e = log_ring_get(p->ring, n);

	(void)mark;
	if (hidden(p, e))
		return;
	p->vl = xgrow(p->vl, &p->capvl, p->nvl + 1, sizeof(*p->vl));
	p->vl[p->nvl++] = (struct view_line){n, gap};
}

/* The filters changed: the view is made again from what the ring holds. */
static void refilter(struct logs_pane *p)
{
	struct err err = {{0}};

	log_filter_free(&p->filter);
	log_filter_init(&p->filter);
	for (size_t i = 0; i < p->ninclude; i++)
		log_filter_add(&p->filter, false, p->include[i], &err);
	for (size_t i = 0; i < p->nexclude; i++)
		log_filter_add(&p->filter, true, p->exclude[i], &err);
	log_filter_context(&p->filter, p->context, p->context);
	p->nvl = p->vl0 = 0;
	log_grep_init(&p->grep, &p->filter);
	p->fed_end = p->ring ? log_ring_end(p->ring) : 0;
	if (p->ring && filtered(p)) {
		for (uint64_t n = log_ring_first(p->ring); n < log_ring_end(p->ring); n++) {
			if (!hidden(p, log_ring_get(p->ring, n)))
				log_grep_feed(&p->grep, p->ring, n, show_line, p);
		}
	}
	p->dirty = true;
}

/* The lines around line n, which a merge put among lines the view went
 * through: those whose place in the view it may change (n's, and those
 * whose context reaches it) are filtered again from the ring, as the
 * lines around them would have been fed; the rest of the view stays. */
struct near {
	struct logs_pane *p;
	struct view_line *v;
	size_t n, cap;
};

static void near_line(uint64_t n, enum log_mark mark, bool gap, void *ud)
{
	struct near *nr = ud;

	(void)mark;
	if (hidden(nr->p, log_ring_get(nr->p->ring, n)))
		return;
	nr->v = xgrow(nr->v, &nr->cap, nr->n + 1, sizeof(*nr->v));
	nr->v[nr->n++] = (struct view_line){n, gap};
}

/* The separator before view line i (an index into vl): as the window's
 * grep gave it when it also gave the line before, else whether the line
 * follows the one before. */
static void fix_gap(struct logs_pane *p, size_t i, const struct near *nr)
{
	size_t lo = 0, hi = nr->n;

	if (i >= p->nvl)
		return;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nr->v[mid].n < p->vl[i].n)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (i > p->vl0 && lo > 0 && lo < nr->n && nr->v[lo].n == p->vl[i].n &&
	    nr->v[lo - 1].n == p->vl[i - 1].n)
		p->vl[i].gap = nr->v[lo].gap;
	else
		p->vl[i].gap = i > p->vl0 && log_grep_separates(&p->filter, p->vl[i - 1].n,
								p->vl[i].n);
}

static void refilter_near(struct logs_pane *p, uint64_t n)
{
	const struct log_filter *f = &p->filter;
	uint64_t first = log_ring_first(p->ring), lo, hi, a, b;
	struct near nr = {.p = p};
	struct log_grep g;
	size_t from, to, keep = 0, at;

	lo = n - first > f->before ? n - f->before : first;
	hi = n + f->after + 1 < p->fed_end ? n + f->after + 1 : p->fed_end;
	/* what decides them: context reaches back `after` lines fed (hidden
	 * lines are not) and on `before` lines */
	a = lo;
	for (unsigned c = 0; c < f->after && a > first;) {
		a--;
		if (!hidden(p, log_ring_get(p->ring, a)))
			c++;
	}
	b = hi + f->before < p->fed_end ? hi + f->before : p->fed_end;
	log_grep_init(&g, f);
	for (uint64_t k = a; k < b; k++) {
		if (!hidden(p, log_ring_get(p->ring, k)))
			log_grep_feed(&g, p->ring, k, near_line, &nr);
	}
	for (size_t i = 0; i < nr.n; i++)
		keep += nr.v[i].n >= lo && nr.v[i].n < hi;
	/* the view's lines in [lo, hi) give way to the window's */
	from = view_index(p, lo); /* trims the view first */
	from += p->vl0;
	to = p->vl0 + view_index(p, hi);
	p->vl = xgrow(p->vl, &p->capvl, p->nvl - (to - from) + keep, sizeof(*p->vl));
	memmove(p->vl + from + keep, p->vl + to, (p->nvl - to) * sizeof(*p->vl));
	p->nvl = p->nvl - (to - from) + keep;
	at = from;
	for (size_t i = 0; i < nr.n; i++) {
		if (nr.v[i].n >= lo && nr.v[i].n < hi)
			p->vl[at++] = nr.v[i];
	}
	for (size_t i = from; i <= from + keep; i++)
		fix_gap(p, i, &nr);
	/* the window reached the last line fed: the feed goes on from it */
	if (b == p->fed_end && g.any) {
		p->grep.shown_end = g.shown_end;
		p->grep.after_left = g.after_left;
		p->grep.any = true;
	}
	free(nr.v);
}

/* ---- the session ---- */

static void frame_due(struct loop *loop, void *ud)
{
	struct logs_pane *p = ud;
	uint64_t now = loop_now_ms();

	(void)loop;
	if (p->ring && now - p->rate_ms >= 1000) {
		uint64_t end = log_ring_end(p->ring);

		p->rate = (double)(end - p->rate_end) * 1000.0 / (double)(now - p->rate_ms);
		p->rate_end = end;
		p->rate_ms = now;
		p->dirty = true;
	}
	if (p->dirty && app_active_pane(p->app) == PANE_LOGS) {
		p->dirty = false;
		app_redraw(p->app);
	}
}

static void on_line(void *ud, uint64_t n, const struct log_entry *e)
{
	struct logs_pane *p = ud;

	if (n >= p->fed_end) {
		p->fed_end = n + 1;
		if (filtered(p) && !hidden(p, e))
			log_grep_feed(&p->grep, p->ring, n, show_line, p);
	} else if (filtered(p) && !p->remade && log_ring_get(p->ring, n)) {
		/* merged (the history's, or the pods' backlog) before lines the
		 * view went through */
		refilter_near(p, n);
	}
	p->dirty = true;
}

/* A read of the store's history, or a batch of what the pods wrote
 * before the pane opened, went in among the lines held, by time: every
 * line number the pane holds follows its line. So a paused view
 * keeps its top line at the top -- lines merged above it stay out of
 * sight until the operator scrolls up, those merged below it show in
 * their places -- and the search keeps its line, a filtered view its
 * lines, the merged ones filtered in where they went (refilter_near).
 * Following, the newest line stays at the bottom. */
static void on_moved(void *ud)
{
	struct logs_pane *p = ud;

	p->top = log_ring_moved(p->ring, p->top);
	p->drawn_top = log_ring_moved(p->ring, p->drawn_top);
	p->drawn_bottom = log_ring_moved(p->ring, p->drawn_bottom);
	if (p->match != LOG_NOT_FOUND)
		p->match = log_ring_moved(p->ring, p->match);
	/* many lines merged (a first read): the view is made again at once */
	p->remade = filtered(p) && log_ring_end(p->ring) - p->fed_end > MERGE_NEAR_MAX;
	if (p->remade) {
		refilter(p);
		p->dirty = true;
		return;
	}
	if (p->fed_end)
		p->fed_end = log_ring_moved(p->ring, p->fed_end - 1) + 1;
	if (p->grep.shown_end)
		p->grep.shown_end = log_ring_moved(p->ring, p->grep.shown_end - 1) + 1;
	/* in order still: the lines merged among them come next (on_line) */
	for (size_t i = p->vl0; i < p->nvl; i++)
		p->vl[i].n = log_ring_moved(p->ring, p->vl[i].n);
	p->dirty = true;
}

static void on_change(void *ud)
{
	struct logs_pane *p = ud;

	p->dirty = true;
}

static void history_read(void *ud)
{
	struct logs_pane *p = ud;
	const char *failed = log_history_failed(p->hist);

	if (failed && strcmp(failed, p->told_history) != 0)
		app_error(p->app, "%s", failed);
	str_copy(p->told_history, sizeof(p->told_history), failed ? failed : "");
	p->dirty = true;
}

/* Reads the store's history into the ring, and follows it. */
static void start_history(struct logs_pane *p)
{
	struct log_history_opts o = {0};
	struct err err = {{0}};

	if (p->hist || !p->ring || !p->store_id[0])
		return;
	if (!p->db)
		p->db = db_conn_new(app_loop(p->app), app_conf(p->app)->database, NULL);
	o.loop = app_loop(p->app);
	o.conn = p->db;
	o.store = p->store_id;
	o.follow = true;
	o.tail_lines = -1;
	o.ring = p->ring;
	o.on_line = on_line;
	o.on_moved = on_moved;
	o.on_read = history_read;
	o.ud = p;
	p->told_history[0] = '\0';
	p->hist = log_history_start(&o, &err);
	if (!p->hist)
		app_error(p->app, "The history of store %s cannot be read: %s", p->store_id,
			  err.msg);
}

static void stop_session(struct logs_pane *p)
{
	log_history_free(p->hist);
	p->hist = NULL;
	log_session_free(p->sess);
	p->sess = NULL;
	if (p->frame)
		loop_timer_cancel(p->frame);
	p->frame = NULL;
}

static void free_patterns(char **v, size_t *n);

/* Drops the search, the filters and the context. */
static void forget_query(struct logs_pane *p)
{
	if (p->has_search)
		log_regex_free(&p->search);
	p->has_search = false;
	p->match = LOG_NOT_FOUND;
	free_patterns(p->include, &p->ninclude);
	free_patterns(p->exclude, &p->nexclude);
	p->context = 0;
	p->hscroll = 0;
	refilter(p);
}

/* Follows every container of store s from now on, in place of what was
 * followed; if it cannot, why says so. */
static void follow_store(struct logs_pane *p, const struct store *s)
{
	const struct conf *conf = app_conf(p->app);
	const struct cluster_list *cl = db_live_clusters(p->live);
	const char *context = NULL;
	char selector[128];
	struct err err = {{0}};
	struct log_session_opts o = {0};

	stop_session(p);
	/* another store's search and filters would hide or pick its lines
	 * for reasons it never had: they go (wrap, timestamps and the
	 * history are how the operator reads logs, and stay) */
	if (strcmp(s->id, p->store_id) != 0)
		forget_query(p);
	snprintf(p->store, sizeof(p->store), "%s/%s", s->project, s->name);
	str_copy(p->store_id, sizeof(p->store_id), s->id);
	p->why[0] = '\0';
	for (size_t i = 0; cl && i < cl->n; i++) {
		if (strcmp(cl->v[i].name, s->cluster) == 0)
			context = cl->v[i].context;
	}
	if (!context) {
		snprintf(p->why, sizeof(p->why), "Store %s is on cluster %s, which is not known.",
			 s->id, s->cluster);
		return;
	}
	str_copy(p->kube_ctx, sizeof(p->kube_ctx), context);
	str_copy(p->cluster, sizeof(p->cluster), s->cluster);
	if (!p->ring)
		p->ring = log_ring_new((size_t)conf->log_max_lines, (size_t)conf->log_max_bytes);
	log_ring_clear(p->ring);
	refilter(p);
	if (!p->kube)
		p->kube = kube_registry_acquire(app_loop(p->app), conf->kubeconfig);
	snprintf(selector, sizeof(selector), "%s=%s", RENDER_STORE_LABEL, s->id);
	o.context = context[0] ? context : NULL;
	o.ns = s->namespace;
	o.selector = selector;
	o.follow = true;
	/* the ring holds no more than this of all of them together */
	o.tail_lines = conf->log_max_lines;
	o.max_streams = (size_t)conf->log_max_streams;
	o.stall_ms = conf->log_stall_s * 1000;
	o.ring = p->ring;
	/* what the containers wrote before the pane opened shows in one time
	 * order, as the history does */
	o.merge_backlog = true;
	o.on_line = on_line;
	o.on_moved = on_moved;
	o.on_change = on_change;
	o.on_done = on_change;
	o.ud = p;
	p->sess = log_session_start(p->kube, &o, &err);
	if (!p->sess) {
		snprintf(p->why, sizeof(p->why), "The logs of store %s cannot be read: %s", s->id,
			 err.msg);
		app_error(p->app, "%s", p->why);
		return;
	}
	if (p->history)
		start_history(p);
	p->follow = true;
	p->match = LOG_NOT_FOUND;
	p->rate = 0;
	p->rate_ms = loop_now_ms();
	p->rate_end = log_ring_end(p->ring);
	p->frame = loop_timer_add(app_loop(p->app), FRAME_MS, FRAME_MS, frame_due, p);
}

static void open_store(struct logs_pane *p, const char *ref)
{
	const struct store_list *sl = p->live ? db_live_stores(p->live, NULL) : NULL;
	struct err err = {{0}};
	const struct store *s;

	if (!p->live) {
		app_error(p->app, "No database is configured: the stores are not known");
		return;
	}
	if (!sl || !db_live_clusters(p->live)) {
		/* opened again once they are read */
		str_copy(p->pending, sizeof(p->pending), ref);
		return;
	}
	p->pending[0] = '\0';
	if (!(s = store_ref_pick(sl, ref, &err))) {
		app_error(p->app, "%s", err.msg);
		return;
	}
	if (p->sess && strcmp(s->id, p->store_id) == 0 && !log_session_failed(p->sess))
		return; /* already followed */
	follow_store(p, s);
}

static void live_changed(void *ud, const struct db_live_change *ch)
{
	struct logs_pane *p = ud;

	(void)ch;
	if (p->pending[0] && db_live_stores(p->live, NULL) && db_live_clusters(p->live)) {
		char ref[sizeof(p->pending)];

		str_copy(ref, sizeof(ref), p->pending);
		open_store(p, ref);
		app_redraw(p->app);
	}
}

static void *logs_init(struct app *app)
{
	struct logs_pane *p = xcalloc(1, sizeof(*p));

	p->app = app;
	p->follow = true;
	p->match = LOG_NOT_FOUND;
	log_filter_init(&p->filter);
	log_grep_init(&p->grep, &p->filter);
	if (app_db_configured(app))
		p->live = db_live_join(app_loop(app), app_conf(app), live_changed, p);
	return p;
}

static void free_patterns(char **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	*n = 0;
}

static void logs_destroy(void *st)
{
	struct logs_pane *p = st;

	if (!p)
		return;
	stop_session(p);
	db_conn_free(p->db);
	if (p->kube)
		kube_registry_release(p->kube);
	db_live_leave(p->live, live_changed, p);
	log_ring_free(p->ring);
	log_filter_free(&p->filter);
	if (p->has_search)
		log_regex_free(&p->search);
	free_patterns(p->include, &p->ninclude);
	free_patterns(p->exclude, &p->nexclude);
	free(p->vl);
	free(p);
}

static void logs_show(void *st, struct app *app, const char *arg)
{
	struct logs_pane *p = st;

	(void)app;
	if (arg && *arg)
		open_store(p, arg);
	p->dirty = true;
}

/* ---- drawing ---- */

static enum theme_role source_role(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a: the same name, the same colour */

	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 16777619u;
	return (enum theme_role)(ROLE_SOURCE1 + (int)(h % SOURCE_ROLES));
}

/* Lays text out in a rect: sideways scroll or wrap. With dry set it only
 * counts the rows it would take. */
struct painter {
	const struct rect *r;
	int row, col; /* from r's corner; row may be < 0 (above: not drawn) */
	int skip;     /* cells still to skip (sideways scroll) */
	bool wrap, dry, full;
};

static void paint(struct painter *pt, const char *s, size_t len, attr_t attr)
{
	const char *end = s + len;

	while (s < end && !pt->full) {
		int room = pt->r->w - pt->col, used = 0;
		size_t b;
		char buf[1024];
		size_t chunk =
		    (size_t)(end - s) < sizeof(buf) - 1 ? (size_t)(end - s) : sizeof(buf) - 1;

		/* draw_fit reads up to a NUL: a bounded copy, cut between characters */
		while (chunk > 1 && chunk < (size_t)(end - s) &&
		       ((unsigned char)s[chunk] & 0xC0) == 0x80)
			chunk--;
		memcpy(buf, s, chunk);
		buf[chunk] = '\0';
		if (pt->skip > 0) {
			b = draw_fit(buf, pt->skip, &used);
			if (b == 0) {
				/* a wide character across the edge: left out */
				int n = mblen(buf, chunk);

				b = n > 0 ? (size_t)n : 1;
				used = pt->skip;
			}
			pt->skip -= used;
			s += b;
			continue;
		}
		b = draw_fit(buf, room, &used);
		if (b > 0 && !pt->dry && pt->row >= 0 && pt->row < pt->r->h) {
			attrset(attr);
			mvaddnstr(pt->r->y + pt->row, pt->r->x + pt->col, buf, (int)b);
		}
		pt->col += used;
		s += b;
		if (s < end && (b < chunk || b == 0)) {
			if (!pt->wrap) {
				pt->full = true;
				break;
			}
			if (pt->col == 0 && b == 0) {
				/* wider than the whole width */
				int n = mblen(buf, chunk);

				s += n > 0 ? n : 1;
			}
			pt->row++;
			pt->col = 0;
		}
	}
	attrset(A_NORMAL);
}

/* The source name and timestamp written before a line's text. */
static void line_head(const struct logs_pane *p, const struct log_entry *e, char *name,
		      size_t namesz, char when[LOG_TIME_SIZE])
{
	const struct log_source *src = p->sess ? log_session_source(p->sess, e->source) : NULL;

	if (log_history_source(e->source))
		str_copy(name, namesz, log_history_source_name(e->source));
	else if (src)
		log_source_name(src, name, namesz);
	else
		snprintf(name, namesz, "source %u", (unsigned)e->source);
	when[0] = '\0';
	if (p->timestamps && e->ts_ns)
		log_time_format(e->ts_ns, true, when);
}

/* Draws view line vl at row (row < 0: its first rows are above the
 * area); returns the rows it takes. dry: only counts. */
static int draw_line(struct logs_pane *p, const struct rect *r, struct view_line vl, int row,
		     bool dry)
{
	const struct log_entry *e = log_ring_get(p->ring, vl.n);
	struct painter pt = {
	    .r = r, .row = row, .skip = p->wrap ? 0 : p->hscroll, .wrap = p->wrap, .dry = dry};
	char name[320], when[LOG_TIME_SIZE];
	struct log_span spans[64];
	size_t nspans = 0, at = 0;
	attr_t hl = style_attr(ROLE_HIGHLIGHT);
	int rows0 = row;

	if (vl.gap) {
		if (!dry && row >= 0 && row < r->h)
			draw_text(r->y + row, r->x, r->w, "--", style_attr(ROLE_DIM), 1);
		pt.row++;
	}
	if (!e)
		return pt.row - rows0 + 1;
	line_head(p, e, name, sizeof(name), when);
	paint(&pt, name, strlen(name),
	      style_attr(log_history_source(e->source) ? ROLE_MARK : source_role(name)));
	paint(&pt, " ", 1, A_NORMAL);
	if (when[0]) {
		paint(&pt, when, strlen(when), style_attr(ROLE_DIM));
		paint(&pt, " ", 1, A_NORMAL);
	}
	if (p->has_search && !dry)
		nspans = log_regex_spans(&p->search, e->text, spans, ARRAY_LEN(spans));
	for (size_t i = 0; i < nspans; i++) {
		attr_t a = vl.n == p->match ? style_attr(ROLE_SELECTION) : hl;

		paint(&pt, e->text + at, spans[i].start - at, style_attr(ROLE_NORMAL));
		paint(&pt, e->text + spans[i].start, spans[i].end - spans[i].start, a);
		at = spans[i].end;
	}
	paint(&pt, e->text + at, e->len - at, style_attr(ROLE_NORMAL));
	return pt.row - rows0 + 1;
}

/* Why the pods are not followed now, while the session retries: short,
 * in words, for the summary ("cluster unreachable, retrying"), and in
 * full, with the reason the cluster or the watch gave, for the source
 * list. NULL when nothing is wrong. */
static const char *watch_problem(struct logs_pane *p, char *full, size_t fullsz)
{
	const char *why = p->sess ? log_session_problem(p->sess) : "";
	struct kube_cluster_status st = {0};
	const char *ctx = p->kube_ctx[0] ? p->kube_ctx : NULL;

	if (!why[0])
		return NULL;
	kube_registry_status(p->kube, ctx, &st);
	switch (st.state) {
	case KUBE_CLUSTER_UNREACHABLE:
		snprintf(full, fullsz, "Cluster %s does not answer; the pane keeps trying. %s",
			 p->cluster, why);
		return "cluster unreachable, retrying";
	case KUBE_CLUSTER_FORBIDDEN:
		snprintf(full, fullsz,
			 "Cluster %s refuses the credentials; the pane keeps trying. %s",
			 p->cluster, why);
		return "cluster refuses access, retrying";
	default:
		snprintf(full, fullsz,
			 "The store's pods cannot be listed; the pane keeps trying. %s", why);
		return "pods not listed, retrying";
	}
}

/* A source's name, with its run when another source has the same name
 * (a container that restarted: its earlier run ended, the new one goes
 * on). */
static void source_label(struct logs_pane *p, const struct log_source *s, char *buf, size_t bufsz)
{
	size_t n = log_session_nsources(p->sess);

	log_source_name(s, buf, bufsz);
	for (size_t i = 0; i < n; i++) {
		const struct log_source *o = log_session_source(p->sess, (uint32_t)i);

		/* the name is pod/container: compared as such, no copy */
		if (o && o != s && strcmp(o->pod, s->pod) == 0 &&
		    strcmp(o->container, s->container) == 0) {
			size_t len = strlen(buf);

			snprintf(buf + len, bufsz - len, " (run %ld)",
				 s->restarts + (s->previous ? 0 : 1));
			return;
		}
	}
}

#define SOURCE_NAME_MAX 40 /* cells of the SOURCE column at most */
#define DETAIL_MIN 24	   /* narrower, the detail goes on the rows below */

static void source_detail(const struct log_source *s, char *detail, size_t detailsz,
			  enum theme_role *role)
{
	detail[0] = '\0';
	*role = ROLE_STATE_OK;
	switch (s->state) {
	case LOG_SOURCE_RECONNECTING:
		snprintf(detail, detailsz, "attempt %u: %s", s->attempt, s->reason);
		*role = ROLE_STATE_BUSY;
		break;
	case LOG_SOURCE_ENDED:
		snprintf(detail, detailsz, "%s", s->reason);
		*role = s->failed ? ROLE_STATE_BAD : ROLE_STATE_OFF;
		break;
	case LOG_SOURCE_WAITING:
		snprintf(detail, detailsz, "waiting for a free stream");
		*role = ROLE_STATE_BUSY;
		break;
	case LOG_SOURCE_CONNECTING:
		*role = ROLE_STATE_BUSY;
		break;
	default:
		break;
	}
	if (s->previous)
		snprintf(detail + strlen(detail), detailsz - strlen(detail), "%s%s",
			 detail[0] ? "; " : "", "previous instance");
	if (s->reconnects)
		snprintf(detail + strlen(detail), detailsz - strlen(detail), "%s%llu reconnects",
			 detail[0] ? "; " : "", (unsigned long long)s->reconnects);
}

/* The sources, a row each: the SOURCE column as wide as the longest name
 * (up to SOURCE_NAME_MAX), the DETAIL wrapped in its column, or on the
 * rows below when the screen leaves it too narrow, so it shows whole.
 * What keeps the pods from being followed comes first, in full. */
static void draw_sources(struct logs_pane *p, const struct rect *r)
{
	size_t n = p->sess ? log_session_nsources(p->sess) : 0;
	char line[1024], name[400], problem[1200];
	const char *failed = p->sess ? log_session_failed(p->sess) : NULL;
	int namew = 20, detail_x, row = 1;

	for (size_t i = 0; i < n; i++) {
		int w;

		source_label(p, log_session_source(p->sess, (uint32_t)i), name, sizeof(name));
		w = draw_width(name);
		namew = w > namew ? w : namew;
	}
	if (namew > SOURCE_NAME_MAX)
		namew = SOURCE_NAME_MAX;
	detail_x = namew + 1 + 14 + 1 + 6 + 2;
	snprintf(line, sizeof(line), "%-*s %-14s %6s  DETAIL", namew, "SOURCE", "STATE", "LINES");
	draw_text(r->y, r->x, r->w, line, style_attr(ROLE_COLUMN_HEADER), 1);
	if (failed)
		str_copy(problem, sizeof(problem), failed);
	else if (!watch_problem(p, problem, sizeof(problem)))
		problem[0] = '\0';
	if (problem[0] && row < r->h) {
		int h = draw_wrapped_height(problem, r->w);
		struct rect pr = {r->y + row, r->x, h < r->h - row ? h : r->h - row, r->w};

		draw_wrapped(&pr, problem, style_attr(ROLE_STATE_BAD));
		row += pr.h;
	} else if (n == 0 && row < r->h) {
		draw_text(r->y + row, r->x, r->w, "No container has a log yet.",
			  style_attr(ROLE_DIM), 1);
	}
	if (p->src_top >= n)
		p->src_top = n ? n - 1 : 0;
	for (size_t i = p->src_top; i < n && row < r->h; i++) {
		const struct log_source *s = log_session_source(p->sess, (uint32_t)i);
		char detail[512];
		enum theme_role role;
		struct rect dr;
		int dh;

		source_label(p, s, name, sizeof(name));
		source_detail(s, detail, sizeof(detail), &role);
		draw_text(r->y + row, r->x, namew, name, style_attr(role), 1);
		snprintf(line, sizeof(line), " %-14s %6llu  ", log_source_state_name(s->state),
			 (unsigned long long)s->lines);
		if (r->w > namew)
			draw_text(r->y + row, r->x + namew, r->w - namew, line, style_attr(role),
				  1);
		if (!detail[0]) {
			row++;
			continue;
		}
		if (r->w - detail_x >= DETAIL_MIN)
			dr = (struct rect){r->y + row, r->x + detail_x, 0, r->w - detail_x};
		else
			dr = (struct rect){r->y + row + 1, r->x + 2, 0, r->w - 2};
		if (dr.w < 1) {
			row++;
			continue;
		}
		dh = draw_wrapped_height(detail, dr.w);
		dr.h = dh < r->y + r->h - dr.y ? dh : r->y + r->h - dr.y;
		if (dr.h > 0)
			draw_wrapped(&dr, detail, style_attr(role));
		row = dr.y - r->y + (dr.h > 1 ? dr.h : 1);
	}
}

/* The one-line summary: rate, evicted, and the streams in each state. */
static void summary(struct logs_pane *p, int width, char *buf, size_t bufsz)
{
	struct log_session_counts c;
	const char *failed = p->sess ? log_session_failed(p->sess) : NULL;
	char full[1200];
	const char *problem = failed ? NULL : watch_problem(p, full, sizeof(full));
	size_t off = 0, counts;

	buf[0] = '\0';
	if (!p->sess)
		return;
	log_session_counts(p->sess, &c);
	/* what is wrong first, in words that fit; S says it in full */
	if (problem)
		off = (size_t)snprintf(buf, bufsz, "%s (S: why) | ", problem);
	if (off < bufsz)
		off += (size_t)snprintf(
		    buf + off, bufsz - off, "%.0f lines/s, %llu evicted, %zu held | ", p->rate,
		    (unsigned long long)log_ring_evicted(p->ring), log_ring_count(p->ring));
	if (off >= bufsz)
		return;
	counts = off;
	snprintf(buf + off, bufsz - off,
		 "%zu streaming, %zu idle, %zu reconnecting, %zu waiting for a slot, %zu ended",
		 c.n[LOG_SOURCE_STREAMING], c.n[LOG_SOURCE_IDLE],
		 c.n[LOG_SOURCE_RECONNECTING] + c.n[LOG_SOURCE_CONNECTING], c.n[LOG_SOURCE_WAITING],
		 c.n[LOG_SOURCE_ENDED]);
	if (draw_width(buf) > width)
		snprintf(buf + counts, bufsz - counts,
			 "%zu stream %zu idle %zu reconn %zu wait %zu end",
			 c.n[LOG_SOURCE_STREAMING], c.n[LOG_SOURCE_IDLE],
			 c.n[LOG_SOURCE_RECONNECTING] + c.n[LOG_SOURCE_CONNECTING],
			 c.n[LOG_SOURCE_WAITING], c.n[LOG_SOURCE_ENDED]);
	if (failed) {
		off = strlen(buf);
		snprintf(buf + off, bufsz - off, " | %s", failed);
	}
}

/* The view's state, drawn apart from the title at its right
 * ("[paused, 12 newer, wrap]"), so that a narrow screen keeps it. */
static void title_state(struct logs_pane *p, char *mode, size_t modesz)
{
	char state[64];
	size_t count, below;

	if (p->follow)
		str_copy(state, sizeof(state), "follow");
	else if (p->drawn_any && (count = view_count(p)) > 0 &&
		 (below = view_index(p, p->drawn_bottom + 1)) < count)
		snprintf(state, sizeof(state), "paused, %zu newer", count - below);
	else
		str_copy(state, sizeof(state), "paused");
	snprintf(mode, modesz, "[%s%s%s%s]", state, p->wrap ? ", wrap" : "",
		 p->timestamps ? ", timestamps" : "", p->history ? ", history" : "");
}

/* The filters, the context and the search as the title says them: in
 * words, or short, by the keys that set them ("i/GET/ x/health/ C1
 * /seq/"). */
static void title_query(const struct logs_pane *p, bool brief, char *buf, size_t bufsz)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->ninclude && off < bufsz; i++)
		off += (size_t)snprintf(buf + off, bufsz - off, "%s/%s/",
					i ? " " : brief ? "  i" : "  include ", p->include[i]);
	for (size_t i = 0; i < p->nexclude && off < bufsz; i++)
		off += (size_t)snprintf(buf + off, bufsz - off, "%s/%s/",
					i ? " " : brief ? "  x" : "  exclude ", p->exclude[i]);
	if (p->context && off < bufsz)
		off += (size_t)snprintf(buf + off, bufsz - off, brief ? "  C%u" : "  context %u",
					p->context);
	if (p->has_search && off < bufsz)
		snprintf(buf + off, bufsz - off, "%s/%s/", brief ? "  " : "  search ",
			 p->search.pattern);
}

/* The title in width cells: the store, its filters and search. These say
 * why a line shows or not, so a narrow screen drops the store's id
 * first, then its project, then its name, then says the filters by their
 * keys; what is still too long is cut (the drawing's ellipsis). */
static void title(struct logs_pane *p, int width, char *buf, size_t bufsz)
{
	char query[1536];
	const char *name = strchr(p->store, '/');

	name = name ? name + 1 : p->store;
	title_query(p, false, query, sizeof(query));
	snprintf(buf, bufsz, "Logs for store %s (%s)%s", p->store, p->store_id, query);
	if (draw_width(buf) <= width)
		return;
	snprintf(buf, bufsz, "Logs for store %s%s", p->store, query);
	if (draw_width(buf) <= width)
		return;
	snprintf(buf, bufsz, "Logs for %s%s", name, query);
	if (draw_width(buf) <= width || !query[0])
		return;
	snprintf(buf, bufsz, "Logs%s", query);
	if (draw_width(buf) <= width)
		return;
	title_query(p, true, query, sizeof(query));
	snprintf(buf, bufsz, "Logs%s", query);
}

/* The lines (or the source list) in area. */
static void draw_view(struct logs_pane *p, const struct rect *area)
{
	size_t count, i;
	int row;

	for (int y = 0; y < area->h; y++)
		draw_fill(area->y + y, area->x, area->w, A_NORMAL);
	p->rows = area->h;
	p->cols = area->w;
	if (p->sources_open) {
		draw_sources(p, area);
		return;
	}
	count = view_count(p);
	p->drawn_any = count > 0;
	if (count == 0) {
		draw_text(area->y, area->x, area->w,
			  filtered(p) ? "No line passes the filters yet." : "No line yet.",
			  style_attr(ROLE_DIM), 1);
		return;
	}
	if (p->follow) {
		/* from the newest line up, until the area is full */
		int used = 0;

		i = count;
		while (i > 0 && used < area->h)
			used += draw_line(p, area, view_at(p, --i), 0, true);
		row = area->h - used; /* < 0: the top line's first rows are above */
	} else {
		i = view_index(p, p->top);
		if (i >= count)
			i = count - 1;
		row = 0;
	}
	p->drawn_top = view_at(p, i).n;
	for (; i < count && row < area->h; i++) {
		struct view_line vl = view_at(p, i);

		row += draw_line(p, area, vl, row, false);
		p->drawn_bottom = vl.n;
	}
}

static void logs_draw(void *st, struct app *app, const struct rect *r)
{
	struct logs_pane *p = st;
	char head[2048], mode[128];
	struct rect area = {r->y + 2, r->x, r->h - 2, r->w};
	int mode_w;

	(void)app;
	p->dirty = false;
	if (!p->store[0]) {
		const char *lines[2] = {p->pending[0] ? "Reading the stores..."
						      : "No store selected.",
					"l on a store in the Stores pane, or :logs STORE, follows "
					"its logs here."};

		pane_notice_draw(r, "Logs", lines, 2);
		return;
	}
	if (r->h < 1 || r->w < 1)
		return;
	if (!p->sess) {
		/* why the store's logs cannot be followed */
		if (area.h > 0)
			draw_wrapped(&area, p->why, style_attr(ROLE_STATE_BAD));
	} else if (area.h > 0) {
		/* first: the title says what the lines drawn leave below */
		draw_view(p, &area);
	}
	title_state(p, mode, sizeof(mode));
	mode_w = draw_width(mode);
	if (r->w > mode_w + 8) {
		title(p, r->w - mode_w - 1, head, sizeof(head));
		draw_text(r->y, r->x, r->w - mode_w - 1, head, style_attr(ROLE_TITLE), 1);
		draw_text_right(r->y, r->x + r->w - mode_w - 1, mode_w + 1, mode,
				style_attr(ROLE_TITLE));
	} else {
		title(p, r->w, head, sizeof(head));
		draw_text(r->y, r->x, r->w, head, style_attr(ROLE_TITLE), 1);
	}
	if (r->h < 2 || !p->sess)
		return;
	summary(p, r->w, head, sizeof(head));
	draw_text(r->y + 1, r->x, r->w, head, style_attr(ROLE_STATUSLINE), 1);
}

/* ---- keys ---- */

static void scroll_to(struct logs_pane *p, size_t idx)
{
	size_t count = view_count(p);

	if (count == 0)
		return;
	if (idx >= count)
		idx = count - 1;
	p->follow = false;
	p->top = view_at(p, idx).n;
}

/* The view index the keys move from: the top on screen while following,
 * else the top the keys since the last draw have set (keys that come
 * faster than the frames each count). */
static size_t scroll_base(struct logs_pane *p)
{
	return view_index(p, p->follow && p->drawn_any ? p->drawn_top : p->top);
}

/* Rows view line i takes at the width drawn last, its separator too. */
static int line_rows(struct logs_pane *p, size_t i)
{
	struct view_line vl = view_at(p, i);
	struct rect r = {0, 0, 1, p->cols > 0 ? p->cols : 1};

	if (!p->wrap)
		return 1 + vl.gap;
	return draw_line(p, &r, vl, 0, true);
}

/* The view index of the line row `row` of a page from index top shows
 * (the last line when the page is not that long). */
static size_t index_at_row(struct logs_pane *p, size_t top, size_t count, long row)
{
	long used = 0;

	for (size_t i = top; i < count; i++) {
		used += line_rows(p, i);
		if (used > row)
			return i;
	}
	return count - 1;
}

/* The first index of a page that ends with the last line: the view goes
 * no further down. */
static size_t last_page(struct logs_pane *p, size_t count)
{
	long rows = p->rows > 0 ? p->rows : 1, used = 0;
	size_t i = count;

	while (i > 0) {
		long h = line_rows(p, i - 1);

		if (used + h > rows)
			break;
		used += h;
		i--;
	}
	return i < count ? i : count - 1;
}

/* Moves the view to index idx from base, no further down than a full last
 * page. */
static void scroll_from(struct logs_pane *p, size_t base, size_t idx)
{
	size_t count = view_count(p), last;

	if (idx > base) {
		last = last_page(p, count);
		if (idx > last)
			idx = last > base ? last : base;
	}
	scroll_to(p, idx);
}

/* Moves the view by delta lines (negative: up, to older lines). */
static void scroll_by(struct logs_pane *p, long delta)
{
	size_t count = view_count(p), idx, base;

	if (count == 0)
		return;
	base = scroll_base(p);
	if (delta < 0)
		idx = (size_t)-delta > base ? 0 : base - (size_t)-delta;
	else
		idx = base + (size_t)delta;
	scroll_from(p, base, idx);
}

/* Moves the view by delta screen rows (negative: up), as pages and half
 * pages do: a wrapped line takes its rows and a separator its row, so
 * nothing is skipped. Down, the line that row `delta` shows comes to the
 * top (a line cut at the bottom starts the next page); up, the top line
 * goes down as many rows. At least a line either way. */
static void scroll_rows(struct logs_pane *p, long delta)
{
	size_t count = view_count(p), idx, base;
	long used = 0;

	if (count == 0)
		return;
	base = scroll_base(p);
	if (delta > 0) {
		idx = index_at_row(p, base, count, delta);
		if (idx <= base)
			idx = base + 1 < count ? base + 1 : base;
	} else {
		idx = base;
		while (idx > 0) {
			long h = line_rows(p, idx - 1);

			if (used + h > -delta)
				break;
			used += h;
			idx--;
		}
		if (idx == base && base > 0)
			idx = base - 1;
	}
	scroll_from(p, base, idx);
}

/* The next line the search matches in the view, from line `from`. */
static uint64_t find(struct logs_pane *p, uint64_t from, bool backward)
{
	for (;;) {
		uint64_t n = log_ring_search(p->ring, &p->search, from, backward);

		if (n == LOG_NOT_FOUND || !filtered(p) || view_has(p, n))
			return n;
		if (backward && n == 0)
			return LOG_NOT_FOUND;
		from = backward ? n - 1 : n + 1;
	}
}

/* Puts line n in view, a third of the way down if it was not shown. */
static void show_match(struct logs_pane *p, uint64_t n)
{
	size_t idx = view_index(p, n);

	p->match = n;
	if (!p->follow && n >= p->drawn_top && n <= p->drawn_bottom)
		return;
	scroll_to(p, idx > (size_t)p->rows / 3 ? idx - (size_t)p->rows / 3 : 0);
}

static void search_step(struct logs_pane *p, bool backward)
{
	uint64_t from, n;

	if (!p->has_search) {
		app_error(p->app, "No search yet: / searches");
		return;
	}
	if (!p->ring)
		return;
	if (p->match != LOG_NOT_FOUND && log_ring_get(p->ring, p->match))
		from = backward ? (p->match ? p->match - 1 : 0) : p->match + 1;
	else
		from = backward ? (p->drawn_any ? p->drawn_bottom : log_ring_end(p->ring))
				: p->drawn_top;
	if (backward && p->match == 0) {
		app_error(p->app, "/%s/: no older line matches", p->search.pattern);
		return;
	}
	n = find(p, from, backward);
	if (n == LOG_NOT_FOUND) {
		app_error(p->app, "/%s/: no %s line matches", p->search.pattern,
			  backward ? "older" : "newer");
		return;
	}
	show_match(p, n);
}

static void search_done(struct app *app, const char *text, void *ud)
{
	struct logs_pane *p = ud;
	struct log_regex rx;
	struct err err = {{0}};
	bool icase = true;
	uint64_t n, end;

	if (!text)
		return;
	if (!*text) {
		if (p->has_search)
			log_regex_free(&p->search);
		p->has_search = false;
		p->match = LOG_NOT_FOUND;
		p->dirty = true;
		app_redraw(app);
		return;
	}
	/* smart case: an upper-case letter makes the case count */
	for (const char *c = text; *c; c++) {
		if (*c >= 'A' && *c <= 'Z')
			icase = false;
	}
	if (!log_regex_compile(&rx, text, icase, &err)) {
		app_error(app, "%s", err.msg);
		return;
	}
	if (p->has_search)
		log_regex_free(&p->search);
	p->search = rx;
	p->has_search = true;
	p->match = LOG_NOT_FOUND;
	if (!p->ring) {
		app_redraw(app);
		return;
	}
	/* the newest match on screen or above it, else the next one below */
	end = log_ring_end(p->ring);
	n = find(p, p->follow || !p->drawn_any ? (end ? end - 1 : 0) : p->drawn_bottom, true);
	if (n == LOG_NOT_FOUND && !p->follow)
		n = find(p, p->drawn_bottom, false);
	if (n == LOG_NOT_FOUND)
		app_error(app, "/%s/: no line matches", text);
	else {
		show_match(p, n);
		app_info(app, "/%s/: n for the next newer match, N for the next older", text);
	}
	app_redraw(app);
}

static const struct app_prompt_ops search_ops = {.on_done = search_done};

static void add_pattern(struct logs_pane *p, bool exclude, const char *text)
{
	char **v = exclude ? p->exclude : p->include;
	size_t *n = exclude ? &p->nexclude : &p->ninclude;
	struct log_regex rx;
	struct err err = {{0}};

	if (!*text) {
		free_patterns(v, n);
		refilter(p);
		app_info(p->app, "No %s filter", exclude ? "exclude" : "include");
		return;
	}
	if (strlen(text) > PATTERN_MAX) {
		app_error(p->app, "A filter is at most %d characters", PATTERN_MAX);
		return;
	}
	if (*n >= LOG_FILTER_MAX) {
		app_error(p->app, "At most %d %s filters: an empty one clears them", LOG_FILTER_MAX,
			  exclude ? "exclude" : "include");
		return;
	}
	if (!log_regex_compile(&rx, text, false, &err)) {
		app_error(p->app, "%s", err.msg);
		return;
	}
	log_regex_free(&rx);
	v[(*n)++] = xstrdup(text);
	refilter(p);
}

static void include_done(struct app *app, const char *text, void *ud)
{
	if (text)
		add_pattern(ud, false, text);
	app_redraw(app);
}

static void exclude_done(struct app *app, const char *text, void *ud)
{
	if (text)
		add_pattern(ud, true, text);
	app_redraw(app);
}

static void context_done(struct app *app, const char *text, void *ud)
{
	struct logs_pane *p = ud;
	long n;

	if (!text)
		return;
	if (!*text)
		n = 0;
	else if (!str_to_long(text, 0, LOG_CONTEXT_MAX, &n)) {
		app_error(app, "Context is a number of lines from 0 to %d, not \"%.40s\"",
			  LOG_CONTEXT_MAX, text);
		return;
	}
	p->context = (unsigned)n;
	refilter(p);
	if (!filtered(p) && n)
		app_info(app, "Context shows around the lines an include or exclude filter (i, x) "
			      "lets through");
	app_redraw(app);
}

static const struct app_prompt_ops include_ops = {.on_done = include_done};
static const struct app_prompt_ops exclude_ops = {.on_done = exclude_done};
static const struct app_prompt_ops context_ops = {.on_done = context_done};

#define SAVE_OPEN_EXISTS (-2)

static void save_not_regular(const char *path, struct err *err)
{
	err_set(err, "%s is not a regular file: the lines are saved to regular files only", path);
}

/* Opens path to save the lines to, never waiting on the loop (a FIFO
 * or a device could make an open wait): a regular file only, emptied.
 * An existing one is opened only with overwrite; else SAVE_OPEN_EXISTS.
 * -1 with err set if it cannot be. */
static int save_open(const char *path, bool overwrite, struct err *err)
{
	const int flags = O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat st;
	int fd = open(path, flags | O_CREAT | O_EXCL, 0666);
	bool existed = fd < 0 && errno == EEXIST;

	if (existed)
		fd = open(path, flags);
	if (fd < 0) {
		/* a FIFO without a reader, a directory */
		if (errno == ENXIO || errno == EISDIR || errno == EWOULDBLOCK)
			save_not_regular(path, err);
		else
			err_set(err, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		save_not_regular(path, err);
		return -1;
	}
	if (existed && !overwrite) {
		close(fd);
		return SAVE_OPEN_EXISTS;
	}
	if (ftruncate(fd, 0) != 0) {
		err_set(err, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes the lines shown (every line held, or the filtered view) as the
 * pane shows them, unwrapped, to fd (taken); false with err set. */
static bool save_view(struct logs_pane *p, int fd, const char *path, size_t *nlines,
		      struct err *err)
{
	FILE *f = fdopen(fd, "w");
	size_t count = view_count(p);
	char name[320], when[LOG_TIME_SIZE];

	*nlines = 0;
	if (!f) {
		err_set(err, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		struct view_line vl = view_at(p, i);
		const struct log_entry *e = log_ring_get(p->ring, vl.n);

		if (!e)
			continue;
		line_head(p, e, name, sizeof(name), when);
		if (vl.gap)
			fputs("--\n", f);
		fprintf(f, "%s %s%s", name, when, when[0] ? " " : "");
		fwrite(e->text, 1, e->len, f);
		fputc('\n', f);
		(*nlines)++;
	}
	if (ferror(f) | (fclose(f) != 0)) {
		err_set(err, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
		return false;
	}
	return true;
}

/* Saves to p->save_path; an existing file only with overwrite, else asks. */
static void save_to(struct app *app, struct logs_pane *p, bool overwrite);

static void overwrite_confirmed(struct app *app, void *ud)
{
	save_to(app, ud, true);
}

static void save_to(struct app *app, struct logs_pane *p, bool overwrite)
{
	struct err err = {{0}};
	char q[4200];
	size_t n;
	int fd = save_open(p->save_path, overwrite, &err);

	if (fd == SAVE_OPEN_EXISTS) {
		snprintf(q, sizeof(q), "Replace the file %s with the lines shown?", p->save_path);
		app_confirm(app, q, overwrite_confirmed, p);
		return;
	}
	if (fd < 0 || !save_view(p, fd, p->save_path, &n, &err)) {
		app_error(app, "%s", err.msg);
		return;
	}
	app_info(app, "Saved %zu lines%s to %s", n, filtered(p) ? " (the filtered view)" : "",
		 p->save_path);
}

/* path made absolute in out: the operator sees where the lines go. "~/"
 * is the home directory; a relative path is under the current one. */
static void save_abs_path(const char *path, char *out, size_t outsz)
{
	const char *home = getenv("HOME");
	char cwd[4096];

	if (path[0] == '~' && path[1] == '/' && home && *home)
		snprintf(out, outsz, "%s/%s", home, path + 2);
	else if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)) ||
		 snprintf(out, outsz, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path) >=
		     (int)outsz)
		str_copy(out, outsz, path); /* absolute, or too long with the directory */
}

static void save_done(struct app *app, const char *text, void *ud)
{
	struct logs_pane *p = ud;

	if (!text)
		return;
	if (!*text) {
		app_error(app, "Give a file to save the lines to");
		return;
	}
	save_abs_path(text, p->save_path, sizeof(p->save_path));
	save_to(app, p, false);
}

static const struct app_prompt_ops save_ops = {.on_done = save_done};

static unsigned logs_key(void *st, struct app *app, enum action a, keycode k)
{
	struct logs_pane *p = st;
	long page = p->rows > 1 ? p->rows - 1 : 1;
	char initial[64];

	(void)k;
	if (!p->ring) {
		/* the pane's own keys say why they do nothing, as the pane does */
		if (a != ACTION_FILTER && action_info(a)->scope != SCOPE_PANE_LOGS)
			return PANE_IGNORED;
		if (p->why[0])
			app_error(app, "%s", p->why);
		else if (p->pending[0])
			app_info(app, "Reading the stores: store %s opens once they are read",
				 p->pending);
		else
			app_info(app, "No store is open here: l on a store in the Stores pane, or "
				      ":logs STORE, follows its logs");
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (p->sources_open) {
		size_t n = p->sess ? log_session_nsources(p->sess) : 0;

		switch (a) {
		case ACTION_CANCEL:
		case ACTION_LOGS_SOURCES:
			p->sources_open = false;
			break;
		case ACTION_CURSOR_UP:
			p->src_top -= p->src_top > 0;
			break;
		case ACTION_CURSOR_DOWN:
			p->src_top += p->src_top + 1 < n;
			break;
		case ACTION_PAGE_UP:
			p->src_top = p->src_top > (size_t)page ? p->src_top - (size_t)page : 0;
			break;
		case ACTION_PAGE_DOWN:
			p->src_top =
			    p->src_top + (size_t)page < n ? p->src_top + (size_t)page : p->src_top;
			break;
		case ACTION_CURSOR_TOP:
			p->src_top = 0;
			break;
		default:
			return PANE_IGNORED;
		}
		return PANE_HANDLED | PANE_REDRAW;
	}
	switch (a) {
	case ACTION_CURSOR_UP:
		scroll_by(p, -1);
		break;
	case ACTION_CURSOR_DOWN:
		scroll_by(p, 1);
		break;
	case ACTION_PAGE_UP:
		scroll_rows(p, -page);
		break;
	case ACTION_PAGE_DOWN:
		scroll_rows(p, page);
		break;
	case ACTION_HALF_PAGE_UP:
		scroll_rows(p, -(page + 1) / 2);
		break;
	case ACTION_HALF_PAGE_DOWN:
		scroll_rows(p, (page + 1) / 2);
		break;
	case ACTION_CURSOR_TOP:
		scroll_to(p, 0);
		break;
	case ACTION_CURSOR_BOTTOM:
		p->follow = true;
		break;
	case ACTION_SCROLL_LEFT:
		if (p->wrap || p->hscroll == 0)
			return PANE_HANDLED;
		p->hscroll = p->hscroll > 8 ? p->hscroll - 8 : 0;
		break;
	case ACTION_SCROLL_RIGHT:
		if (p->wrap)
			return PANE_HANDLED;
		p->hscroll += 8;
		break;
	case ACTION_LOGS_FOLLOW:
		if (p->follow)
			scroll_to(p, view_index(p, p->drawn_top));
		else
			p->follow = true;
		break;
	case ACTION_FILTER:
		/* empty, as in less and vim: what is typed is the search (an
		 * empty one ends it); the title shows the one it replaces */
		app_prompt(app, "search /", "", &search_ops, p);
		break;
	case ACTION_LOGS_NEXT:
		search_step(p, false);
		break;
	case ACTION_LOGS_PREV:
		search_step(p, true);
		break;
	case ACTION_LOGS_INCLUDE:
		app_prompt(app, "include regex: ", "", &include_ops, p);
		break;
	case ACTION_LOGS_EXCLUDE:
		app_prompt(app, "exclude regex: ", "", &exclude_ops, p);
		break;
	case ACTION_LOGS_CONTEXT:
		snprintf(initial, sizeof(initial), "context lines (now %u, empty: 0): ", p->context);
		app_prompt(app, initial, "", &context_ops, p);
		break;
	case ACTION_LOGS_WRAP:
		p->wrap = !p->wrap;
		p->hscroll = 0;
		break;
	case ACTION_LOGS_TIMESTAMPS:
		p->timestamps = !p->timestamps;
		break;
	case ACTION_LOGS_CLEAR:
		log_ring_clear(p->ring);
		log_session_cleared(p->sess);
		refilter(p);
		p->follow = true;
		p->match = LOG_NOT_FOUND;
		break;
	case ACTION_LOGS_SAVE: {
		char name[64], path[sizeof(p->save_path)];

		snprintf(name, sizeof(name), "opsdeck-logs-%s.log", p->store_id);
		save_abs_path(name, path, sizeof(path));
		app_prompt(app, "save to file: ", path, &save_ops, p);
		break;
	}
	case ACTION_LOGS_SOURCES:
		p->sources_open = true;
		break;
	case ACTION_LOGS_HISTORY:
		if (!p->history && !app_db_configured(app)) {
			app_error(app,
				  "No database is configured: the store's history is not known");
			return PANE_HANDLED | PANE_REDRAW;
		}
		p->history = !p->history;
		if (p->history && p->sess)
			start_history(p);
		refilter(p);
		if (p->history)
			app_info(app, "The store's history (opsdeck/events, opsdeck/jobs) is shown "
				      "as it comes, each line at its own time; H hides it");
		break;
	case ACTION_CANCEL:
		if (!p->has_search)
			return PANE_IGNORED;
		log_regex_free(&p->search);
		p->has_search = false;
		p->match = LOG_NOT_FOUND;
		break;
	default:
		return PANE_IGNORED;
	}
	p->dirty = true;
	return PANE_HANDLED | PANE_REDRAW;
}

static size_t logs_complete(void *st, const struct pane_verb *verb, const char *prefix, char ***out)
{
	struct logs_pane *p = st;

	(void)verb;
	return store_ref_complete(p->live ? db_live_stores(p->live, NULL) : NULL, prefix, out);
}

/* What the shared keys do here: help and the footer say it. */
static const struct pane_key_note logs_notes[] = {
    {ACTION_FILTER, "search",
     "Search the lines (a regex; smart case: an upper-case letter makes case count); "
     "n and N move between matches, an empty search or Esc ends it"},
    {ACTION_CANCEL, NULL, "Close the overlay or the message, or end the search"},
    {ACTION_CURSOR_UP, NULL, "Scroll up a line (stops following)"},
    {ACTION_CURSOR_DOWN, NULL, "Scroll down a line"},
    {ACTION_PAGE_UP, NULL, "Scroll up a page (stops following)"},
    {ACTION_PAGE_DOWN, NULL, "Scroll down a page, down to the last"},
    {ACTION_HALF_PAGE_UP, NULL, "Scroll up half a page (stops following)"},
    {ACTION_HALF_PAGE_DOWN, NULL, "Scroll down half a page"},
    {ACTION_CURSOR_TOP, NULL, "Go to the oldest line held (stops following)"},
    {ACTION_CURSOR_BOTTOM, NULL, "Follow the newest lines"},
    {ACTION_SCROLL_LEFT, NULL, "Scroll the lines left (when they are not wrapped)"},
    {ACTION_SCROLL_RIGHT, NULL, "Scroll the lines right (when they are not wrapped)"},
    /* a list's keys that have nothing to act on here: help leaves them out */
    {ACTION_SELECT, NULL, NULL},
    {ACTION_MARK, NULL, NULL},
    {ACTION_MARK_CLEAR, NULL, NULL},
    {ACTION_COPY, NULL, NULL},
    {ACTION_SORT_NEXT, NULL, NULL},
    {ACTION_SORT_PREV, NULL, NULL},
    {ACTION_SORT_REVERSE, NULL, NULL},
};

const struct pane_ops pane_logs_ops = {
    .args = "[STORE]",
    .help = "Show the Logs pane; with a store (its name, id or PROJECT/NAME), follow its logs",
    .init = logs_init,
    .destroy = logs_destroy,
    .draw = logs_draw,
    .on_key = logs_key,
    .on_show = logs_show,
    .complete = logs_complete,
    .notes = logs_notes,
    .nnotes = ARRAY_LEN(logs_notes),
};
