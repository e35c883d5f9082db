#include "config.h"

#include "db/clusters.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

static const char sql_list[] =
	"SELECT c.name, c.kube_context, c.state, c.max_stores,"
	" (SELECT count(*) FROM opsdeck.stores s"
	" WHERE s.cluster = c.name AND s.status <> 'Deleted'),"
	" to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	" FROM opsdeck.clusters c ORDER BY c.name";

void cluster_req_list(struct db_req *r)
{
	db_req_init(r, sql_list);
	str_copy(r->subject, sizeof(r->subject), "clusters");
}

bool cluster_list_parse(const PGresult *res, struct cluster_list *out, struct err *err)
{
	int n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 6) {
		err_set(err, "unexpected answer to the cluster list (%d columns)", PQnfields(res));
		return false;
	}
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (int i = 0; i < n; i++) {
		struct cluster *c = &out->v[i];

		c->name = xstrdup(db_val(res, i, 0));
		c->context = xstrdup(db_val(res, i, 1));
		c->state = xstrdup(db_val(res, i, 2));
		c->max_stores = db_long(res, i, 3);
		c->stores = db_long(res, i, 4);
		str_copy(c->created_at, sizeof(c->created_at), db_val(res, i, 5));
	}
	out->n = (size_t)n;
	return true;
}

void cluster_list_free(struct cluster_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		x_free(&l->v[i].name);
		x_free(&l->v[i].context);
		x_free(&l->v[i].state);
	}
	x_free(&l->v);
	l->n = 0;
}

static bool check_one(const PGresult *res, const struct db_req *r, struct err *err)
{
	if (PQntuples(res) == 1)
		return true;
	err_set(err, "no %s", r->subject);
	return false;
}

static bool check_name(const char *name, struct err *err)
{
	char shown[80];

	if (name && db_valid_dns_label(name))
		return true;
	err_set(err,
		"invalid cluster name '%s': use a DNS-1123 label (a-z, 0-9 and '-', at most 63)",
		db_shown(name ? name : "", shown, sizeof(shown)));
	return false;
}

static const char sql_add[] =
	"WITH c AS ("
	" INSERT INTO opsdeck.clusters (name, kube_context, max_stores)"
	" VALUES ($1, $2, $3::integer)"
	" RETURNING name, kube_context, max_stores),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, message, detail)"
	" SELECT $4, 'cluster.add', 'cluster/' || c.name,"
	" format('added cluster %s (context %s, at most %s stores)',"
	" c.name, c.kube_context, c.max_stores),"
	" jsonb_build_object('context', c.kube_context, 'max_stores', c.max_stores) FROM c)"
	" SELECT name FROM c";

bool cluster_req_add(struct db_req *r, const struct conf *conf, const char *name,
		     const char *context, long max_stores, struct err *err)
{
	if (!db_mutation_allowed(conf, "add a cluster", err))
		return false;
	if (!check_name(name, err))
		return false;
	if (!context || !db_valid_name(context, 253)) {
		err_set(err, "a kube context name must be 1 to 253 characters on one line");
		return false;
	}
	if (max_stores > 100000) {
		err_set(err, "a cluster holds at most 100000 stores");
		return false;
	}
	db_req_init(r, sql_add);
	db_req_add(r, name);
	db_req_add(r, context);
	db_req_add_long(r, max_stores < 0 ? CLUSTER_DEFAULT_MAX_STORES : max_stores);
	db_req_add(r, conf->operator);
	r->check = check_one;
	snprintf(r->subject, sizeof(r->subject), "cluster \"%s\"", name);
	return true;
}

static const char sql_set_state[] =
	"WITH old AS (SELECT name, state FROM opsdeck.clusters WHERE name = $1),"
	" c AS (UPDATE opsdeck.clusters SET state = $2 FROM old WHERE clusters.name = old.name"
	" RETURNING clusters.name),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, message, detail)"
	" SELECT $3, 'cluster.state', 'cluster/' || old.name,"
	" format('cluster %s: %s -> %s', old.name, old.state, $2::text),"
	" jsonb_build_object('from', old.state, 'to', $2::text)"
	" FROM old JOIN c ON c.name = old.name)"
	" SELECT name FROM c";

bool cluster_req_set_state(struct db_req *r, const struct conf *conf, const char *name,
			   const char *state, struct err *err)
{
	if (!db_mutation_allowed(conf, "change a cluster", err))
		return false;
	if (!check_name(name, err))
		return false;
	if (!state || (strcmp(state, "active") != 0 && strcmp(state, "cordoned") != 0 &&
		       strcmp(state, "disabled") != 0)) {
		err_set(err, "a cluster's state is active, cordoned or disabled");
		return false;
	}
	db_req_init(r, sql_set_state);
	db_req_add(r, name);
	db_req_add(r, state);
	db_req_add(r, conf->operator);
	r->check = check_one;
	snprintf(r->subject, sizeof(r->subject), "cluster \"%s\"", name);
	return true;
}

static const char sql_context[] =
	"SELECT kube_context, state FROM opsdeck.clusters WHERE name = $1";

bool cluster_req_context(struct db_req *r, const char *name, struct err *err)
{
	if (!check_name(name, err))
		return false;
	db_req_init(r, sql_context);
	db_req_add(r, name);
	r->check = check_one;
	snprintf(r->subject, sizeof(r->subject), "cluster \"%s\"", name);
	return true;
}

/* The check and the event in one statement: a store ordered between the
 * reconcile pass and this moment is seen here, and no event is written for
 * a namespace that is not deleted. */
static const char sql_orphan_delete[] =
	"WITH live AS (SELECT s.id, s.status FROM opsdeck.stores s"
	" WHERE s.status <> 'Deleted' AND (s.namespace = $2::text OR s.id = $3::text)"
	" ORDER BY s.id LIMIT 1),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, message, detail)"
	" SELECT $5, 'orphan.delete', 'namespace/' || $1::text || '/' || $2::text,"
	" format('deleting orphan namespace %s on cluster %s (%s)', $2::text, $1::text,"
	"  CASE WHEN $3::text = '' THEN 'no opsdeck.io/store label'"
	"  ELSE format('its store %s has no live row', $3::text) END),"
	" jsonb_build_object('cluster', $1::text, 'namespace', $2::text, 'store', $3::text,"
	"  'uid', $4::text)"
	" WHERE NOT EXISTS (SELECT 1 FROM live)"
	" RETURNING id)"
	" SELECT (SELECT id FROM e), (SELECT id FROM live), (SELECT status FROM live)";

bool cluster_req_orphan_delete(struct db_req *r, const struct conf *conf, const char *cluster,
			       const char *ns, const char *store, const char *uid,
			       struct err *err)
{
	char shown[80];

	if (!db_mutation_allowed(conf, "delete an orphan namespace", err))
		return false;
	if (!check_name(cluster, err))
		return false;
	if (!ns || !db_valid_dns_label(ns)) {
		err_set(err, "invalid namespace '%s': a namespace is a DNS-1123 label",
			db_shown(ns ? ns : "", shown, sizeof(shown)));
		return false;
	}
	/* Label values and uids are short single words; anything else did not
	 * come from a cluster. */
	if (!store || (*store && !db_valid_name(store, 63)) || !uid || !db_valid_name(uid, 128)) {
		err_set(err, "namespace %s: its store label or uid is not valid", ns);
		return false;
	}
	db_req_init(r, sql_orphan_delete);
	db_req_add(r, cluster);
	db_req_add(r, ns);
	db_req_add(r, store);
	db_req_add(r, uid);
	db_req_add(r, conf->operator);
	snprintf(r->subject, sizeof(r->subject), "namespace %s on cluster %s", ns, cluster);
	return true;
}
