/* Container logs. Nothing is stored: line k of a container run is a pure
 * function of (seed, pod uid, container, run, k), stamped at
 * start + (k-1)/rate, so any window (tailLines, sinceTime, limitBytes,
 * previous) is computed on demand and memory stays flat however long the
 * simulator runs. Web images write access-log lines, databases start-up and
 * checkpoint lines; each line carries "seq=k". A run keeps its last
 * --log-keep lines (older ones are rotated away, as by the kubelet).
 *
 * At --log-rate 0 a run writes a line when a follow stream asks for one, so
 * each stream gets lines as fast as its reader takes them; line k is then
 * stamped start + (k-1) ns and a plain read serves what has been written.
 * No line is stamped after now, which bounds a run at 10^9 lines per second
 * of its life: far beyond what one stream is read at (about 10^6), so a
 * reader never waits for it.
 *
 * A follow stream takes a batch of lines under the global lock and formats
 * it without the lock (from its own copy of what the lines depend on), so
 * the streams of several containers are formatted in parallel; the faults
 * that count lines or draw a chance per line, and limitBytes, keep the
 * formatting under the lock, line by line.
 *
 * Follow streams end as the kubelet ends them: cleanly after
 * --log-follow-max (its connection cap), at a rotation of the run's log file
 * (every --log-rotate-lines lines, after the file's last line), and when the
 * run stops (after its last line: a restarted container's old stream
 * finishes its run). The /sim/faults log faults (fault.h) drop, stall or
 * refuse them. */
#ifndef OPSDECK_KUBESIM_LOGS_H
#define OPSDECK_KUBESIM_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api.h"
#include "sim.h"
#include "status.h"
#include "store.h"

/* One container of a pod as the runtime sees it. */
struct crun {
	char *name;
	char *image;
	int restarts;
	bool running;
	int64_t start_ns; /* current run; 0 before the first start */
	int64_t end_ns;	  /* when the current run stopped (0 = running) */
	bool has_prev;
	int64_t prev_start_ns, prev_end_ns;
	uint64_t run_id; /* changes on every restart: ends follow streams */
	uint64_t lines, prev_lines; /* written at --log-rate 0; by the previous run */
};

struct podrt {
	size_t n;
	struct crun *c;
	int stage;   /* controller: lifecycle step reached */
	int64_t due; /* controller: sim ms of the next step; 0 = none */
	bool bad_image;
	int64_t start_ms; /* sim ms when scheduled */
	uint32_t sig;	  /* what the owner's status depends on, hashed */
};

struct podrt *podrt_new(const json_t *pod);
void podrt_free(void *p);

struct logstream;

/* Lock held. For a plain request fills *body; for follow=true returns a
 * stream. False with e set (400 BadRequest for a bad container or
 * parameter, as the real kubelet words it). */
bool logs_open(struct sim *s, struct obj *pod, const char *path, const struct query *q,
	       struct apierr *e, struct resp *out);
/* Lock not held. Bytes written, 0 at the end, -1 to drop the connection. */
ssize_t logs_read(struct logstream *l, char *buf, size_t max);
void logs_close(struct logstream *l);

/* Lock held. The container stops (exit) and starts again at once: a new
 * run and container id; the old run stays readable with previous=true. */
void logs_restart(struct sim *s, struct crun *c);
/* "containerd://" and 64 hex digits, one for each run of a container. */
void logs_container_id(const char *pod_uid, const struct crun *c, char out[96]);

/* sinceTime as the API server takes it: false when it refuses the value;
 * *set false for no time ("" or "null"), else *ns is the time cut to its
 * second -- a log request is honoured to the second, never finer. */
bool logs_since_time(const char *v, int64_t *ns, bool *set);

/* Formats line `seq` of a run into out (no newline); returns its length. */
size_t logs_line(uint64_t seed, const char *pod_uid, const struct crun *c, uint64_t run_id,
		 uint64_t seq, int64_t ts_ns, char *out, size_t n);

/* A run's line formatter: what its lines depend on besides their number
 * and time, worked out once, and the date texts of the second formatted
 * last (within a second only the fraction changes). Times are after 1970. */
struct logfmt {
	uint64_t key; /* seed, pod uid, container name and run, hashed */
	int kind;     /* the image's class */
	bool timestamps;
	bool have_sec;
	int64_t sec;	 /* the second of when and stamp */
	char when[40];	 /* the image's own date text */
	size_t when_len;
	char stamp[24];	 /* RFC 3339 to the second, for timestamps=true */
	size_t stamp_len;
};

/* The most logfmt_put writes. */
#define LOGFMT_MAX 1024

void logfmt_init(struct logfmt *f, uint64_t seed, const char *pod_uid, const char *container,
		 uint64_t run_id, const char *image, bool timestamps);
/* The container's image (its class) as it is now. */
void logfmt_image(struct logfmt *f, const char *image);
/* Writes line seq stamped ts_ns as a stream sends it -- the RFC 3339
 * timestamp and a blank if asked, the line, a newline -- into out (room
 * for LOGFMT_MAX); returns its length. */
size_t logfmt_put(struct logfmt *f, uint64_t seq, int64_t ts_ns, char *out);

#endif
