#include "config.h"

#include "paths.h"

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
