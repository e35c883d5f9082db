/* A store's credentials from its Secret object: each key decoded, found,
 * absent or unreadable; the base64 text of the answer wiped once decoded;
 * printable values told from the others. */
#include "config.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provision/credentials.h"

/* A Secret whose data holds db_password "Abc123" (QWJjMTIz), admin_password
 * "x\ny" (eAp5: a newline), jwt_secret not base64, cookie_secret empty;
 * db_root_password absent; and a key opsdeck does not write. */
static json_t *sample(void)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "kind", "Secret", "data",
			 "db_password", "QWJjMTIz", "admin_password", "eAp5", "jwt_secret", "@@@",
			 "cookie_secret", "", "other", "b3RoZXI=");
}

static void test_decode(void **state)
{
	json_t *s = sample();
	char out[16];

	(void)state;
	assert_int_equal(credentials_decode(s, "db_password", out, sizeof(out)), CREDENTIAL_FOUND);
	assert_string_equal(out, "Abc123");
	memset(out, 'z', sizeof(out));
	assert_int_equal(credentials_decode(s, "db_root_password", out, sizeof(out)),
			 CREDENTIAL_ABSENT);
	assert_int_equal(out[0], '\0'); /* wiped, not left as it was */
	assert_int_equal(credentials_decode(s, "jwt_secret", out, sizeof(out)), CREDENTIAL_INVALID);
	assert_int_equal(credentials_decode(s, "cookie_secret", out, sizeof(out)),
			 CREDENTIAL_INVALID);
	/* "Abc123" needs 7 bytes with its NUL: 6 is too few, and nothing is
	 * written past the buffer */
	memset(out, 'z', sizeof(out));
	assert_int_equal(credentials_decode(s, "db_password", out, 6), CREDENTIAL_INVALID);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[6], 'z');
	assert_int_equal(credentials_decode(s, "db_password", out, 7), CREDENTIAL_FOUND);
	assert_int_equal(credentials_decode(json_null(), "db_password", out, sizeof(out)),
			 CREDENTIAL_ABSENT);
	json_decref(s);
}

static void test_from_secret(void **state)
{
	json_t *s = sample();
	struct credentials *c = malloc(sizeof(*c));
	const char *b64;
	json_t *data;

	(void)state;
	assert_non_null(c);
	credentials_from_secret(c, s);
	assert_int_equal(c->found, 2);
	for (size_t i = 0; i < CREDENTIALS_NKEYS; i++)
		assert_string_equal(c->v[i].key, credentials_keys[i]);
	assert_string_equal(credentials_keys[0], "db_password");
	assert_int_equal(c->v[0].state, CREDENTIAL_FOUND);
	assert_string_equal(c->v[0].value, "Abc123");
	assert_int_equal(c->v[0].len, 6);
	assert_true(credentials_printable(&c->v[0]));
	assert_int_equal(c->v[1].state, CREDENTIAL_ABSENT); /* db_root_password */
	assert_string_equal(c->v[1].value, "");
	assert_int_equal(c->v[2].state, CREDENTIAL_FOUND); /* admin_password */
	assert_string_equal(c->v[2].value, "x\ny");
	assert_false(credentials_printable(&c->v[2]));
	assert_int_equal(c->v[3].state, CREDENTIAL_INVALID);
	assert_int_equal(c->v[4].state, CREDENTIAL_INVALID);
	/* the answer's base64 text is wiped, every key of it, same length */
	data = json_object_get(s, "data");
	b64 = json_string_value(json_object_get(data, "db_password"));
	assert_int_equal(strlen(b64), 0);
	assert_int_equal(json_string_length(json_object_get(data, "other")), 8);
	assert_int_equal(strlen(json_string_value(json_object_get(data, "other"))), 0);
	/* the words for what is not shown, and the width that aligns values */
	assert_string_equal(credentials_state_words(c->v[1].state), "(not in the secret)");
	assert_string_equal(credentials_state_words(CREDENTIAL_FOUND), "");
	assert_int_equal(credentials_key_width(), (int)strlen("db_root_password"));
	credentials_free(c);
	credentials_free(NULL);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_from_secret),
	};

	return cmocka_run_group_tests_name("credentials", tests, NULL, NULL);
}
