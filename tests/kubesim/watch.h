/* Watch streams: one JSON event per line ({"type":...,"object":...}) from a
 * resourceVersion, filtered by namespace and selectors, with bookmarks,
 * timeoutSeconds, 410 Gone as an ERROR event when the history no longer
 * reaches back, and fault-injected drops. The reader blocks on the
 * simulator's condition variable, so it must run on the connection's own
 * thread (the HTTP server runs one thread per connection). */
#ifndef OPSDECK_KUBESIM_WATCH_H
#define OPSDECK_KUBESIM_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "restype.h"
#include "selector.h"
#include "sim.h"
#include "status.h"
#include "table.h"

struct watch_params {
	const struct restype *rt;
	const char *ns;		/* NULL: every namespace */
	struct selector sel;	/* moved into the watch */
	struct fieldsel fields; /* moved into the watch */
	bool rv_set;
	uint64_t rv;
	bool bookmarks;
	bool send_initial;
	long timeout_s;
	enum out_fmt fmt;
	const char *table_version;
	const char *include;
	const char *path; /* the request path, for fault injection */
};

struct watch;

/* Lock held. NULL with e set when the parameters cannot be served. */
struct watch *watch_open(struct sim *s, struct watch_params *p, struct apierr *e);
/* Lock not held. Bytes written, 0 at the end, -1 to drop the connection. */
ssize_t watch_read(struct watch *w, char *buf, size_t max);
void watch_close(struct watch *w);

#endif
