/* libFuzzer target: base64 (b64_decode, b64_decode_prefix, b64_encode) and the decoding of a
 * store's credentials Secret (credentials_from_secret). After a first
 * byte that chooses: even, the input is base64 text and raw bytes at once
 * (decoding what was encoded gives the bytes back; what decodes, encodes
 * and decodes to the same bytes, of the length its digits make); odd, the
 * input is a Secret as JSON: a key is FOUND exactly when its data value
 * decodes to 1..CREDENTIALS_MAX_VALUE bytes and no NUL, its value and length being
 * those bytes, and every data value is wiped afterwards. See README.md. */
#include "config.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "provision/credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_b64(const uint8_t *data, size_t size)
{
	char *enc = b64_encode(data, size);
	unsigned char *dec = NULL, *again = NULL;
	size_t n, m, digits = 0;

	unsigned char head[64];
	size_t k;

	if (strlen(enc) != (size + 2) / 3 * 4 || !b64_decode(enc, strlen(enc), &dec, &n) ||
	    n != size || memcmp(dec, data, size) != 0 || dec[n] != '\0')
		abort();
	/* the head of an encoding is the head of the data, padding or not */
	k = b64_decode_prefix(enc, strlen(enc), head, sizeof(head));
	if (k != (size < sizeof(head) ? size : sizeof(head)) || memcmp(head, data, k) != 0)
		abort();
	free(enc);
	free(dec);

	if (!b64_decode((const char *)data, size, &dec, &n)) {
		if (dec || n)
			abort();
		return;
	}
	for (size_t i = 0; i < size; i++)
		digits += strchr("\n\r \t=", data[i]) == NULL;
	if (n != digits * 3 / 4 || dec[n] != '\0')
		abort();
	enc = b64_encode(dec, n);
	if (!b64_decode(enc, strlen(enc), &again, &m) || m != n || memcmp(again, dec, n) != 0)
		abort();
	free(enc);
	free(dec);
	free(again);
}

static void check_secret(const uint8_t *data, size_t size)
{
	json_t *secret = json_loadb((const char *)data, size, 0, NULL);
	json_t *values = json_object_get(secret, "data");
	json_t *copy = json_deep_copy(values);
	struct credentials *c = malloc(sizeof(*c));
	const char *k;
	json_t *v;
	size_t found = 0;

	credentials_from_secret(c, secret);
	for (size_t i = 0; i < CREDENTIALS_NKEYS; i++) {
		const struct credential *e = &c->v[i];
		const char *text = json_string_value(json_object_get(copy, credentials_keys[i]));
		unsigned char *raw = NULL;
		size_t n = 0;
		bool ok = text && b64_decode(text, strlen(text), &raw, &n) && n > 0 &&
			  n <= CREDENTIALS_MAX_VALUE && !memchr(raw, '\0', n);

		if (e->key != credentials_keys[i])
			abort();
		if (!text ? e->state != CREDENTIAL_ABSENT
			  : e->state != (ok ? CREDENTIAL_FOUND : CREDENTIAL_INVALID))
			abort();
		if (ok && (e->len != n || memcmp(e->value, raw, n) != 0 || e->value[n] != '\0'))
			abort();
		if (!ok && (e->len != 0 || e->value[0] != '\0'))
			abort();
		found += ok;
		free(raw);
	}
	if (found != c->found)
		abort();
	json_object_foreach(values, k, v)
	{
		const char *s = json_string_value(v);

		for (size_t i = 0; s && i < json_string_length(v); i++) {
			if (s[i] != '\0')
				abort();
		}
	}
	credentials_free(c);
	json_decref(copy);
	json_decref(secret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		check_secret(data + 1, size - 1);
	else
		check_b64(data + 1, size - 1);
	return 0;
}
