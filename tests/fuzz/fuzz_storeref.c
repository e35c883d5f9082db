/* libFuzzer target: what an operator types for a store (store_ref_pick
 * and store_ref_pick_any, the rule of db/storeref.h) on a fixed list of
 * live and deleted stores. Any text: a store found answers to it (its id,
 * its name or PROJECT/NAME, or an id prefix of at least 4), a live one
 * is found whenever exactly one live store answers by name, and a deleted
 * one only by pick_any or by its full id; a refusal is one line without
 * control characters. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/storeref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store rows[] = {
    {.id = "4f1c2a9be310", .name = "web", .project = "acme", .status = "Ready"},
    {.id = "4f1c77000001", .name = "outlet", .project = "acme", .status = "Paused"},
    {.id = "9a0b7c3d2e11", .name = "web", .project = "shop", .status = "Ready"},
    {.id = "c0ffee000001", .name = "c0ffee00", .project = "shop", .status = "Ready"},
    {.id = "e10000000001", .name = "stage1", .project = "shop", .status = "Deleted",
     .updated_at = "2026-11-30T09:15:00Z"},
    {.id = "e10000000002", .name = "stage1", .project = "shop", .status = "Deleted",
     .updated_at = "2026-12-02T11:30:59Z"},
    {.id = "e20000000001", .name = "web", .project = "acme", .status = "Deleted",
     .updated_at = "2026-10-01T00:00:00Z"},
    {.id = "e30000000001", .name = "gone", .project = "acme", .status = "Deleted",
     .updated_at = ""},
};
static const struct store_list list = {rows, sizeof(rows) / sizeof(rows[0])};

static bool answers(const struct store *s, const char *ref)
{
	const char *slash = strchr(ref, '/');
	size_t n = strlen(ref);

	if (strcmp(s->id, ref) == 0 || strcmp(s->name, ref) == 0)
		return true;
	if (slash && strncmp(s->project, ref, (size_t)(slash - ref)) == 0 &&
	    s->project[slash - ref] == '\0' && strcmp(s->name, slash + 1) == 0)
		return true;
	return n >= STORE_REF_MIN_PREFIX && strspn(ref, "0123456789abcdef") == n &&
	       strncmp(s->id, ref, n) == 0;
}

static void check(const char *ref, bool any)
{
	struct err err = {{0}};
	const struct store *s = any ? store_ref_pick_any(&list, ref, &err)
				    : store_ref_pick(&list, ref, &err);

	if (s) {
		if (err_isset(&err) || !answers(s, ref))
			abort();
		if (strcmp(s->status, "Deleted") == 0 && !any && strcmp(s->id, ref) != 0)
			abort();
		return;
	}
	if (!err_isset(&err) || !err.msg[0])
		abort();
	for (const char *p = err.msg; *p; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			abort();
	}
	/* exactly one live store of that name is never refused */
	if (!strchr(ref, '/')) {
		size_t live = 0;

		for (size_t i = 0; i < list.n; i++)
			live += strcmp(rows[i].status, "Deleted") != 0 &&
				strcmp(rows[i].name, ref) == 0;
		if (live == 1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ref[256];

	if (size >= sizeof(ref))
		return 0;
	memcpy(ref, data, size);
	ref[size] = '\0';
	check(ref, false);
	check(ref, true);
	return 0;
}
