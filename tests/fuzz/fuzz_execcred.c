/* libFuzzer target: the output of an exec credential plugin
 * (execcred_parse) and RFC 3339 times (execcred_parse_time). The first
 * byte chooses the apiVersion the kubeconfig asks for. An accepted answer
 * carries a token fit for a header line (no control character) or a PEM
 * certificate and key, and an expiry that execcred_parse_time gives for its
 * timestamp; a refusal is a sentence without control characters that never
 * quotes the token. A time is accepted only if it names a real instant,
 * the one timegm gives for its date and time minus its offset. See
 * README.md. */
#include "config.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/execcred.h"

/* The message names the token only if it is made of the same words with
 * another token of the same shape: letters and digits shifted by one. */
static void check_not_quoted(json_t *root, const char *token, const char *api, const char *msg)
{
	char *other = strdup(token), *text;
	struct execcred c;
	struct err err = {{0}};

	for (char *p = other; *p; p++) {
		if ((*p >= 'a' && *p < 'z') || (*p >= 'A' && *p < 'Z') || (*p >= '0' && *p < '9'))
			(*p)++;
		else if (*p == 'z' || *p == 'Z' || *p == '9')
			*p = *p == '9' ? '0' : (char)(*p - 25);
	}
	json_object_set_new(json_object_get(root, "status"), "token", json_string(other));
	text = json_dumps(root, 0);
	if (execcred_parse(text, strlen(text), api, &c, &err) || strcmp(err.msg, msg) != 0)
		abort();
	free(text);
	free(other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			abort();
	}
}

/* The instant an RFC 3339 time names, by timegm (fields already checked
 * for form by the parser under test; this checks its arithmetic). */
static void check_time(const char *s)
{
	struct tm tm = {0};
	time_t t, want;
	const char *p;
	long off = 0;

	if (!execcred_parse_time(s, &t))
		return;
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		abort();
	want = timegm(&tm);
	p = s + 19;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == '+' || *p == '-') {
		off = atol(p + 1) * 3600 + atol(p + 4) * 60;
		if (*p == '-')
			off = -off;
	} else if (*p != 'Z' && *p != 'z') {
		abort();
	}
	if (t != want - off)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = {"client.authentication.k8s.io/v1",
					       "client.authentication.k8s.io/v1beta1"};
	struct execcred c;
	struct err err = {{0}};
	const char *api;
	char *text;
	json_t *root;
	const char *token = NULL, *exp = NULL;

	if (size < 1)
		return 0;
	api = versions[data[0] & 1];
	data++;
	size--;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_time(text);

	root = json_loadb(text, size, 0, NULL);
	token = json_string_value(json_object_get(json_object_get(root, "status"), "token"));
	exp = json_string_value(
	    json_object_get(json_object_get(root, "status"), "expirationTimestamp"));
	if (execcred_parse(text, size, api, &c, &err)) {
		time_t t;

		if (!c.token && !c.client_cert.data)
			abort();
		if (c.token) {
			check_clean(c.token);
			if (!token || strcmp(c.token, token) != 0)
				abort();
		}
		if (!!c.client_cert.data != !!c.client_key.data ||
		    (c.client_cert.data &&
		     (!strstr((char *)c.client_cert.data, "-----BEGIN CERTIFICATE-----") ||
		      !strstr((char *)c.client_key.data, "PRIVATE KEY-----"))))
			abort();
		if (exp ? !execcred_parse_time(exp, &t) || t != c.expiry : c.expiry != 0)
			abort();
		if (err.msg[0])
			abort();
		execcred_clear(&c);
	} else {
		if (!err.msg[0] || c.token || c.client_cert.data || c.client_key.data)
			abort();
		check_clean(err.msg);
		if (token && token[0] && strstr(err.msg, token))
			check_not_quoted(root, token, api, err.msg);
	}
	json_decref(root);
	free(text);
	return 0;
}
