#include "config.h"

#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static char home[512];

const char *testutil_setup_home(void)
{
	const char *tmp = getenv("TMPDIR");

	if (!getenv("OPSDECK_DATADIR"))
		setenv("OPSDECK_DATADIR", OPSDECK_TEST_SRCDIR, 1);
	snprintf(home, sizeof(home), "%s/opsdeck-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(home))
		fatal("mkdtemp %s: %s", home, strerror(errno));
	setenv("XDG_CONFIG_HOME", home, 1);
	return home;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void testutil_teardown_home(void)
{
	if (home[0])
		nftw(home, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	home[0] = '\0';
}

static void mkdirs_for(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			fatal("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	free(p);
}

char *testutil_write(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", home, rel);
	FILE *f;

	mkdirs_for(path);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		fatal("cannot write %s", path);
	return path;
}

void testutil_remove(const char *rel)
{
	char *path = xasprintf("%s/%s", home, rel);

	unlink(path);
	free(path);
}

bool testutil_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}
