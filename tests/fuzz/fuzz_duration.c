/* libFuzzer target: what an operator gives `opsdeck logs --since`
 * (log_duration_parse). Any text: accepted exactly when it is, after an
 * optional plus sign, one or more NUMBER UNIT pairs (digits with at most
 * one point, a digit on some side of it; ms, s, m or h), its value above
 * zero and within the bound, and then read as that value rounded up to a
 * whole second; well-formed but zero or past the bound is out of range;
 * anything else is no duration. See README.md. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs/splitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BOUND 3600L

/* The reference reading, by another route (strtold on each number): the
 * value in milliseconds. False when the text is no duration. */
static bool reference(const char *s, long double *ms)
{
	*ms = 0;
	if (*s == '+')
		s++;
	if (!*s)
		return false;
	while (*s) {
		size_t ip = strspn(s, "0123456789"), fp = 0, n = ip;
		char num[128];
		long double v;

		if (s[ip] == '.') {
			fp = strspn(s + ip + 1, "0123456789");
			n = ip + 1 + fp;
		}
		if (ip + fp == 0)
			return false;
		memcpy(num, s, n); /* n < sizeof(num): the text is shorter */
		num[n] = '\0';
		v = strtold(num, NULL);
		s += n;
		if (strncmp(s, "ms", 2) == 0)
			*ms += v, s += 2;
		else if (*s == 's')
			*ms += v * 1000, s++;
		else if (*s == 'm')
			*ms += v * 60000, s++;
		else if (*s == 'h')
			*ms += v * 3600000, s++;
		else
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[128];
	long v = -1;
	long double ms;
	enum log_duration d;
	bool well_formed;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (strlen(text) != size)
		return 0;
	d = log_duration_parse(text, BOUND, &v);
	well_formed = reference(text, &ms);
	if (!well_formed) {
		if (d != LOG_DURATION_BAD || v != -1)
			abort();
		return 0;
	}
	/* the two readings round differently only right at a whole second
	 * or at the bound: those are left alone */
	if (fabsl(ms - BOUND * 1000.0L) < 1e-6L || fabsl(ms) < 1e-9L ||
	    fabsl(ms / 1000 - roundl(ms / 1000)) < 1e-9L)
		return 0;
	if (ms > BOUND * 1000.0L || ms <= 0) {
		if (d != LOG_DURATION_OUT_OF_RANGE || v != -1)
			abort();
		return 0;
	}
	if (d != LOG_DURATION_OK || v != (long)ceill(ms / 1000))
		abort();
	return 0;
}
