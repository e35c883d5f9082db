/* libFuzzer target: kubesim's readers of Kubernetes protobuf request
 * bodies (tests/kubesim/pbobj.h, review.h). Any bytes give an object or an
 * error with an HTTP code, never both; an object is a JSON object naming
 * its kind, and the error is 400 (malformed) or 415 (a kind kubesim does
 * not read). See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pbobj.h"
#include "review.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(json_t *obj, struct apierr *e)
{
	if (obj) {
		if (apierr_isset(e) || !json_is_object(obj))
			abort();
		json_decref(obj);
	} else if (!apierr_isset(e) || (e->code != 400 && e->code != 415)) {
		abort();
	}
	apierr_clear(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apierr e;
	json_t *obj;

	memset(&e, 0, sizeof(e));
	obj = pbobj_decode(data, size, &e);
	if (obj && !json_is_string(json_object_get(obj, "kind")))
		abort();
	check(obj, &e);
	check(review_access_from_protobuf(data, size, &e), &e);
	check(review_rules_from_protobuf(data, size, &e), &e);
	return 0;
}
