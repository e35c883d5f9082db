/* libFuzzer target: kubesim's reading of a pod log request's sinceTime
 * (logs_since_time() in tests/kubesim/logs.h). Any text is refused, or is
 * no time ("" or "null"), or is a time cut to its second that kubesim's
 * own RFC 3339 reader also accepts and that reads back the same once
 * formatted. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[128], again[40];
	int64_t ns = 0, full, back = 0;
	bool set = false, set2 = false;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!logs_since_time(text, &ns, &set))
		return 0;
	if (!set) {
		if (text[0] && strcmp(text, "null") != 0)
			abort();
		return 0;
	}
	if (ns % 1000000000LL != 0 || !sim_parse_time(text, &full) || full - ns < 0 ||
	    full - ns >= 1000000000LL)
		abort();
	sim_fmt_time(ns / 1000000, again);
	if (!logs_since_time(again, &back, &set2) || !set2 || back != ns)
		abort();
	return 0;
}
