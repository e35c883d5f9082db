#include "config.h"

#include "cluster_header.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "db/live.h"
#include "kube/registry.h"

struct cluster_header {
	struct app *app;
	struct db_live *live;
	struct kube_registry *kube;
};

static void update(struct cluster_header *h)
{
	const struct cluster_list *cl = h->live ? db_live_clusters(h->live) : NULL;
	size_t n = 0, ok = 0, connecting = 0;
	const struct cluster *one = NULL, *bad = NULL;
	enum kube_cluster_state bad_state = KUBE_CLUSTER_OK, one_state = KUBE_CLUSTER_OK;
	char text[300];

	if (!cl)
		return;
	for (size_t i = 0; i < cl->n; i++) {
		struct kube_cluster_status st;

		if (strcmp(cl->v[i].state, "disabled") == 0)
			continue;
		kube_registry_status(h->kube, cl->v[i].context, &st);
		n++;
		one = &cl->v[i];
		one_state = st.state;
		if (st.state == KUBE_CLUSTER_OK) {
			ok++;
		} else if (st.state == KUBE_CLUSTER_CONNECTING) {
			connecting++;
		} else if (!bad) {
			bad = &cl->v[i];
			bad_state = st.state;
		}
	}
	if (n == 0)
		snprintf(text, sizeof(text), "cluster: none");
	else if (n == 1)
		snprintf(text, sizeof(text), "cluster %s: %s", one->name,
			 kube_cluster_state_name(one_state));
	else if (bad && n - ok - connecting == 1)
		snprintf(text, sizeof(text), "clusters: %s %s, %zu of %zu ok", bad->name,
			 kube_cluster_state_name(bad_state), ok, n);
	else if (bad)
		snprintf(text, sizeof(text), "clusters: %zu of %zu not answering",
			 n - ok - connecting, n);
	else
		snprintf(text, sizeof(text), "clusters: %zu ok%s", ok,
			 connecting ? ", some connecting" : "");
	app_set_header(h->app, HEADER_CLUSTER, text, bad != NULL);
	app_redraw(h->app);
}

static void clusters_changed(void *ud, const struct db_live_change *ch)
{
	if (ch->state || (ch->lists & DB_LIVE_BIT(DB_LIVE_CLUSTERS)))
		update(ud);
}

static void state_changed(void *ud, const char *context)
{
	(void)context;
	update(ud);
}

struct cluster_header *cluster_header_new(struct app *app)
{
	struct cluster_header *h = xcalloc(1, sizeof(*h));

	h->app = app;
	h->kube = kube_registry_acquire(app_loop(app), app_conf(app)->kubeconfig);
	kube_registry_observe(h->kube, state_changed, h);
	if (app_db_configured(app))
		h->live = db_live_join(app_loop(app), app_conf(app), clusters_changed, h);
	return h;
}

void cluster_header_free(struct cluster_header *h)
{
	if (!h)
		return;
	db_live_leave(h->live, clusters_changed, h);
	kube_registry_unobserve(h->kube, state_changed, h);
	kube_registry_release(h->kube);
	free(h);
}
