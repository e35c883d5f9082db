/* A log session: follows a set of log sources on one cluster and feeds
 * one ring buffer.
 *
 * Sources are the containers of the pods a pod watch finds -- every pod of
 * a namespace matching a label selector (a store: its namespace and
 * opsdeck.io/store=<id>), or one pod by name -- each container, or one by
 * name, init containers on request, or the previous instance of each
 * container that restarted (of the one named, in the pods where it did).
 * The watch and the client are the cluster registry's (shared with
 * everything else on the loop); nothing here blocks, and every request is
 * bounded (the answer's headers by a timeout, a stream by a stall bound).
 *
 * Following (follow set):
 *  - A pod that appears later joins; a container that restarts (a new
 *    container id) is a new source, read from its start.
 *  - A stream that ends for any reason -- a network error, a 5xx, a clean
 *    end (the kubelet's connection cap, log rotation), a stall -- is
 *    judged by the pod as it is now (one GET). If the pod went, the
 *    source ends saying so. If the container terminated or restarted, one
 *    last read without follow (of the previous instance after a restart)
 *    gets the lines written after the stream broke, then the source ends
 *    with the exit code. Otherwise it reconnects with capped backoff. Each
 *    read after the first starts from sinceTime and drops what was
 *    delivered already (logs/resume.h): nothing is lost or repeated.
 *  - A stream whose 2xx headers came is healthy, however quiet: its
 *    attempts start again from the first. A follow stream silent past the
 *    stall bound (a quiet container and a dead connection look the same)
 *    is reconnected at once from where it was, not reported as a problem
 *    nor counted as an attempt.
 *  - A follow that asks for no earlier line (tail_lines 0) resumes from
 *    its start if its first stream breaks before a line came: the time of
 *    its first connection (the server's Date where our clock disagrees).
 *  - A container's new instance starts once its previous one has ended,
 *    so a container's lines stay in order.
 *  - At most max_streams streams run at once; other sources wait, in the
 *    order they were found, and start as slots free.
 * Without follow, each source is read to its end (resuming the same way
 * if a read fails) and the session is done when every one has ended.
 *
 * Callbacks run from the loop and may read the session, never free it. */
#ifndef OPSDECK_LOGS_SESSION_H
#define OPSDECK_LOGS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/registry.h"
#include "logs/ring.h"

#define LOG_SESSION_MAX_STREAMS 50
#define LOG_SESSION_IDLE_MS 10000
#define LOG_SESSION_STALL_MS 60000
#define LOG_SESSION_BACKOFF_BASE_MS 250
#define LOG_SESSION_BACKOFF_CAP_MS 5000
#define LOG_SESSION_HEADERS_MS 30000
/* merge_backlog: how long a line of a backlog may wait for the rest of
 * its batch */
#define LOG_SESSION_BACKLOG_MS 100
/* attempts a read without follow makes before it gives up */
#define LOG_SESSION_READ_ATTEMPTS 6

enum log_source_state {
	LOG_SOURCE_WAITING,	 /* for a stream slot */
	LOG_SOURCE_CONNECTING,	 /* asked, no answer yet */
	LOG_SOURCE_STREAMING,	 /* lines come */
	LOG_SOURCE_IDLE,	 /* connected, no line for idle_ms */
	LOG_SOURCE_RECONNECTING, /* the stream ended; reason and attempt say why */
	LOG_SOURCE_ENDED,	 /* for good: reason says how */
};

struct log_source {
	uint32_t id; /* its lines' source in the ring; sources are never removed */
	const char *ns, *pod, *container;
	const char *container_id; /* "" for the previous instance */
	bool init;		  /* an init container */
	bool previous;		  /* the previous instance */
	long restarts;		  /* its restartCount: tells a container's runs apart */
	enum log_source_state state;
	/* reconnecting: why the stream ended ("end of stream", an error);
	 * ended: "terminated with exit code 1", "pod deleted", "restarted
	 * (exit code 137)", "end of log", or the error that stopped it */
	const char *reason;
	unsigned attempt;    /* reconnecting: the attempt to come (1, 2...); 0 once
			      * a stream's 2xx headers came */
	bool failed;	     /* ended on an error, not at the end of its log */
	uint64_t lines;	     /* lines delivered */
	uint64_t dropped;    /* lines a reconnect replayed, dropped as seen */
	uint64_t reconnects; /* connections after the first */
};

/* A line was pushed to the ring as number n. */
typedef log_ring_line_fn log_session_line_fn;
/* A source was added or changed state; or the session is done. */
typedef void (*log_session_fn)(void *ud);

struct log_session_opts {
	const char *context;   /* NULL: the kubeconfig's current context */
	const char *ns;	       /* the namespace (required) */
	const char *selector;  /* label selector; NULL: every pod */
	const char *pod;       /* one pod by name (selector then ignored) */
	const char *container; /* one container by name; NULL: all */
	bool init_containers;
	bool previous;
	bool follow;
	/* for the sources found at the start only (later ones are read from
	 * their start): tailLines (< 0: all), and sinceSeconds or sinceTime */
	long tail_lines;
	long since_seconds;	/* 0: none */
	const char *since_time; /* RFC 3339, or NULL */
	size_t max_streams;	/* 0: LOG_SESSION_MAX_STREAMS */
	long idle_ms;		/* 0: LOG_SESSION_IDLE_MS */
	long stall_ms;		/* 0: LOG_SESSION_STALL_MS */
	struct log_ring *ring;	/* where lines go (required, the caller's) */
	/* the lines a source wrote before it was first asked for (its tail,
	 * its since; no more lines than its tail asked for) go among the
	 * lines held by time, in batches within LOG_SESSION_BACKLOG_MS, so
	 * that a view opens in one time order; later lines are pushed as
	 * they come. Off: every line is pushed as it comes (a reader that
	 * prints lines as they come). */
	bool merge_backlog;
	/* the callbacks must not free the session (log_session_free) */
	log_session_line_fn on_line;
	log_session_fn on_moved; /* merge_backlog: lines held moved (log_ring_moved),
				  * before on_line tells the lines merged */
	log_session_fn on_change;
	log_session_fn on_done;
	void *ud;
};

struct log_session;

/* Starts following; NULL with err set for bad options or a context that
 * has no client. Nothing is called back from inside this call. */
struct log_session *log_session_start(struct kube_registry *reg, const struct log_session_opts *o,
				      struct err *err);
/* Stops every stream; no callback afterwards. Accepts NULL. */
void log_session_free(struct log_session *s);

/* The caller cleared the ring: backlog lines waiting to be merged
 * (merge_backlog) go too, so none older than the clear comes back.
 * Accepts NULL. */
void log_session_cleared(struct log_session *s);

size_t log_session_nsources(const struct log_session *s);
/* Source id (0 .. nsources-1); NULL if there is none. Valid until control
 * returns to the loop. */
const struct log_source *log_session_source(const struct log_session *s, uint32_t id);
/* "pod/container" of a source, for prefixes and lists. */
const char *log_source_name(const struct log_source *src, char *buf, size_t n);
const char *log_source_state_name(enum log_source_state st);

/* Sources in each state, for a one-line summary. */
struct log_session_counts {
	size_t n[LOG_SOURCE_ENDED + 1];
};
void log_session_counts(const struct log_session *s, struct log_session_counts *out);

/* Done: without follow, every source ended; with one pod followed, the
 * pod went and its sources ended; or the session failed. */
bool log_session_done(const struct log_session *s);
/* The first whole list of pods was read: the sources found at the start
 * are known. */
bool log_session_listed(const struct log_session *s);
/* The first list had no pod the selector matches, in a namespace that
 * exists (or that could not be asked about): not a failure, as kubectl's
 * "No resources found"; a follow waits for pods. */
bool log_session_none_matched(const struct log_session *s);
/* The failure is what the first list showed: a pod, namespace or
 * container named is not there, or no container (or none of the one
 * named) has a previous run. Its words name what they judge. */
bool log_session_failed_judged(const struct log_session *s);
/* Why the session cannot go on (the pod or the namespace does not exist,
 * the pods cannot be listed, a container named is in none of the pods,
 * previous runs asked where no container restarted), or NULL. */
const char *log_session_failed(const struct log_session *s);
/* Why the pod list is not current just now ("" when it is): the watch's
 * problem, shown while it retries. */
const char *log_session_problem(const struct log_session *s);

/* A stream's attempts, as a source's `attempt` counts them (the rules
 * the session follows, apart so that they can be checked alone). */
struct log_resume;
/* A line of a stream came: whether it is new (logs/resume.h judges). A
 * new line -- not one a reconnect replays -- starts the attempts again
 * (*attempt = 0): a stream that replays its last second and ends, over
 * and over, keeps backing off. */
bool log_stream_line(struct log_resume *rs, unsigned *attempt, int64_t ts_ns);
/* A stream ended and another attempt comes: counts it, from the first
 * again if the stream was healthy (it lived a stall bound). */
void log_stream_attempt(unsigned *attempt, bool healthy);
/* The delay before attempt n (1, 2...): LOG_SESSION_BACKOFF_BASE_MS
 * doubled at each attempt up to LOG_SESSION_BACKOFF_CAP_MS, +-25% by
 * rnd (any random number). */
uint64_t log_stream_backoff_ms(unsigned attempt, uint64_t rnd);

#endif
