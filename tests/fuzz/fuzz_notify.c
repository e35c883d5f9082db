/* libFuzzer target: NOTIFY payloads on the database's change channel
 * (db_notify_parse, what the console's live lists are told; anyone who
 * can connect may NOTIFY). The first byte chooses the channel. A payload
 * is taken exactly when it is a JSON object of at most 1024 bytes on
 * channel "opsdeck" naming a known table, an insert, update or delete and
 * a key of 1 to 128 printable characters; the store it names, if any, is
 * printable too. See README.md. */
#include "config.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++) {
		if (strcmp(s, *set) == 0)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tables[] = {
	    "customers", "projects", "offerings",	  "plans", "clusters", "stores", "jobs",
	    "job_steps", "events",   "schema_migrations", NULL};
	static const char *const ops[] = {"insert", "update", "delete", NULL};
	static const char *const channels[] = {"opsdeck", "opsdeck ", "other"};
	struct db_event ev;
	json_t *hold, *j;
	const char *channel, *t, *o, *k;
	char *payload;
	bool want, got;

	if (size < 1)
		return 0;
	channel = channels[data[0] % 3];
	payload = strndup((const char *)data + 1, size - 1);
	if (!payload)
		return 0;
	/* what the rules say, read independently */
	j = strlen(payload) <= 1024 ? json_loads(payload, JSON_REJECT_DUPLICATES, NULL) : NULL;
	t = json_string_value(json_object_get(j, "table"));
	o = json_string_value(json_object_get(j, "op"));
	k = json_string_value(json_object_get(j, "key"));
	want = strcmp(channel, "opsdeck") == 0 && t && o && k && one_of(t, tables) &&
	       one_of(o, ops) && printable(k, 128);
	got = db_notify_parse(channel, payload, &ev, &hold);
	if (got != want || (!got && hold))
		abort();
	if (got) {
		if (ev.kind != DB_EVENT_CHANGE || strcmp(ev.table, t) != 0 ||
		    strcmp(ev.op, o) != 0 || strcmp(ev.key, k) != 0)
			abort();
		if (ev.store && !printable(ev.store, 128))
			abort();
		json_decref(hold);
	}
	json_decref(j);
	free(payload);
	return 0;
}
