#include "config.h"

#include "kubetest.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

static char dir[PATH_MAX];

const char *kt_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (dir[0])
		return dir;
	snprintf(dir, sizeof(dir), "%s/opsdeck-kube-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fatal("mkdtemp %s: %s", dir, strerror(errno));
	return dir;
}

static void make_parents(char *path)
{
	for (char *p = path + strlen(kt_dir()) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			fatal("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
}

char *kt_write(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", kt_dir(), rel);
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f;

	make_parents(path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		fatal("write %s: %s", path, strerror(errno));
	/* rename: a script being replaced may still be running */
	if (rename(tmp, path) != 0)
		fatal("rename %s: %s", path, strerror(errno));
	free(tmp);
	return path;
}

char *kt_write_exec(const char *rel, const char *text)
{
	char *path = kt_write(rel, text);

	if (chmod(path, 0755) != 0)
		fatal("chmod %s: %s", path, strerror(errno));
	return path;
}

char *kt_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void kt_cleanup(void)
{
	if (!dir[0])
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

bool kt_run_until(struct loop *loop, const bool *flag, long timeout_ms)
{
	uint64_t deadline = loop_now_ms() + (uint64_t)timeout_ms;

	while (!*flag) {
		uint64_t now = loop_now_ms();

		if (now >= deadline)
			break;
		loop_run_once(loop, (int)(deadline - now));
	}
	return *flag;
}

struct kube_config *kt_config(const char *server, const char *user_yaml)
{
	struct err err;
	char *text =
	    xasprintf("current-context: t\n"
		      "clusters: [{name: c, cluster: {server: '%s'}}]\n"
		      "contexts: [{name: t, context: {cluster: c%s}}]\n"
		      "%s%s",
		      server, user_yaml ? ", user: u" : "",
		      user_yaml ? "users:\n- name: u\n  user:\n" : "", user_yaml ? user_yaml : "");
	struct kube_config *cfg =
	    kubeconfig_parse("test-kubeconfig", text, strlen(text), NULL, kt_dir(), &err);

	if (!cfg)
		fatal("test kubeconfig: %s", err.msg);
	free(text);
	return cfg;
}
