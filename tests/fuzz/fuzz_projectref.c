/* libFuzzer target: what an operator types for a project's end date
 * (project_check_date) and for a project (project_list_find, the rule of
 * db/ref.h). Any bytes: a date is accepted exactly when it is a real day
 * written YYYY-MM-DD in 1970-9999 (checked against timegm/gmtime), and a
 * refusal says why in words; a reference finds the project whose slug it
 * is, else the one project whose name it is in any ASCII case, else
 * refuses with `no project` or `several projects`. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/projects.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool real_day(const char *s)
{
	struct tm tm = {0}, want, back;
	time_t t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	}
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = 12;
	if (tm.tm_year < 70)
		return false;
	want = tm; /* timegm normalises tm itself */
	t = timegm(&tm);
	if (!gmtime_r(&t, &back))
		return false;
	return back.tm_year == want.tm_year && back.tm_mon == want.tm_mon &&
	       back.tm_mday == want.tm_mday;
}

static void check_date(const char *s)
{
	struct err err = {{0}};
	bool ok = project_check_date(s, "end date", &err);

	if (ok != real_day(s) || ok != project_valid_date(s))
		abort();
	if (!ok && (!err_isset(&err) ||
		    (!strstr(err.msg, "is not a date") && !strstr(err.msg, "write it YYYY-MM-DD"))))
		abort();
}

static void check_ref(const char *ref)
{
	static char *slugs[] = {"shop", "acme-shop", "old", "web"};
	static char *names[] = {"Shop", "shop", "Old Shop", "WEB"};
	struct project v[4];
	struct project_list l = {v, 4};
	struct err err = {{0}};
	const struct project *p;
	size_t by_name = 0;

	memset(v, 0, sizeof(v));
	for (size_t i = 0; i < 4; i++) {
		v[i].slug = slugs[i];
		v[i].name = names[i];
	}
	p = project_list_find(&l, ref, &err);
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(slugs[i], ref) == 0) {
			if (p != &v[i])
				abort();
			return;
		}
	}
	for (size_t i = 0; i < 4; i++)
		by_name += db_valid_name(ref, 200) && strcasecmp(names[i], ref) == 0;
	if (by_name == 1 ? p == NULL || strcasecmp(p->name, ref) != 0 : p != NULL)
		abort();
	if (!p && strncmp(err.msg, by_name > 1 ? "several projects" : "no project", 10) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_date(s);
	check_ref(s);
	free(s);
	return 0;
}
