#include "config.h"

#include "cli/cli_logs.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli/cli_util.h"
#include "db/clusters.h"
#include "db/conn.h"
#include "db/storeref.h"
#include "db/stores.h"
#include "kube/api.h"
#include "kube/registry.h"
#include "logs/history.h"
#include "logs/query.h"
#include "logs/ring.h"
#include "logs/session.h"
#include "logs/splitter.h"
#include "loop.h"
#include "outq.h"
#include "provision/render.h"

static int logs_run(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_logs = {
    .noun = "logs",
    .verb = NULL,
    .usage = "STORE [POD] | -n NAMESPACE [POD] [-l SELECTOR] [-c CONTAINER] [-f] [--tail N] "
	     "[--since DURATION | --since-time TIME] [--timestamps] [--prefix] [--include RE]... "
	     "[--exclude RE]... [--previous] [--init-containers] [--max-streams N] [--history] "
	     "[--json]",
    .summary = "print the logs of a store's containers (or of pods), and follow them with -f",
    .run = logs_run,
};

const struct cli_command *const cli_logs_commands[] = {&cmd_logs, NULL};

/* kubectl's one-letter options, as the long ones cli_parse reads. */
static const struct {
	const char *shortname, *longname;
} shorts[] = {
    {"-c", "--container"}, {"-f", "--follow"},	 {"-p", "--previous"},
    {"-n", "--namespace"}, {"-l", "--selector"},
};

/* The bounds of the numeric options, said in their messages. */
#define TAIL_MAX 100000000L
#define MAX_STREAMS_MAX 10000L
#define SINCE_MAX_H (10L * 366 * 24) /* ten years */

/* --name (without =VALUE) of an option that takes a value. */
static bool takes_value(const struct cli_opt *opts, const char *arg)
{
	if (strncmp(arg, "--", 2) != 0 || strchr(arg, '='))
		return false;
	for (const struct cli_opt *o = opts; o->name; o++) {
		if ((o->value || o->values) && strcmp(arg + 2, o->name) == 0)
			return true;
	}
	return false;
}

struct run {
	struct cli_ctx *ctx;
	struct loop *loop;
	struct log_session *sess;
	struct log_history *hist; /* --history: the store's own */
	/* with the history, print what came in one time order: at the end of
	 * a read; following, once the start is in (hold_check) */
	bool hold;
	bool history_in;  /* the history's first read answered */
	int64_t start_ns; /* following: when it started (our clock) */
	bool *caught;	  /* following, per source: a line of now came */
	size_t ncaught;
	struct loop_timer *hold_cap; /* following: the longest the start is held */
	uint64_t fed_end;	     /* following: lines before it were handed to the filter */
	uint64_t gone_told;	     /* lines gone from the ring at once, printed as told */
	struct log_ring *ring;
	struct log_filter filter;
	struct log_grep grep;
	struct loop_timer *flush;
	struct buf out; /* lines not yet handed to the writer: one write per batch */
	/* the writer's thread: the system's copy of the output, and a slow
	 * reader, are not the loop's to wait on (until OUT_QUEUE batches wait) */
	struct outq *outq;
	struct loop_watch *out_watch; /* a write failed */
	struct log_time_text when;
	/* --prefix: "[pod/POD/CONTAINER] " of each source, made at its first
	 * line (a source's names never change) */
	char **prefix_text;
	size_t *prefix_len;
	size_t nprefix;
	/* how long built lines may wait: a terminal sees them at the end of the
	 * loop turn; a pipe or file gets fewer, larger writes */
	uint64_t flush_ms;
	bool prefix, timestamps, json, follow;
	bool write_failed;
	bool loop_over; /* loop_run has returned: waits for the writer are plain */
	/* the last hand-over gave way to a signal: lines wait in out until
	 * the next turn's flush (asking again per line would cost a lock and
	 * a poll each) */
	bool gave_way;
	/* notes made while lines wait for the writer, said after them */
	struct buf late_notes;
	/* what was said on stderr about each source, to say each thing once */
	enum log_source_state *told;
	unsigned *told_attempt;
	size_t ntold;
	bool told_waiting;
	bool told_none; /* following: that no pod matches yet */
	const struct target *target;
	size_t max_streams;
	char told_problem[256];
	char told_history[800];
	bool history;
	int64_t since_ns; /* the history's start; 0: all */
};

static void write_failed(struct run *r)
{
	if (!r->write_failed) {
		r->write_failed = true;
		if (r->loop)
			loop_stop(r->loop);
	}
}

/* While the loop runs, a wait for the writer gives way to a signal that
 * came (SIGINT, SIGTERM): the loop sees it and stops, and its lines wait
 * in r->out. After the loop the waits are plain, the signals the system's
 * again (loop_signals_release): a second Ctrl-C ends a wait on a reader
 * that takes nothing. */
static bool give_way_to_signal(void *ud)
{
	struct run *r = ud;

	return r->loop && !r->loop_over &&
	       (loop_stopped(r->loop) || loop_signal_pending(r->loop));
}

/* Hands the lines built so far to the writer's thread. With OUT_QUEUE
 * batches still unwritten this waits for one to go, as a blocking write
 * on stdout did. */
static enum outq_push out_write(struct run *r)
{
	enum outq_push res = outq_push_or_give_way(r->outq, &r->out, give_way_to_signal, r);

	if (res == OUTQ_FAILED)
		write_failed(r);
	r->gave_way = res == OUTQ_GAVE_WAY;
	return r->write_failed ? OUTQ_FAILED : res;
}

/* And waits until all of it is written: before ctx->out is used otherwise
 * and at the end; before a note on stderr, which would otherwise come
 * ahead of lines that came in before it when both go to one terminal. */
static enum outq_push out_sync(struct run *r)
{
	enum outq_push res = out_write(r);

	if (res == OUTQ_TAKEN) {
		res = outq_drain_or_give_way(r->outq, give_way_to_signal, r);
		if (res == OUTQ_FAILED)
			write_failed(r);
	}
	return res;
}

/* "opsdeck: ..." on stderr, after the lines printed before it: while they
 * wait (a signal came and the reader takes nothing), after the last sync. */
static void note(struct run *r, const char *fmt, ...) ATTR_FORMAT(2, 3);

static void note(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->late_notes.len || out_sync(r) == OUTQ_GAVE_WAY) {
		buf_puts(&r->late_notes, "opsdeck: ");
		va_start(ap, fmt);
		buf_vprintf(&r->late_notes, fmt, ap);
		va_end(ap);
		buf_putc(&r->late_notes, '\n');
		return;
	}
	fputs("opsdeck: ", r->ctx->err);
	va_start(ap, fmt);
	vfprintf(r->ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', r->ctx->err);
	fflush(r->ctx->err);
}

/* The notes held back, once the lines before them are written (or can
 * never be). */
static void notes_late_say(struct run *r)
{
	if (r->late_notes.len) {
		fwrite(r->late_notes.data, 1, r->late_notes.len, r->ctx->err);
		fflush(r->ctx->err);
		buf_reset(&r->late_notes);
	}
}

/* The writer's thread could not write: stop as a failed write on the
 * loop's thread did. */
static void out_failed(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct run *r = ud;

	(void)loop;
	(void)fd;
	(void)events;
	loop_watch_remove(r->out_watch);
	r->out_watch = NULL;
	write_failed(r);
}

static void flush_due(struct loop *loop, void *ud)
{
	struct run *r = ud;

	(void)loop;
	r->flush = NULL;
	out_write(r);
}

/* Following with the history, the start is held at most this long; a
 * source has caught up at a line stamped this much before the start or
 * later (a node's clock a little behind ours). */
#define HOLD_MAX_MS 3000
#define HOLD_SKEW_NS 1000000000LL

/* Past this many bytes built, they go out before the loop turn ends; at
 * most OUT_QUEUE such batches wait for the writer's thread: about 1 MiB
 * (larger batches wake the writer less often; 16 of 64 KiB measured the
 * same in bench/logs/run.sh). */
#define OUT_BATCH (256u * 1024u)
#define OUT_QUEUE 4

/* The --prefix text of a session's source. */
static const char *source_prefix(struct run *r, const struct log_source *src, uint32_t id,
				 size_t *len)
{
	if (id >= r->nprefix) {
		size_t n0 = r->nprefix, n = id + 1 > 2 * n0 ? id + 1 : 2 * n0;

		r->prefix_text = xrealloc(r->prefix_text, n * sizeof(*r->prefix_text));
		r->prefix_len = xrealloc(r->prefix_len, n * sizeof(*r->prefix_len));
		memset(r->prefix_text + n0, 0, (n - n0) * sizeof(*r->prefix_text));
		r->nprefix = n;
	}
	if (!r->prefix_text[id]) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "[pod/%s/%s] ", src->pod, src->container);
		r->prefix_len[id] = b.len;
		r->prefix_text[id] = buf_steal(&b);
	}
	*len = r->prefix_len[id];
	return r->prefix_text[id];
}

static char *put(char *p, const void *data, size_t len)
{
	memcpy(p, data, len);
	return p + len;
}

static void print_entry(struct run *r, const struct log_entry *e)
{
	const struct log_source *src = r->sess ? log_session_source(r->sess, e->source) : NULL;
	const char *hist = log_history_source_name(e->source);
	const char *when = "";

	if (!src && !hist)
		return;
	if (e->ts_ns && (r->json || r->timestamps))
		when = log_time_text(&r->when, e->ts_ns);
	if (r->json) {
		json_t *o;
		char *text;

		if (hist)
			o = json_pack("{s:s, s:o, s:s%}", "source", hist, "time",
				      e->ts_ns ? json_string(when) : json_null(), "line", e->text,
				      (size_t)e->len);
		else
			o = json_pack("{s:s, s:s, s:s, s:o, s:s%}", "namespace", src->ns, "pod",
				      src->pod, "container", src->container, "time",
				      e->ts_ns ? json_string(when) : json_null(), "line", e->text,
				      (size_t)e->len);
		text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (text) {
			buf_puts(&r->out, text);
			buf_putc(&r->out, '\n');
		}
		free(text);
		json_decref(o);
	} else {
		/* the line's pieces, their sizes known: one reserve, then copies */
		const char *pre = NULL;
		size_t pre_len = 0, when_len = 0, need;
		char *p;

		if (r->prefix && hist) {
			pre = hist;
			pre_len = strlen(hist) + 3; /* "[" hist "] " */
		} else if (r->prefix) {
			pre = source_prefix(r, src, e->source, &pre_len);
		}
		if (r->timestamps && e->ts_ns)
			when_len = r->when.len + 1;
		need = pre_len + when_len + e->len + 1;
		buf_reserve(&r->out, need);
		p = r->out.data + r->out.len;
		if (r->prefix && hist) {
			*p++ = '[';
			p = put(p, hist, pre_len - 3);
			p = put(p, "] ", 2);
		} else if (pre) {
			p = put(p, pre, pre_len);
		}
		if (when_len) {
			p = put(p, when, when_len - 1);
			*p++ = ' ';
		}
		p = put(p, e->text, e->len);
		*p++ = '\n';
		*p = '\0';
		r->out.len += need;
	}
	if (r->out.len >= OUT_BATCH && !r->gave_way)
		out_write(r);
	/* the rest soon after: a write per line would cost a system call each */
	if (!r->flush && r->loop)
		r->flush = loop_timer_add(r->loop, r->flush_ms, 0, flush_due, r);
}

static void print_line(uint64_t n, enum log_mark mark, bool gap, void *ud)
{
	struct run *r = ud;
	const struct log_entry *e = log_ring_get(r->ring, n);

	(void)mark;
	(void)gap;
	if (e)
		print_entry(r, e);
}

static void hold_check(struct run *r);

static void on_line(void *ud, uint64_t n, const struct log_entry *e)
{
	struct run *r = ud;

	/* a line of the history older than all the ring held went at once:
	 * nothing held is older, so it prints now, held or not */
	if (n < log_ring_first(r->ring)) {
		r->gone_told++;
		if (log_filter_pass(&r->filter, e->text))
			print_entry(r, e);
		if (n >= r->fed_end)
			r->fed_end = n + 1;
		return;
	}
	if (r->hold) {
		if (r->follow && e->source < log_session_nsources(r->sess) &&
		    e->ts_ns >= r->start_ns - HOLD_SKEW_NS) {
			if (e->source >= r->ncaught) {
				size_t n0 = r->ncaught;

				r->ncaught = log_session_nsources(r->sess);
				r->caught = xrealloc(r->caught, r->ncaught * sizeof(*r->caught));
				memset(r->caught + n0, 0, (r->ncaught - n0) * sizeof(*r->caught));
			}
			if (!r->caught[e->source]) {
				r->caught[e->source] = true;
				hold_check(r);
			}
		}
		return;
	}
	if (n >= r->fed_end) {
		r->fed_end = n + 1;
		/* no filter: every line shows, as log_grep_feed would show it */
		if (e && log_filter_none(&r->filter) && !r->filter.before && !r->filter.after) {
			r->grep.any = true;
			r->grep.shown_end = n + 1;
			print_entry(r, e);
			return;
		}
		log_grep_feed(&r->grep, r->ring, n, print_line, r);
		return;
	}
	/* a line of the history merged before lines already printed: it is
	 * printed as it comes, and is not printed again as context */
	if (log_filter_pass(&r->filter, e->text)) {
		print_line(n, LOG_MARK_MATCH, false, r);
		if (n >= r->grep.shown_end)
			r->grep.shown_end = n + 1;
	}
}

/* A read of the history went in among the lines held: the numbers the
 * output holds follow their lines. */
static void on_moved(void *ud)
{
	struct run *r = ud;

	if (r->fed_end)
		r->fed_end = log_ring_moved(r->ring, r->fed_end - 1) + 1;
	if (r->grep.shown_end)
		r->grep.shown_end = log_ring_moved(r->ring, r->grep.shown_end - 1) + 1;
}

/* With the history, a read that is over, or a follow once the history's
 * first read is in: every line the ring holds, in one time order (each
 * source's lines came in order); lines that come later print as they
 * come. */
static void print_held(struct run *r)
{
	uint64_t first = log_ring_first(r->ring), end = log_ring_end(r->ring);
	size_t n = (size_t)(end - first);
	uint64_t *nums = xcalloc(n ? n : 1, sizeof(*nums));

	if (log_ring_evicted(r->ring) > r->gone_told)
		note(r,
		     "the %llu oldest lines did not fit the buffer (logs.max_lines, "
		     "logs.max_bytes) and are not shown",
		     (unsigned long long)(log_ring_evicted(r->ring) - r->gone_told));
	for (size_t i = 0; i < n; i++)
		nums[i] = first + i;
	log_order_by_time(r->ring, nums, n);
	for (size_t i = 0; i < n; i++) {
		const struct log_entry *e = log_ring_get(r->ring, nums[i]);

		if (e && log_filter_pass(&r->filter, e->text))
			print_line(nums[i], LOG_MARK_MATCH, false, r);
	}
	free(nums);
	r->hold = false;
	r->fed_end = end;
	r->grep.shown_end = end;
}

/* Following with the history: what came before the start (each source's
 * lines up to now, the history's first read) prints in one time order
 * once it is in -- every source has sent a line of now (or waits for a
 * slot, is quiet, reconnecting or ended) and the history's first read
 * answered -- or HOLD_MAX_MS after the start at the latest, or as soon
 * as the ring would let a line go (hold_full). */
static void hold_release(struct run *r)
{
	if (r->hold_cap) {
		loop_timer_cancel(r->hold_cap);
		r->hold_cap = NULL;
	}
	log_ring_on_full(r->ring, NULL, NULL);
	print_held(r);
}

/* Following, the ring is about to let its oldest lines go while the start
 * is held: what it holds prints now, so no line is lost. */
static void hold_full(void *ud)
{
	struct run *r = ud;

	if (r->hold)
		hold_release(r);
}

/* How long the start may be held: HOLD_MAX_MS, or OPSDECK_LOGS_HOLD_MS
 * (milliseconds, 1 to 600000) for a test that checks the order the hold
 * gives on a machine too busy for the usual bound. */
static uint64_t hold_max_ms(void)
{
	const char *v = getenv("OPSDECK_LOGS_HOLD_MS");
	long ms;

	if (v && str_to_long(v, 1, 600000, &ms))
		return (uint64_t)ms;
	return HOLD_MAX_MS;
}

static void hold_check(struct run *r)
{
	size_t n;

	if (!r->hold || !r->follow || !r->history_in || !r->sess ||
	    (!log_session_listed(r->sess) && !log_session_failed(r->sess)))
		return;
	n = log_session_nsources(r->sess);
	for (uint32_t i = 0; i < n; i++) {
		enum log_source_state st = log_session_source(r->sess, i)->state;

		if ((st == LOG_SOURCE_CONNECTING || st == LOG_SOURCE_STREAMING) &&
		    (i >= r->ncaught || !r->caught[i]))
			return;
	}
	hold_release(r);
}

static void hold_due(struct loop *loop, void *ud)
{
	struct run *r = ud;

	(void)loop;
	r->hold_cap = NULL;
	if (r->hold)
		hold_release(r);
}

struct target {
	char context[256];
	bool has_context;
	char ns[64];
	char selector[512];
	char user_selector[400]; /* -l as given, for messages */
	const char *pod;
	char store[16]; /* the store's id; "" for a namespace */
	char what[128]; /* for messages: "store 0123456789ab" */
	/* a deleted store: only its history is left. "store NAME (ID) was
	 * deleted on DATE", for messages */
	bool deleted;
	char deleted_text[256];
};

/* What a session that found no source says: no pod matches (as kubectl's
 * "No resources found", not an error), or the pods' containers have not
 * started. */
static void nothing_read_text(const struct target *t, bool pods, char *buf, size_t n)
{
	const char *sel = t->user_selector;

	if (pods)
		snprintf(buf, n, "%s: no container has started: none has a log yet", t->what);
	else if (t->store[0])
		snprintf(buf, n, "%s: no pod%s%s in its namespace %s", t->what,
			 *sel ? " matches " : "", sel, t->ns);
	else
		snprintf(buf, n, "no pod%s%s in namespace %s", *sel ? " matches " : "", sel, t->ns);
}

/* Says on stderr what an operator should know: sources that wait for a
 * slot, streams that keep failing, and sources that ended otherwise than
 * at the end of their log. */
static void on_change(void *ud)
{
	struct run *r = ud;
	size_t n = log_session_nsources(r->sess), waiting = 0, active = 0;
	const char *problem = log_session_problem(r->sess);
	char name[320];

	if (n > r->ntold) {
		r->told = xrealloc(r->told, n * sizeof(*r->told));
		r->told_attempt = xrealloc(r->told_attempt, n * sizeof(*r->told_attempt));
		for (size_t i = r->ntold; i < n; i++) {
			r->told[i] = LOG_SOURCE_WAITING;
			r->told_attempt[i] = 0;
		}
		r->ntold = n;
	}
	if (*problem && strcmp(problem, r->told_problem) != 0)
		note(r, "%s", problem);
	str_copy(r->told_problem, sizeof(r->told_problem), problem);
	for (uint32_t i = 0; i < n; i++) {
		const struct log_source *s = log_session_source(r->sess, i);

		if (s->state == LOG_SOURCE_WAITING)
			waiting++;
		else if (s->state != LOG_SOURCE_ENDED)
			active++;
		if (s->state == LOG_SOURCE_RECONNECTING && s->attempt >= 2 &&
		    s->attempt != r->told_attempt[i]) {
			r->told_attempt[i] = s->attempt;
			note(r, "%s: reconnecting (attempt %u): %s",
			     log_source_name(s, name, sizeof(name)), s->attempt, s->reason);
		}
		if (s->state == LOG_SOURCE_ENDED && r->told[i] != LOG_SOURCE_ENDED &&
		    (s->failed || strcmp(s->reason, "end of log") != 0))
			note(r, "%s: %s", log_source_name(s, name, sizeof(name)), s->reason);
		r->told[i] = s->state;
	}
	/* sources wait only while every slot is taken */
	if (waiting && active >= r->max_streams && !r->told_waiting) {
		note(r, "%zu sources wait for a free stream (at most %zu at once)", waiting,
		     r->max_streams);
		r->told_waiting = true;
	}
	if (!waiting)
		r->told_waiting = false;
	/* following where no pod matches: it waits for one, saying so */
	if (r->follow && !r->told_none && n == 0 && log_session_none_matched(r->sess)) {
		char text[1024];

		nothing_read_text(r->target, false, text, sizeof(text));
		note(r, "%s yet: waiting for one", text);
		r->told_none = true;
	}
	hold_check(r);
}

/* The read is over when the pods' logs and the history both are. */
static void on_done(void *ud)
{
	struct run *r = ud;

	if (r->hist && !log_history_done(r->hist) && !log_session_failed(r->sess))
		return;
	loop_stop(r->loop);
}

/* After each read of the history: a failure is said once, until a read
 * works again. */
static void on_history_read(void *ud)
{
	struct run *r = ud;
	const char *failed = log_history_failed(r->hist);

	if (failed && strcmp(failed, r->told_history) != 0)
		note(r, "%s", failed);
	str_copy(r->told_history, sizeof(r->told_history), failed ? failed : "");
	r->history_in = true;
	hold_check(r);
	if (log_history_done(r->hist) && (!r->sess || log_session_done(r->sess)))
		loop_stop(r->loop);
}

static void on_signal(struct loop *loop, int signo, void *ud)
{
	(void)signo;
	(void)ud;
	loop_stop(loop);
}

/* The store's namespace, cluster context and label selector. */
static bool store_target(struct cli_ctx *ctx, const char *ref, const char *selector,
			 struct target *t)
{
	struct store_list l;
	const struct store *s;
	struct err err = {{0}};
	struct db_req r;
	PGresult *res;

	if (!cli_store_ref_any(ctx, ref, &l, &s))
		return false;
	if (strcmp(s->status, "Deleted") == 0) {
		char on[40];

		store_deleted_on(s, on, sizeof(on));
		t->deleted = true;
		snprintf(t->deleted_text, sizeof(t->deleted_text), "store %s (%s) was deleted on %s",
			 s->name, s->id, on);
	}
	str_copy(t->ns, sizeof(t->ns), s->namespace);
	snprintf(t->selector, sizeof(t->selector), "%s=%s%s%s", RENDER_STORE_LABEL, s->id,
		 selector ? "," : "", selector ? selector : "");
	snprintf(t->what, sizeof(t->what), "store %s", s->id);
	str_copy(t->store, sizeof(t->store), s->id);
	/* its cluster is not asked: it may be gone as well */
	if (t->deleted) {
		store_list_free(&l);
		return true;
	}
	if (!cluster_req_context(&r, s->cluster, &err)) {
		store_list_free(&l);
		cli_fail(ctx, err.msg);
		return false;
	}
	store_list_free(&l);
	res = cli_db_query(ctx, &r);
	if (!res)
		return false;
	str_copy(t->context, sizeof(t->context), PQgetvalue(res, 0, 0));
	t->has_context = true;
	PQclear(res);
	return true;
}

static int follow_logs(struct cli_ctx *ctx, const struct target *t, struct log_session_opts *o,
		       struct run *r)
{
	struct kube_registry *reg;
	struct db_conn *db = NULL;
	struct err err = {{0}};
	const char *failed;
	int rc = CLI_OK;

	/* what is already on ctx->out comes first */
	if (fflush(ctx->out) != 0)
		return cli_fail(ctx, "cannot write the output");
	r->outq = outq_new(fileno(ctx->out), OUT_QUEUE, &err);
	if (!r->outq)
		return cli_fail(ctx, err.msg);
	r->loop = loop_new();
	r->out_watch = loop_watch_fd(r->loop, outq_error_fd(r->outq), LOOP_READ, out_failed, r);
	reg = kube_registry_acquire(r->loop, ctx->conf->kubeconfig);
	o->context = t->has_context ? t->context : ctx->conf->context;
	o->ring = r->ring;
	o->on_line = on_line;
	o->on_change = on_change;
	o->on_done = on_done;
	o->ud = r;
	loop_signal(r->loop, SIGINT, on_signal, r);
	loop_signal(r->loop, SIGTERM, on_signal, r);
	r->start_ns = (int64_t)time(NULL) * 1000000000LL;
	/* a deleted store has no pods: its history alone */
	if (!t->deleted)
		r->sess = log_session_start(reg, o, &err);
	if ((r->sess || t->deleted) && r->history) {
		struct log_history_opts ho = {
		    .loop = r->loop,
		    .store = t->store,
		    .follow = o->follow,
		    .tail_lines = o->tail_lines,
		    .since_ns = r->since_ns,
		    .ring = r->ring,
		    .on_line = on_line,
		    .on_moved = on_moved,
		    .on_read = on_history_read,
		    .ud = r,
		};

		db = db_conn_new(r->loop, ctx->conf->database, NULL);
		ho.conn = db;
		r->hist = log_history_start(&ho, &err);
		if (!r->hist) {
			log_session_free(r->sess);
			r->sess = NULL;
		}
	}
	if (!r->sess && !r->hist) {
		out_sync(r);
		notes_late_say(r);
		rc = cli_failf(ctx, "%s: %s", t->what, err.msg);
	} else {
		if (r->hold && r->follow) {
			r->hold_cap = loop_timer_add(r->loop, hold_max_ms(), 0, hold_due, r);
			log_ring_on_full(r->ring, hold_full, r);
		}
		loop_run(r->loop);
		r->loop_over = true;
		r->gave_way = false;
		loop_signals_release(r->loop);
		/* the lines first, then what was said while they waited */
		out_sync(r);
		notes_late_say(r);
		/* a follow stopped while its start was held */
		if (r->hold && r->follow)
			hold_release(r);
		if (r->flush) {
			loop_timer_cancel(r->flush);
			r->flush = NULL;
		}
		if (out_sync(r) == OUTQ_FAILED)
			rc = cli_fail(ctx, "cannot write the output");
		else if (r->sess && (failed = log_session_failed(r->sess)))
			/* the session's words name the pod and namespace; a store's
			 * id is the command's */
			/* with -n, what the first list showed names the pod or
			 * namespace itself */
			rc = t->store[0] || !log_session_failed_judged(r->sess)
				 ? cli_failf(ctx, "%s: %s", t->what, failed)
				 : cli_fail(ctx, failed);
		else if (!r->sess || log_session_done(r->sess)) {
			if (r->hold)
				print_held(r);
			if (r->hist && log_history_failed(r->hist))
				rc = CLI_FAILED;
			if (out_sync(r) == OUTQ_FAILED)
				rc = cli_fail(ctx, "cannot write the output");
			for (uint32_t i = 0; r->sess && i < log_session_nsources(r->sess); i++) {
				if (log_session_source(r->sess, i)->failed)
					rc = CLI_FAILED;
			}
			if (r->sess && log_session_nsources(r->sess) == 0) {
				char text[1024];

				nothing_read_text(t, !log_session_none_matched(r->sess), text,
						  sizeof(text));
				fprintf(ctx->err, "opsdeck: %s\n", text);
			}
		}
		log_history_free(r->hist);
		log_session_free(r->sess);
	}
	db_conn_free(db);
	kube_registry_release(reg);
	loop_free(r->loop);
	/* everything was written (out_sync) or a write failed: the thread ends */
	outq_free(r->outq);
	return rc;
}

static int logs_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *container = NULL, *tail_s = NULL, *since_s = NULL, *since_time = NULL;
	const char *max_s = NULL, *ns = NULL, *selector = NULL;
	const char *inc_v[LOG_FILTER_MAX], *exc_v[LOG_FILTER_MAX];
	struct cli_values inc = {inc_v, 0, LOG_FILTER_MAX}, exc = {exc_v, 0, LOG_FILTER_MAX};
	bool follow = false, timestamps = false, prefix = false, previous = false, init = false;
	bool history = false;
	const struct cli_opt opts[] = {
	    {"container", &container, NULL, NULL, false},
	    {"follow", NULL, &follow, NULL, false},
	    {"tail", &tail_s, NULL, NULL, false},
	    {"since", &since_s, NULL, NULL, false},
	    {"since-time", &since_time, NULL, NULL, false},
	    {"timestamps", NULL, &timestamps, NULL, false},
	    {"prefix", NULL, &prefix, NULL, false},
	    {"include", NULL, NULL, &inc, false},
	    {"exclude", NULL, NULL, &exc, false},
	    {"previous", NULL, &previous, NULL, false},
	    {"init-containers", NULL, &init, NULL, false},
	    {"max-streams", &max_s, NULL, NULL, false},
	    {"namespace", &ns, NULL, NULL, false},
	    {"selector", &selector, NULL, NULL, false},
	    {"history", NULL, &history, NULL, false},
	    {NULL, NULL, NULL, NULL, false},
	};
	struct log_session_opts o = {.tail_lines = -1};
	struct target t = {.has_context = false};
	struct run r = {.ctx = ctx};
	struct err err = {{0}};
	char shown[CLI_SHOWN_SIZE], since_utc[LOG_TIME_SIZE];
	const char *pos[2];
	char **args = xcalloc((size_t)argc + 1, sizeof(*args));
	long tail = -1, since = 0, max = ctx->conf->log_max_streams;
	int npos, rc;

	for (int i = 0; i < argc; i++) {
		args[i] = argv[i];
		for (size_t k = 0; i > 0 && k < ARRAY_LEN(shorts); k++) {
			if (strcmp(argv[i], shorts[k].shortname) == 0)
				args[i] = (char *)shorts[k].longname;
		}
		if (strcmp(argv[i], "--") == 0) {
			for (i++; i < argc; i++)
				args[i] = argv[i];
			break;
		}
		/* the value of an option is never taken for an option */
		if (i > 0 && takes_value(opts, args[i]) && i + 1 < argc) {
			i++;
			args[i] = argv[i];
		}
	}
	if (!cli_parse(ctx, &cmd_logs, argc, args, opts, pos, 0, 2, &npos)) {
		free(args);
		return CLI_USAGE;
	}
	free(args);
	if (tail_s && !str_to_long(tail_s, -1, TAIL_MAX, &tail))
		return cli_usage(ctx, &cmd_logs,
				 "--tail takes a number of lines from -1 (all) to %ld, not \"%s\"",
				 TAIL_MAX, cli_shown(tail_s, shown));
	if (since_s && since_time)
		return cli_usage(ctx, &cmd_logs, "--since and --since-time cannot go together");
	if (since_s) {
		enum log_duration d = log_duration_parse(since_s, SINCE_MAX_H * 3600, &since);

		if (d == LOG_DURATION_BAD)
			return cli_usage(ctx, &cmd_logs,
					 "--since takes a duration such as 30s, 5m or 1h30m, not \"%s\"",
					 cli_shown(since_s, shown));
		if (d == LOG_DURATION_OUT_OF_RANGE)
			return cli_usage(ctx, &cmd_logs,
					 "--since takes a duration above 0 and up to %ldh (ten years), "
					 "not \"%s\"",
					 SINCE_MAX_H, cli_shown(since_s, shown));
	}
	if (since_time) {
		int64_t ns_since;

		if (log_time_parse(since_time, strlen(since_time), &ns_since) != strlen(since_time))
			return cli_usage(ctx, &cmd_logs,
					 "--since-time takes an RFC 3339 time such as "
					 "2026-01-31T12:00:00Z, not \"%s\"",
					 cli_shown(since_time, shown));
		/* as the API server reads it: UTC, with nanoseconds */
		log_time_format(ns_since, true, since_utc);
		since_time = since_utc;
	}
	if (max_s && !str_to_long(max_s, 1, MAX_STREAMS_MAX, &max))
		return cli_usage(ctx, &cmd_logs,
				 "--max-streams takes a number from 1 to %ld, not \"%s\"",
				 MAX_STREAMS_MAX, cli_shown(max_s, shown));
	if (container && !kube_valid_namespace(container))
		return cli_usage(ctx, &cmd_logs, "\"%s\" is not a valid container name",
				 cli_shown(container, shown));
	if (ns && !kube_valid_namespace(ns))
		return cli_usage(ctx, &cmd_logs, "\"%s\" is not a valid namespace",
				 cli_shown(ns, shown));
	if (previous && follow)
		return cli_usage(ctx, &cmd_logs, "--previous reads a log that is over: no -f");
	if (!ns && npos == 0)
		return cli_usage(ctx, &cmd_logs, "name a store, or a namespace with -n");
	if (ns && history)
		return cli_usage(ctx, &cmd_logs, "--history is a store's: name a store, not -n");
	if (previous && history)
		return cli_usage(ctx, &cmd_logs,
				 "--history goes with the current logs, not --previous");
	if (ns && npos > 1)
		return cli_usage(ctx, &cmd_logs, "with -n, name one pod at most");
	t.pod = ns ? (npos ? pos[0] : NULL) : (npos > 1 ? pos[1] : NULL);
	if (t.pod && !kube_valid_name(t.pod))
		return cli_usage(ctx, &cmd_logs, "\"%s\" is not a valid pod name",
				 cli_shown(t.pod, shown));
	if (t.pod && selector)
		return cli_usage(ctx, &cmd_logs, "name a pod or give -l, not both");
	log_filter_init(&r.filter);
	for (size_t i = 0; i < inc.n; i++) {
		if (!log_filter_add(&r.filter, false, inc.v[i], &err)) {
			log_filter_free(&r.filter);
			return cli_usage(ctx, &cmd_logs, "--include: %s", err.msg);
		}
	}
	for (size_t i = 0; i < exc.n; i++) {
		if (!log_filter_add(&r.filter, true, exc.v[i], &err)) {
			log_filter_free(&r.filter);
			return cli_usage(ctx, &cmd_logs, "--exclude: %s", err.msg);
		}
	}

	if (ns) {
		if (!cli_kube_context_known(ctx)) {
			log_filter_free(&r.filter);
			return CLI_FAILED;
		}
		str_copy(t.ns, sizeof(t.ns), ns);
		str_copy(t.selector, sizeof(t.selector), selector ? selector : "");
		snprintf(t.what, sizeof(t.what), "namespace %s", ns);
		if (t.pod)
			snprintf(t.what, sizeof(t.what), "pod %s", t.pod);
	} else if (!store_target(ctx, pos[0], selector, &t)) {
		log_filter_free(&r.filter);
		return CLI_FAILED;
	}
	if (t.deleted && (t.pod || container || selector || init)) {
		log_filter_free(&r.filter);
		return cli_failf(ctx,
				 "%s: its pods are gone; --history without a pod, -c, -l or "
				 "--init-containers shows what happened to it",
				 t.deleted_text);
	}
	if (t.deleted && !history) {
		log_filter_free(&r.filter);
		return cli_failf(ctx, "%s: its pods are gone; --history shows what happened to it",
				 t.deleted_text);
	}
	if (t.deleted && follow) {
		log_filter_free(&r.filter);
		return cli_failf(ctx,
				 "%s: nothing more will happen to it; --history without -f "
				 "shows what did",
				 t.deleted_text);
	}
	str_copy_clean(t.user_selector, sizeof(t.user_selector), selector ? selector : "");

	o.ns = t.ns;
	o.selector = t.selector[0] ? t.selector : NULL;
	o.pod = t.pod;
	o.container = container;
	o.init_containers = init;
	o.previous = previous;
	o.follow = follow;
	o.tail_lines = tail;
	o.since_seconds = since;
	o.since_time = since_time;
	o.max_streams = (size_t)max;
	o.stall_ms = ctx->conf->log_stall_s * 1000;
	r.max_streams = (size_t)max;
	r.prefix = prefix;
	r.timestamps = timestamps;
	r.json = ctx->json;
	r.history = history;
	r.follow = follow;
	/* a read that is over prints in one time order once it has it all;
	 * a follow, its start once that is in (hold_check) */
	r.hold = history;
	if (since_time)
		log_time_parse(since_time, strlen(since_time), &r.since_ns);
	else if (since)
		r.since_ns = ((int64_t)time(NULL) - since) * 1000000000LL;
	r.ring = log_ring_new((size_t)ctx->conf->log_max_lines, (size_t)ctx->conf->log_max_bytes);
	log_grep_init(&r.grep, &r.filter);
	log_time_text_init(&r.when);
	r.flush_ms = fileno(ctx->out) >= 0 && isatty(fileno(ctx->out)) ? 0 : 20;
	r.target = &t;
	rc = follow_logs(ctx, &t, &o, &r);
	log_ring_free(r.ring);
	buf_free(&r.out);
	buf_free(&r.late_notes);
	log_filter_free(&r.filter);
	for (size_t i = 0; i < r.nprefix; i++)
		free(r.prefix_text[i]);
	free(r.prefix_text);
	free(r.prefix_len);
	free(r.told);
	free(r.told_attempt);
	free(r.caught);
	return rc;
}
