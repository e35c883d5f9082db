/* libFuzzer target: the error answers of a Kubernetes API server
 * (kube_status_parse, kube_error_describe). The body is read from a buffer
 * of exactly its length, with no NUL after it, so a read past the length
 * is caught. A Status gives its reason and message cleaned of control
 * characters; every answer gives one sentence without control characters
 * that names the HTTP status when no Status says more. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[] = {400, 401, 403, 404, 409, 410, 422, 429, 500, 503, 418, 302};
	struct kube_status st;
	struct err err = {{0}};
	char *body;
	long code;
	char num[32];

	if (size < 1)
		return 0;
	code = codes[data[0] % (sizeof(codes) / sizeof(codes[0]))];
	data++;
	size--;
	/* exactly size bytes: nothing to stop a read that ignores the length */
	body = malloc(size ? size : 1);
	if (!body)
		return 0;
	if (size)
		memcpy(body, data, size);
	if (kube_status_parse(body, size, &st)) {
		check_clean(st.reason);
		check_clean(st.message);
	} else if (st.code || st.reason[0] || st.message[0]) {
		abort(); /* not a Status: nothing filled */
	}
	kube_error_describe(code, body, size, &err);
	if (!err.msg[0])
		abort();
	check_clean(err.msg);
	snprintf(num, sizeof(num), "HTTP %ld", code);
	if (!kube_status_parse(body, size, &st) || (!st.message[0] && !st.reason[0])) {
		/* no Status that says why: the HTTP status says it */
		if (code != 401 && strncmp(err.msg, num, strlen(num)) != 0)
			abort();
		if (code == 401 && !strstr(err.msg, "Unauthorized"))
			abort();
	}
	free(body);
	return 0;
}
