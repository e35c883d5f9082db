/* Which failed answers of a cluster end a step at once (provision/answer.h):
 * refusals and a 500 that repeats itself; outages are waited out, and what
 * may pass is tried again. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "provision/answer.h"

#define TYPED_PATCH                                                                                \
	"failed to create typed patch object: .spec.ports: element 0: associative list with "      \
	"keys has an element that omits key field \"protocol\""

static enum answer_kind first(long status, const char *reason, const char *msg)
{
	return answer_classify(status, reason, msg, 0, NULL);
}

static void test_away(void **state)
{
	(void)state;
	assert_int_equal(first(0, "", "GET /api: cannot reach https://x: Connection refused"),
			 ANSWER_AWAY);
	assert_int_equal(first(502, "", "HTTP 502 Bad Gateway"), ANSWER_AWAY);
	assert_int_equal(first(503, "ServiceUnavailable", "unavailable"), ANSWER_AWAY);
	assert_int_equal(first(504, "", "HTTP 504 Gateway Timeout"), ANSWER_AWAY);
	/* even when it repeats itself */
	assert_int_equal(answer_classify(503, "", "x", 503, "x"), ANSWER_AWAY);
}

static void test_refusals(void **state)
{
	(void)state;
	assert_int_equal(first(400, "BadRequest", "bad"), ANSWER_DETERMINISTIC);
	assert_int_equal(first(401, "Unauthorized", "Unauthorized: no"), ANSWER_DETERMINISTIC);
	assert_int_equal(first(403, "Forbidden", "Forbidden: no"), ANSWER_DETERMINISTIC);
	assert_int_equal(first(404, "NotFound", "gone"), ANSWER_DETERMINISTIC);
	assert_int_equal(first(415, "UnsupportedMediaType", "no"), ANSWER_DETERMINISTIC);
	assert_int_equal(first(422, "Invalid", "Service \"x\" is invalid"), ANSWER_DETERMINISTIC);
	/* a create of what exists: the caller reads it instead, at once */
	assert_int_equal(first(409, "AlreadyExists", "secrets \"s\" already exists"),
			 ANSWER_DETERMINISTIC);
}

static void test_passing_4xx(void **state)
{
	(void)state;
	assert_int_equal(first(408, "", "HTTP 408"), ANSWER_TRANSIENT);
	assert_int_equal(first(409, "Conflict", "the object has been modified"), ANSWER_TRANSIENT);
	assert_int_equal(first(429, "TooManyRequests", "slow down"), ANSWER_TRANSIENT);
	/* repeated, they still may pass */
	assert_int_equal(answer_classify(409, "Conflict", "c", 409, "c"), ANSWER_TRANSIENT);
	assert_int_equal(answer_classify(429, "", "t", 429, "t"), ANSWER_TRANSIENT);
}

static void test_500_repeated(void **state)
{
	(void)state;
	/* the first 500 may be a blip */
	assert_int_equal(first(500, "", TYPED_PATCH), ANSWER_TRANSIENT);
	/* the same words on the immediate retry: it will not change */
	assert_int_equal(answer_classify(500, "", TYPED_PATCH, 500, TYPED_PATCH),
			 ANSWER_DETERMINISTIC);
	assert_int_equal(answer_classify(500, "InternalError", "Internal error occurred: x", 500,
					 "Internal error occurred: x"),
			 ANSWER_DETERMINISTIC);
}

static void test_500_varying(void **state)
{
	(void)state;
	assert_int_equal(answer_classify(500, "", "error A", 500, "error B"), ANSWER_TRANSIENT);
	/* the same words after a different status, or after no answer */
	assert_int_equal(answer_classify(500, "", "x", 409, "x"), ANSWER_TRANSIENT);
	assert_int_equal(answer_classify(500, "", "x", 0, NULL), ANSWER_TRANSIENT);
	assert_int_equal(answer_classify(500, "", "x", 500, NULL), ANSWER_TRANSIENT);
	assert_int_equal(answer_classify(500, "", NULL, 500, NULL), ANSWER_TRANSIENT);
}

static void test_500_that_passes(void **state)
{
	(void)state;
	/* timeouts and the storage layer pass, however often said alike */
	assert_int_equal(answer_classify(500, "ServerTimeout", "t", 500, "t"), ANSWER_TRANSIENT);
	assert_int_equal(answer_classify(500, "Timeout", "t", 500, "t"), ANSWER_TRANSIENT);
	assert_int_equal(answer_classify(500, "", "etcdserver: request timed out", 500,
					 "etcdserver: request timed out"),
			 ANSWER_TRANSIENT);
	/* other 5xx are not judged by their words */
	assert_int_equal(answer_classify(507, "", "full", 507, "full"), ANSWER_TRANSIENT);
	assert_int_equal(answer_classify(501, "", "n", 501, "n"), ANSWER_TRANSIENT);
}

static void test_explain(void **state)
{
	char out[200];

	(void)state;
	answer_explain(ANSWER_DETERMINISTIC, 500, 2, out, sizeof(out));
	assert_string_equal(out, "HTTP 500 with the same message on the immediate retry, "
				 "an answer that does not change");
	answer_explain(ANSWER_DETERMINISTIC, 422, 1, out, sizeof(out));
	assert_string_equal(out, "HTTP 422, a refusal that the same request gets again");
	answer_explain(ANSWER_TRANSIENT, 500, 5, out, sizeof(out));
	assert_string_equal(out, "HTTP 500 on each of 5 tries");
	answer_explain(ANSWER_TRANSIENT, 409, 1, out, sizeof(out));
	assert_string_equal(out, "HTTP 409");
	answer_explain(ANSWER_DETERMINISTIC, 500, 2, out, 10);
	assert_int_equal(strlen(out), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_away),	cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_passing_4xx), cmocka_unit_test(test_500_repeated),
	    cmocka_unit_test(test_500_varying), cmocka_unit_test(test_500_that_passes),
	    cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests_name("answer", tests, NULL, NULL);
}
