#include "config.h"

#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

static char *xdg_dir(const char *var, const char *fallback)
{
	const char *x = getenv(var);

	/* The spec says relative values are invalid and must be ignored. */
	if (x && x[0] == '/')
		return xasprintf("%s/opsdeck", x);
	return xasprintf("%s/%s/opsdeck", home_dir(), fallback);
}

char *paths_config_dir(void)
{
	return xdg_dir("XDG_CONFIG_HOME", ".config");
}

char *paths_state_dir(void)
{
	return xdg_dir("XDG_STATE_HOME", ".local/state");
}

char *paths_config_file(void)
{
	char *dir = paths_config_dir();
	char *p = xasprintf("%s/config.yaml", dir);

	free(dir);
	return p;
}

char *paths_data_dir(void)
{
	const char *d = getenv("OPSDECK_DATADIR");

	if (d && *d)
		return xstrdup(d);
	return xstrdup(OPSDECK_PKGDATADIR);
}

bool paths_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static char *existing(char *path)
{
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

char *paths_find_data(const char *kind, const char *name, bool shipped_only)
{
	char *dir, *p = NULL;

	if (!paths_valid_name(name))
		return NULL;
	if (!shipped_only) {
		dir = paths_config_dir();
		p = existing(xasprintf("%s/%s/%s.yaml", dir, kind, name));
		free(dir);
		if (p)
			return p;
	}
	dir = paths_data_dir();
	p = existing(xasprintf("%s/%s/%s.yaml", dir, kind, name));
	free(dir);
	return p;
}

bool paths_write_atomic(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0) {
		free(tmp);
		return false;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		free(tmp);
		return false;
	}
	free(tmp);
	return true;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return false;
}

static void list_dir(const char *dir, char ***list, size_t *n, size_t *cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *stem;

		if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		stem = xstrndup(e->d_name, len - 5);
		if (!paths_valid_name(stem)) {
			free(stem);
			continue;
		}
		*list = xgrow(*list, cap, *n + 1, sizeof(**list));
		(*list)[(*n)++] = stem;
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t paths_list_data(const char *kind, char ***out)
{
	char **list = NULL;
	size_t n = 0, cap = 0, j = 0;
	char *base = paths_config_dir(), *dir = xasprintf("%s/%s", base, kind);

	list_dir(dir, &list, &n, &cap);
	free(dir);
	free(base);
	base = paths_data_dir();
	dir = xasprintf("%s/%s", base, kind);
	list_dir(dir, &list, &n, &cap);
	free(dir);
	free(base);
	if (n)
		qsort(list, n, sizeof(*list), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (j > 0 && strcmp(list[j - 1], list[i]) == 0)
			free(list[i]);
		else
			list[j++] = list[i];
	}
	*out = list;
	return j;
}

void paths_free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}
