/* The request description an exec plugin gets (KUBERNETES_EXEC_INFO) holds
 * the cluster's proxy-url, password and all, as client-go gives it: the
 * copies opsdeck makes of it are wiped before they are freed. Every free()
 * of the program and of libopsdeck goes through __wrap_free (linked with
 * -Wl,--wrap=free), which looks for the password in each block freed while
 * the plugin is started. jansson's own copies are freed inside jansson and
 * are not seen here (nor wiped). */
#include "config.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/execcred.h"
#include "kube/kubeconfig.h"
#include "kubetest.h"

#define PASSWORD "wipe-me-pr0xy-pw-7731"

void __real_free(void *p);
void __wrap_free(void *p);

static bool watching;
static int unwiped;

void __wrap_free(void *p)
{
	if (p && watching) {
		size_t n = malloc_usable_size(p);

		if (memmem(p, n, PASSWORD, strlen(PASSWORD)))
			unwiped++;
	}
	__real_free(p);
}

static bool done;

static void on_done(struct execcred_source *src, bool ok, const struct err *err, void *ud)
{
	(void)src;
	(void)ud;
	if (!ok)
		fail_msg("%s", err->msg);
	done = true;
}

static void test_exec_info_wiped(void **state)
{
	static const char plugin[] =
	    "#!/bin/sh\n"
	    "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$(dirname \"$0\")/info.json\"\n"
	    "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":"
	    "\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"t\"}}'\n";
	static const char yaml[] = "current-context: x\n"
				   "clusters:\n"
				   "- name: c\n"
				   "  cluster:\n"
				   "    server: https://kube.example:6443\n"
				   "    proxy-url: http://bob:" PASSWORD "@proxy.example:3128\n"
				   "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
				   "users:\n"
				   "- name: u\n"
				   "  user:\n"
				   "    exec:\n"
				   "      apiVersion: client.authentication.k8s.io/v1\n"
				   "      command: plugins/info\n"
				   "      interactiveMode: Never\n"
				   "      provideClusterInfo: true\n";
	struct err err = {{0}};
	struct loop *loop = loop_new();
	struct kube_config *cfg;
	struct execcred_source *src;
	char *path, *info_path, *info;

	(void)state;
	path = kt_write_exec("plugins/info", plugin);
	cfg = kubeconfig_parse("wipe.yaml", yaml, strlen(yaml), NULL, kt_dir(), &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	src = execcred_source_new(loop, cfg, 5000, on_done, NULL);
	watching = true;
	execcred_source_refresh(src);
	assert_true(kt_run_until(loop, &done, 10000));
	watching = false;
	/* the plugin did get the password */
	info_path = xasprintf("%s/plugins/info.json", kt_dir());
	info = kt_read(info_path);
	assert_non_null(info);
	assert_non_null(
	    strstr(info, "\"proxy-url\":\"http://bob:" PASSWORD "@proxy.example:3128\""));
	assert_int_equal(unwiped, 0);
	free(info);
	free(info_path);
	free(path);
	execcred_source_free(src);
	kubeconfig_free(cfg);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec_info_wiped),
	};
	int rc;

	rc = cmocka_run_group_tests_name("execcred_wipe", tests, NULL, NULL);
	kt_cleanup();
	return rc;
}
