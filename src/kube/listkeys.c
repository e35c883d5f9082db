#include "config.h"

#include "kube/listkeys.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

/* One associative list: its field in the parent object, its keys, and the
 * associative lists inside each of its entries. */
struct assoc_list {
	const char *field;
	const char *keys[3];
	const struct assoc_list *inner;
};

static const struct assoc_list container_lists[] = {
    {"ports", {"containerPort", "protocol", NULL}, NULL},
    {"env", {"name", NULL, NULL}, NULL},
    {"volumeMounts", {"mountPath", NULL, NULL}, NULL},
    {"volumeDevices", {"devicePath", NULL, NULL}, NULL},
    {NULL, {NULL, NULL, NULL}, NULL},
};

static const struct assoc_list pod_lists[] = {
    {"containers", {"name", NULL, NULL}, container_lists},
    {"initContainers", {"name", NULL, NULL}, container_lists},
    {"ephemeralContainers", {"name", NULL, NULL}, container_lists},
    {"volumes", {"name", NULL, NULL}, NULL},
    {"imagePullSecrets", {"name", NULL, NULL}, NULL},
    {"hostAliases", {"ip", NULL, NULL}, NULL},
    {"topologySpreadConstraints", {"topologyKey", "whenUnsatisfiable", NULL}, NULL},
    {NULL, {NULL, NULL, NULL}, NULL},
};

static const struct assoc_list service_lists[] = {
    {"ports", {"port", "protocol", NULL}, NULL},
    {NULL, {NULL, NULL, NULL}, NULL},
};

static const struct assoc_list service_account_lists[] = {
    {"secrets", {"name", NULL, NULL}, NULL},
    {NULL, {NULL, NULL, NULL}, NULL},
};

/* Where the lists of a kind start: a path of mapping keys from the object. */
static const struct {
	const char *kind;
	const char *at[5];
	const struct assoc_list *lists;
} kinds[] = {
    {"Service", {"spec", NULL}, service_lists},
    {"ServiceAccount", {NULL}, service_account_lists},
    {"Pod", {"spec", NULL}, pod_lists},
    {"Deployment", {"spec", "template", "spec", NULL}, pod_lists},
    {"StatefulSet", {"spec", "template", "spec", NULL}, pod_lists},
    {"DaemonSet", {"spec", "template", "spec", NULL}, pod_lists},
    {"ReplicaSet", {"spec", "template", "spec", NULL}, pod_lists},
    {"Job", {"spec", "template", "spec", NULL}, pod_lists},
    {"CronJob", {"spec", "jobTemplate", "spec", "template", "spec"}, pod_lists},
};

struct walk {
	const char *kind, *name;
	struct listkey_findings *out;
};

static bool has_key(const struct ynode *entry, const char *key)
{
	const struct ynode *v = ynode_get(entry, key);

	return v && !ynode_is_null(v);
}

static void add(struct walk *w, const struct ynode *entry, const char *path, const char *key)
{
	struct listkey_finding *f;

	w->out->v = xrealloc(w->out->v, (w->out->n + 1) * sizeof(*w->out->v));
	f = &w->out->v[w->out->n++];
	f->line = entry->line;
	f->column = entry->column;
	/* protocol is the one key servers default, from 1.21 on only. */
	if (strcmp(key, "protocol") == 0)
		f->message = xasprintf("%s %.80s: %s omits protocol, which server-side apply "
				       "on Kubernetes 1.20 needs (write protocol: TCP)",
				       w->kind, w->name, path);
	else
		f->message = xasprintf("%s %.80s: %s omits %s, a key of its list that "
				       "server-side apply needs",
				       w->kind, w->name, path, key);
}

/* Cuts path back to its first len bytes (a parent's path). */
static void path_cut(struct buf *path, size_t len)
{
	path->len = len;
	if (path->data)
		path->data[len] = '\0';
}

static void walk_lists(struct walk *w, const struct ynode *parent, const struct assoc_list *lists,
		       struct buf *path)
{
	size_t base = path->len;

	if (!parent || parent->type != YNODE_MAP)
		return;
	for (const struct assoc_list *l = lists; l->field; l++) {
		const struct ynode *seq = ynode_get(parent, l->field);

		if (!seq || seq->type != YNODE_SEQ)
			continue;
		for (size_t i = 0; i < seq->len; i++) {
			const struct ynode *entry = seq->items[i];

			if (entry->type != YNODE_MAP)
				continue;
			path_cut(path, base);
			buf_printf(path, "%s%s[%zu]", base ? "." : "", l->field, i);
			for (size_t k = 0; k < ARRAY_LEN(l->keys) && l->keys[k]; k++) {
				if (!has_key(entry, l->keys[k]))
					add(w, entry, buf_str(path), l->keys[k]);
			}
			if (l->inner)
				walk_lists(w, entry, l->inner, path);
		}
	}
	path_cut(path, base);
}

static int by_position(const void *a, const void *b)
{
	const struct listkey_finding *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->column < y->column ? -1 : x->column > y->column;
}

void listkeys_check(const struct ynode *m, struct listkey_findings *out)
{
	const struct ynode *kind = ynode_get(m, "kind"), *name, *at = m;
	struct buf path = BUF_INIT;
	struct walk w;
	size_t k, first = out->n;

	if (!kind || kind->type != YNODE_SCALAR)
		return;
	for (k = 0; k < ARRAY_LEN(kinds); k++) {
		if (strcmp(kinds[k].kind, kind->scalar) == 0)
			break;
	}
	if (k == ARRAY_LEN(kinds))
		return;
	name = ynode_get(ynode_get(m, "metadata"), "name");
	w.kind = kinds[k].kind;
	w.name = name && name->type == YNODE_SCALAR ? name->scalar : "(no name)";
	w.out = out;
	for (size_t i = 0; i < ARRAY_LEN(kinds[k].at) && kinds[k].at[i] && at; i++) {
		buf_printf(&path, "%s%s", i ? "." : "", kinds[k].at[i]);
		at = ynode_get(at, kinds[k].at[i]);
	}
	walk_lists(&w, at, kinds[k].lists, &path);
	buf_free(&path);
	/* The table's order is not the file's. */
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof(*out->v), by_position);
}

void listkey_findings_free(struct listkey_findings *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].message);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
