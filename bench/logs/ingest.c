/* The console's log ingestion without the network: LINES lines (default
 * 1,000,000) of a web container's log, as the kubelet sends them with
 * timestamps=true (kubesim's access-log lines), go in reads of 16 KiB
 * through what a Logs pane does with each: the line splitter, the resume
 * de-duplication, the ring at the given bounds (default: the settings'
 * defaults, 100,000 lines / 64 MiB) and the filter feed with no filter.
 * Prints lines/s of ingestion, the lines and payload bytes the ring holds
 * at the end, and the peak RSS of the process with its growth over the
 * start. Then, after the RSS is read, the time of merging a late read of
 * a store's history into the full ring (log_ring_merge): MERGE_READS
 * reads of LOG_HISTORY_MAX_ROWS lines, each spread over the time the
 * ring holds, so that every held line after the first moves.
 *
 *   bench/logs/ingest [LINES [MAX_LINES [MAX_BYTES]]] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logs/history.h"
#include "logs/query.h"
#include "logs/resume.h"
#include "logs/ring.h"
#include "logs/splitter.h"

#define READ_SIZE (16u * 1024u)
#define MERGE_READS 5

struct sink {
	struct log_resume rs;
	struct log_ring *ring;
	struct log_grep grep;
	uint64_t shown;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmHWM or VmRSS of this process, in KiB. */
static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(field);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void on_shown(uint64_t n, enum log_mark mark, bool gap, void *ud)
{
	struct sink *k = ud;

	(void)n, (void)mark, (void)gap;
	k->shown++;
}

static void on_line(const struct log_line *l, void *ud)
{
	struct sink *k = ud;
	uint64_t n;

	if (!log_resume_accept(&k->rs, l->ts_ns))
		return;
	n = log_ring_push(k->ring, 0, l->ts_ns, l->text, l->len);
	log_grep_feed(&k->grep, k->ring, n, on_shown, k);
}

/* Line seq of the log, as kubesim's web images write it, stamped ts. */
static size_t make_line(char *out, size_t size, uint64_t seq, int64_t ts)
{
	static const char *const paths[] = {
	    "/", "/cart", "/product/442", "/health", "/wp-admin/admin-ajax.php", "/checkout"};
	static const char *const agents[] = {"curl/8.5.0", "Googlebot/2.1",
					     "Mozilla/5.0 (X11; Linux x86_64)"};
	char when[LOG_TIME_SIZE];
	uint64_t h = seq * 0x9e3779b97f4a7c15ULL;
	int len;

	log_time_format(ts, true, when);
	len = snprintf(out, size,
		       "%s 10.244.%u.%u - - [03/Dec/2026:12:18:36 +0000] \"GET %s HTTP/1.1\" %u "
		       "%u \"-\" \"%s\" seq=%llu\n",
		       when, (unsigned)(h >> 8) % 4, (unsigned)(h >> 16) % 250 + 2,
		       paths[(h >> 24) % 6], (h >> 32) % 5 ? 200u : 304u,
		       (unsigned)(h >> 40) % 60000 + 200, agents[(h >> 48) % 3],
		       (unsigned long long)seq);
	return len > 0 && (size_t)len < size ? (size_t)len : 0;
}

int main(int argc, char **argv)
{
	unsigned long long lines = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t max_lines = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
	size_t max_bytes = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
	struct log_filter filter;
	struct log_splitter sp;
	struct sink k;
	char *block = malloc(READ_SIZE + 1024);
	int64_t ts = 1796284912000000000LL;
	uint64_t payload = 0, seq = 1;
	double t0, spent = 0;
	long rss0;

	if (!block || lines == 0)
		return 2;
	log_filter_init(&filter);
	log_splitter_init(&sp);
	sp.by_len = true; /* as a session reads its lines */
	log_resume_init(&k.rs);
	k.ring = log_ring_new(max_lines, max_bytes);
	log_grep_init(&k.grep, &filter);
	k.shown = 0;
	rss0 = status_kib("VmRSS");
	while (seq <= lines) {
		size_t used = 0;

		/* a read's worth of lines, made outside the timing */
		while (seq <= lines && used < READ_SIZE) {
			used += make_line(block + used, READ_SIZE + 1024 - used, seq, ts);
			seq++;
			ts += 1000; /* a microsecond apart */
		}
		payload += used;
		t0 = now_s();
		log_splitter_feed(&sp, block, used, on_line, &k);
		spent += now_s() - t0;
	}
	printf("lines %llu (%llu bytes with timestamps) in %.3f s: %.0f lines/s\n", lines,
	       (unsigned long long)payload, spent, (double)lines / spent);
	printf("ring: %zu lines, %zu bytes of text held, %llu evicted; %llu lines shown\n",
	       log_ring_count(k.ring), log_ring_bytes(k.ring),
	       (unsigned long long)log_ring_evicted(k.ring), (unsigned long long)k.shown);
	printf("RSS: %ld KiB at the start, peak %ld KiB; peak / held bytes %.2f, growth / held "
	       "bytes %.2f\n",
	       rss0, status_kib("VmHWM"),
	       status_kib("VmHWM") * 1024.0 / (double)log_ring_bytes(k.ring),
	       (status_kib("VmHWM") - rss0) * 1024.0 / (double)log_ring_bytes(k.ring));
	{
		struct log_ring_line *late = calloc(LOG_HISTORY_MAX_ROWS, sizeof(*late));
		char(*text)[64] = calloc(LOG_HISTORY_MAX_ROWS, sizeof(*text));
		double least = 1e9, most = 0;

		if (!late || !text)
			return 2;
		for (int m = 0; m < MERGE_READS; m++) {
			int64_t from = log_ring_get(k.ring, log_ring_first(k.ring))->ts_ns;
			int64_t to = log_ring_get(k.ring, log_ring_end(k.ring) - 1)->ts_ns;
			double took;

			for (size_t i = 0; i < LOG_HISTORY_MAX_ROWS; i++) {
				late[i].ts_ns =
				    from + (to - from) / LOG_HISTORY_MAX_ROWS * (int64_t)i + 1;
				late[i].source = LOG_HISTORY_EVENTS;
				late[i].len =
				    (size_t)snprintf(text[i], sizeof(text[i]),
						     "store.scale by alice: %d of %zu", m, i);
				late[i].text = text[i];
			}
			t0 = now_s();
			log_ring_merge(k.ring, late, LOG_HISTORY_MAX_ROWS, NULL);
			took = now_s() - t0;
			least = took < least ? took : least;
			most = took > most ? took : most;
		}
		printf("merge: %d reads of %d history lines among %zu held: %.1f-%.1f ms each\n",
		       MERGE_READS, LOG_HISTORY_MAX_ROWS, log_ring_count(k.ring), least * 1e3,
		       most * 1e3);
		free(text);
		free(late);
	}
	log_ring_free(k.ring);
	log_splitter_free(&sp);
	log_filter_free(&filter);
	free(block);
	return 0;
}
