/* libFuzzer target: what db/jobq.h reads -- a job id an operator types
 * (jobq_parse_id) and the cells of a job row and a counts row, the input
 * split at 0x1f bytes (a 0x1e cell standing for SQL NULL). An id is
 * accepted exactly when it is a positive whole number, after an optional
 * '#'; a row either parses into a job with a known state and its own copy
 * of the last error, or is refused in words; a counts row adds only to a
 * known state and kind. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/jobq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *p;
	const char *cells[JOBQ_LIST_COLS];
	size_t n = 0;
	struct jobq_job j;
	struct jobq_counts c;
	struct err err = {{0}};
	long id;
	char buf[600];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (jobq_parse_id(text, &id) && id < 1)
		abort();
	for (p = text; n < JOBQ_LIST_COLS;) {
		char *sep = strchr(p, 0x1f);

		if (sep)
			*sep = '\0';
		cells[n++] = strcmp(p, "\x1e") == 0 ? NULL : p;
		if (!sep)
			break;
		p = sep + 1;
	}
	if (jobq_parse_row(cells, n, &j, &err)) {
		struct jobq_limits lim = {300, 600};

		if (jobq_state_index(j.state) < 0 || !j.last_error)
			abort();
		jobq_job_age(&j, 5);
		jobq_alert_text(&j, &lim, buf, sizeof(buf));
		jobq_when_text(&j, buf, sizeof(buf));
		jobq_job_free(&j);
	} else if (!err.msg[0]) {
		abort();
	}
	jobq_counts_init(&c);
	if (n >= JOBQ_COUNTS_COLS && jobq_counts_add(&c, cells, JOBQ_COUNTS_COLS, &err)) {
		if (jobq_state_index(cells[1]) < 0 || jobq_kind_index(cells[0]) < 0)
			abort();
		jobq_counts_text(&c, buf, sizeof(buf));
		jobq_counts_kinds_text(&c, buf, sizeof(buf));
	}
	free(text);
	return 0;
}
