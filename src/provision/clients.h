/* One cluster client per kube context, made on first use from the
 * kubeconfig (conf kube.kubeconfig, else $KUBECONFIG or ~/.kube/config)
 * and kept: jobs and reconcile passes on one cluster share its
 * connections. */
#ifndef OPSDECK_PROVISION_CLIENTS_H
#define OPSDECK_PROVISION_CLIENTS_H

#include "conf.h"
#include "kube/http.h"
#include "loop.h"

struct kube_clients;

struct kube_clients *kube_clients_new(struct loop *loop, const struct conf *conf);
void kube_clients_free(struct kube_clients *kc);
/* The client for context; NULL with err set if the kubeconfig has no such
 * context or cannot be used. The signature fits jrun_env.http_for. */
struct kube_http *kube_clients_get(void *kc, const char *context, struct err *err);

#endif
