/* Fault injection and request accounting, and the /sim/ endpoints that
 * drive them (token-protected, not part of the Kubernetes API):
 *   GET  /sim/stats              request counts
 *   GET  /sim/faults             the fault settings
 *   POST /sim/faults             {"errorRate":0.5,"errorCode":503,"latencyMs":100,
 *                                 "dropAfterLines":10,"dropAfterSeconds":2,
 *                                 "refuseSeconds":3,"outageSeconds":35,
 *                                 "logDropRate":0.01,"logStallAfterLines":100,
 *                                 "logStallSeconds":20,"logStallCount":1,
 *                                 "logErrorRate":0.33,
 *                                 "logErrorCode":503,"logFollowMaxSeconds":2,
 *                                 "logRotateLines":300,"pathPrefix":"/api"}
 *   DELETE /sim/faults           clears every fault
 *   POST /sim/speed              {"factor":10}
 *   POST /sim/restart            {"namespace":"ns","pod":"p","container":"c",
 *                                 "exitCode":137}
 *   POST /sim/seed               many ready stores at once (seed.h)
 * refuseSeconds refuses new connections only; outageSeconds makes the
 * server unreachable, its state kept: new connections are refused, a
 * request on an open one is dropped unanswered (the connection closed,
 * /sim/ paths excepted) and every stream is dropped. */
#ifndef OPSDECK_KUBESIM_FAULT_H
#define OPSDECK_KUBESIM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "sim.h"

/* Whether a new connection must be refused now (takes the lock). */
bool fault_refuse_connection(struct sim *s);
/* Whether a request to path on an open connection must be dropped without
 * an answer now (takes the lock). */
bool fault_drop_request(struct sim *s, const char *path);
/* Counts the request, sleeps the injected latency and, by the error rate,
 * answers it with the configured error. True when out was filled. Takes
 * the lock itself. */
bool fault_before_request(struct sim *s, const struct req *r, const char *verb, struct resp *out);
/* Whether a stream (for request path `path`) that has sent `lines` lines
 * since started_ms must be dropped now (lock held). */
bool fault_drop_stream(struct sim *s, const char *path, long lines, int64_t started_ms);
/* The log-stream faults that apply to a stream for request path `path`
 * (lock held); lines count from the end of the stream's opening lines. */
struct log_faults {
	long drop_after_lines; /* dropAfterLines; 0 = none */
	double drop_rate;      /* chance, per line, that the connection breaks in it */
	long stall_after_lines;
	long stall_ms; /* 0 = no stall */
};
void fault_log_stream(const struct sim *s, const char *path, struct log_faults *out);
/* A stream begins a stall: one fewer left under logStallCount (lock held). */
void fault_log_stall_taken(struct sim *s);
/* Follow streams' cap and log rotation in force: /sim/faults' settings
 * while set, else the options (lock held). */
long fault_log_follow_max_ms(const struct sim *s);
long fault_log_rotate_lines(const struct sim *s);
/* The /sim/ endpoints; takes the lock itself. */
void fault_handle(struct sim *s, const struct req *r, struct resp *out);

#endif
