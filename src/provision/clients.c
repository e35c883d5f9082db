#include "config.h"

#include "provision/clients.h"

#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"

struct kube_client {
	char *context;
	struct kube_http *http;
};

struct kube_clients {
	struct loop *loop;
	const struct conf *conf;
	struct kube_client *v;
	size_t n;
};

struct kube_clients *kube_clients_new(struct loop *loop, const struct conf *conf)
{
	struct kube_clients *kc = xcalloc(1, sizeof(*kc));

	kc->loop = loop;
	kc->conf = conf;
	return kc;
}

void kube_clients_free(struct kube_clients *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->n; i++) {
		kube_http_free(kc->v[i].http);
		free(kc->v[i].context);
	}
	free(kc->v);
	free(kc);
}

struct kube_http *kube_clients_get(void *ud, const char *context, struct err *err)
{
	struct kube_clients *kc = ud;
	struct kubeconfig_opts ko = { 0 };
	struct kube_config *cfg;
	struct kube_http *h;

	for (size_t i = 0; i < kc->n; i++) {
		if (strcmp(kc->v[i].context, context) == 0)
			return kc->v[i].http;
	}
	ko.path = kc->conf->kubeconfig;
	ko.context = context;
	cfg = kubeconfig_load(&ko, err);
	if (!cfg)
		return NULL;
	h = kube_http_new(kc->loop, cfg, err);
	if (!h)
		return NULL;
	kc->v = xrealloc(kc->v, (kc->n + 1) * sizeof(*kc->v));
	kc->v[kc->n].context = xstrdup(context);
	kc->v[kc->n].http = h;
	kc->n++;
	return h;
}
