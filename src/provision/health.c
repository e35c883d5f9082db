#include "config.h"

#include "provision/health.h"

#include <stdio.h>
#include <string.h>

#include "jsonget.h"
#include "util.h"

/* Waiting reasons that mean "this will not start by itself". */
static const char *const broken_reasons[] = {
	"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff",
	"CreateContainerConfigError", "CreateContainerError", "ErrImageNeverPull", NULL,
};

const char *health_name(enum health h)
{
	switch (h) {
	case HEALTH_READY:
		return "ready";
	case HEALTH_PROGRESSING:
		return "progressing";
	case HEALTH_BROKEN:
		return "broken";
	case HEALTH_STOPPED:
		return "stopped";
	}
	return "?";
}

static const json_t *items(const json_t *list)
{
	const json_t *v = json_object_get(list, "items");

	return json_is_array(v) ? v : NULL;
}

void health_pod_owner(const json_t *pod, char *out, size_t outsz)
{
	const json_t *meta = json_object_get(pod, "metadata");
	const json_t *owners = json_object_get(meta, "ownerReferences");
	size_t i;
	const json_t *o;
	char name[256];

	json_array_foreach(owners, i, o) {
		const char *kind = json_get_str(o, "kind");

		str_copy_clean(name, sizeof(name), json_get_str(o, "name"));
		if (strcmp(kind, "ReplicaSet") == 0) {
			char *dash = strrchr(name, '-');

			if (dash && dash != name)
				*dash = '\0';
			snprintf(out, outsz, "deployment/%s", name);
			return;
		}
		if (strcmp(kind, "StatefulSet") == 0) {
			snprintf(out, outsz, "statefulset/%s", name);
			return;
		}
	}
	str_copy_clean(name, sizeof(name), json_get_str(meta, "name"));
	snprintf(out, outsz, "pod/%s", name);
}

bool health_reason_broken(const char *r)
{
	for (size_t i = 0; broken_reasons[i]; i++) {
		if (strcmp(broken_reasons[i], r) == 0)
			return true;
	}
	return false;
}

bool health_pod_waiting(const json_t *pod, const char **reason, const char **message)
{
	const json_t *cs = json_object_get(json_object_get(pod, "status"), "containerStatuses");
	size_t i;
	const json_t *c;

	json_array_foreach(cs, i, c) {
		const json_t *w = json_object_get(json_object_get(c, "state"), "waiting");

		if (json_is_object(w)) {
			*reason = json_get_str(w, "reason");
			*message = json_get_str(w, "message");
			return true;
		}
	}
	return false;
}

enum health health_workload(const json_t *w, struct health_workload *out)
{
	const json_t *spec = json_object_get(w, "spec");
	const json_t *st = json_object_get(w, "status");

	out->want = json_get_count(spec, "replicas", 1);
	out->ready = json_get_count(st, "readyReplicas", 0);
	out->have = json_get_count(st, "replicas", 0);
	out->stale = json_get_count(st, "observedGeneration", 0) <
		     json_get_count(json_object_get(w, "metadata"), "generation", 0);
	if (out->ready < out->want || out->stale || (out->want == 0 && out->have > 0))
		return HEALTH_PROGRESSING;
	return out->want == 0 ? HEALTH_STOPPED : HEALTH_READY;
}

/* Looks at the pods: a broken one is reported at once; otherwise the first
 * one that is not ready describes what is still going on. */
static enum health check_pods(const json_t *pods, char *hint, size_t hintsz, char *reason,
			      size_t reasonsz)
{
	size_t i;
	const json_t *p;

	hint[0] = '\0';
	json_array_foreach(items(pods), i, p) {
		const json_t *meta = json_object_get(p, "metadata");
		const char *wr, *wm;
		char owner[300], why[160], msg[240], pname[200];

		if (json_object_get(meta, "deletionTimestamp"))
			continue;
		if (!health_pod_waiting(p, &wr, &wm))
			continue;
		str_copy_clean(why, sizeof(why), wr);
		str_copy_clean(msg, sizeof(msg), wm);
		if (health_reason_broken(wr)) {
			health_pod_owner(p, owner, sizeof(owner));
			if (msg[0])
				snprintf(reason, reasonsz, "%s: %s: %s", owner, why, msg);
			else
				snprintf(reason, reasonsz, "%s: %s", owner, why);
			return HEALTH_BROKEN;
		}
		if (!hint[0]) {
			str_copy_clean(pname, sizeof(pname), json_get_str(meta, "name"));
			snprintf(hint, hintsz, " (pod %s: %s)", pname, why[0] ? why : "waiting");
		}
	}
	return HEALTH_READY;
}

enum health health_check(const json_t *deployments, const json_t *statefulsets, const json_t *pods,
			 char *reason, size_t reasonsz)
{
	const json_t *lists[2] = { deployments, statefulsets };
	const char *kinds[2] = { "deployment", "statefulset" };
	size_t nworkloads = 0, nrunning = 0;
	char hint[400], name[200];
	bool progressing = false;

	reason[0] = '\0';
	if (check_pods(pods, hint, sizeof(hint), reason, reasonsz) == HEALTH_BROKEN)
		return HEALTH_BROKEN;
	for (int k = 0; k < 2; k++) {
		size_t i;
		const json_t *w;

		json_array_foreach(items(lists[k]), i, w) {
			struct health_workload wl;
			enum health h = health_workload(w, &wl);

			nworkloads++;
			nrunning += h != HEALTH_STOPPED;
			if (progressing || h != HEALTH_PROGRESSING)
				continue;
			str_copy_clean(name, sizeof(name),
				       json_get_str(json_object_get(w, "metadata"), "name"));
			snprintf(reason, reasonsz, "%s/%s: %ld/%ld ready%s", kinds[k], name,
				 wl.ready, wl.want, wl.stale ? HEALTH_STALE_TEXT : hint);
			progressing = true;
		}
	}
	if (nworkloads == 0) {
		snprintf(reason, reasonsz, "no Deployment or StatefulSet in the namespace yet");
		return HEALTH_PROGRESSING;
	}
	if (progressing)
		return HEALTH_PROGRESSING;
	if (nrunning == 0) {
		size_t i;
		const json_t *p;

		json_array_foreach(items(pods), i, p) {
			str_copy_clean(name, sizeof(name),
				       json_get_str(json_object_get(p, "metadata"), "name"));
			snprintf(reason, reasonsz, "pod %s is still stopping", name);
			return HEALTH_PROGRESSING;
		}
		snprintf(reason, reasonsz, "every workload is at 0 replicas");
		return HEALTH_STOPPED;
	}
	snprintf(reason, reasonsz, "%zu workload(s) ready", nworkloads);
	return HEALTH_READY;
}
