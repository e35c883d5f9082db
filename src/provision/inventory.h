/* A store's Kubernetes objects and its namespace's events, as the Stores
 * pane's details show them.
 *
 *  - inventory_read is pure: from the objects of each kind (as a watch
 *    holds them) it makes one line per object with its status in words and
 *    a state for its colour, and the newest events first. Workloads and
 *    pods are read by provision/health.h, as the readiness step and the
 *    reconcile pass read them, so the details never disagree with them.
 *  - struct inventory keeps those objects fresh without blocking: one
 *    shared watch per kind limited to the store's namespace, subscribed
 *    through the cluster registry (kube/registry.h) by inventory_new and
 *    let go by inventory_free, so a details view costs the cluster nothing
 *    once it is closed, and after an outage shows nothing until relisted. Changes are
 *    coalesced: the change function runs at most every INVENTORY_SETTLE_MS,
 *    not once per object of a first list.
 *
 * Text is as the cluster sent it (the screen layer shows control
 * characters as '?'). */
#ifndef OPSDECK_PROVISION_INVENTORY_H
#define OPSDECK_PROVISION_INVENTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kube/registry.h"
#include "loop.h"
#include "util.h"

enum inventory_kind {
	INV_DEPLOYMENTS,
	INV_STATEFULSETS,
	INV_PODS,
	INV_PVCS,
	INV_SERVICES,
	INV_INGRESSES,
	INV_EVENTS,
	INV_KINDS
};

enum inventory_state {
	INV_STATE_NONE, /* nothing to judge (a Service) */
	INV_STATE_OK,	/* ready, Bound */
	INV_STATE_BUSY, /* on its way: starting, scaling, terminating, Pending */
	INV_STATE_BAD,	/* will not cure itself: ImagePullBackOff, Failed, Lost */
	INV_STATE_OFF,	/* stopped on purpose: 0 replicas, a pod that completed */
};

struct inventory_object {
	enum inventory_kind kind;
	char *name;   /* "statefulset/mysql" */
	char *status; /* "1/1 ready", "Running, 1/1 ready, 0 restarts" */
	enum inventory_state state;
};

struct inventory_event {
	time_t at; /* its last time; 0 if it has none */
	bool warning;
	char *type;    /* "Normal", "Warning" */
	char *reason;  /* "Scheduled", "BackOff" */
	char *object;  /* "pod/mysql-0" */
	char *message;
};

struct inventory_view {
	struct inventory_object *objects; /* by kind in enum order, then by name */
	size_t nobjects;
	struct inventory_event *events; /* newest first */
	size_t nevents;
};

/* objs[k] holds the objects of kind k, as a JSON object of any keys to
 * objects (kube_watch_objects) or an array of them; NULL for none. At most
 * max_events events are kept. Fills out (free with inventory_view_free). */
void inventory_read(const json_t *const objs[INV_KINDS], size_t max_events,
		    struct inventory_view *out);
void inventory_view_free(struct inventory_view *v);
/* A kind's name in lines: "deployment", "pvc"... */
const char *inventory_kind_name(enum inventory_kind k);

#define INVENTORY_SETTLE_MS 100

struct inventory;
typedef void (*inventory_fn)(void *ud);

/* Starts watching namespace ns on context through the registry; fn is
 * called from the loop after changes (objects, errors, the cluster's
 * state). NULL with err set if ns is not a namespace name or the context
 * has no client. */
struct inventory *inventory_new(struct kube_registry *reg, const char *context, const char *ns,
				inventory_fn fn, void *ud, struct err *err);
/* True once every kind has been listed (again, after an outage) and the
 * cluster answers. */
void inventory_free(struct inventory *inv);
bool inventory_synced(const struct inventory *inv);
/* "" while every watch works; else the first one's error in words (the
 * cluster's reason when it does not answer). */
const char *inventory_error(const struct inventory *inv);
/* What the watches hold now, read by inventory_read. */
void inventory_snapshot(const struct inventory *inv, size_t max_events, struct inventory_view *out);

#endif
