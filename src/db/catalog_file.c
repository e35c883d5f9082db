#include "config.h"

#include "db/catalog_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "yamldoc.h"

const char *const catalog_placeholders[] = {
	"store.id", "store.name", "store.namespace", "store.host", "store.url",
	"project.slug", "offering.slug", "plan.name", "plan.replicas", "plan.cpu_request",
	"plan.cpu_limit", "plan.memory_request", "plan.memory_limit", "plan.storage",
	"secret.db_password", "secret.db_root_password", "secret.admin_password",
	"secret.jwt_secret", "secret.cookie_secret", NULL,
};

const char *const catalog_kinds[] = { "woocommerce", "medusa", NULL };

/* Values used to check what a template would render to (names stay valid
 * DNS labels, the namespace is the store's). */
static const char *const sample_values[] = {
	"0123456789ab",
	"sample",
	"store-0123456789ab",
	"0123456789ab.example.com",
	"https://0123456789ab.example.com",
	"sample-project",
	"sample-offering",
	"small",
	"1",
	"100m",
	"500m",
	"256Mi",
	"512Mi",
	"5Gi",
	"xxxxxxxxxxxxxxxxxxxxxxxx",
	"xxxxxxxxxxxxxxxxxxxxxxxx",
	"xxxxxxxxxxxxxxxxxxxxxxxx",
	"xxxxxxxxxxxxxxxxxxxxxxxx",
	"xxxxxxxxxxxxxxxxxxxxxxxx",
};

/* Namespaced kinds a store may contain, with their API group version.
 * Anything cluster-wide (roles, CRDs, namespaces) is refused. */
static const struct {
	const char *kind;
	const char *api_version;
} allowed_kinds[] = {
	{ "Secret", "v1" },
	{ "ConfigMap", "v1" },
	{ "Service", "v1" },
	{ "PersistentVolumeClaim", "v1" },
	{ "ServiceAccount", "v1" },
	{ "ResourceQuota", "v1" },
	{ "Deployment", "apps/v1" },
	{ "StatefulSet", "apps/v1" },
	{ "Ingress", "networking.k8s.io/v1" },
	{ "NetworkPolicy", "networking.k8s.io/v1" },
};

struct cf_ctx {
	const struct ydoc *doc;
	struct err *err;
	struct catalog_file *f;
};

static const char *sample_lookup(void *ud, const char *name)
{
	(void)ud;
	for (size_t i = 0; catalog_placeholders[i]; i++) {
		if (strcmp(catalog_placeholders[i], name) == 0)
			return sample_values[i];
	}
	return NULL;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

bool catalog_expand(const char *s, const char *(*lookup)(void *ud, const char *name), void *ud,
		    struct buf *out, struct err *err)
{
	const char *p = s;

	while (*p) {
		const char *open = strstr(p, "{{"), *q, *name, *end;
		char key[64], shown[80];
		const char *val;
		size_t len;

		if (!open) {
			buf_puts(out, p);
			break;
		}
		buf_append(out, p, (size_t)(open - p));
		q = open + 2;
		while (*q == ' ')
			q++;
		name = q;
		while (is_name_char(*q))
			q++;
		len = (size_t)(q - name);
		while (*q == ' ')
			q++;
		end = strstr(open + 2, "}}");
		if (!end) {
			err_set(err, "unterminated placeholder: '{{' without '}}'");
			return false;
		}
		if (q != end || len == 0 || len >= sizeof(key) || name[0] == '.' ||
		    name[len - 1] == '.' || !memchr(name, '.', len)) {
			snprintf(key, sizeof(key), "%.*s",
				 (int)(end - open - 2 < 60 ? end - open - 2 : 60), open + 2);
			err_set(err, "malformed placeholder '{{%s}}': write {{ group.name }}",
				db_shown(key, shown, sizeof(shown)));
			return false;
		}
		memcpy(key, name, len);
		key[len] = '\0';
		val = lookup(ud, key);
		if (!val) {
			struct buf known = BUF_INIT;

			for (size_t i = 0; catalog_placeholders[i]; i++)
				buf_printf(&known, "%s%s", i ? ", " : "", catalog_placeholders[i]);
			err_set(err, "unknown placeholder '%s' (known: %s)", key, buf_str(&known));
			buf_free(&known);
			return false;
		}
		buf_puts(out, val);
		p = end + 2;
	}
	return true;
}

/* ---- small readers that report at the node ---- */

static bool fail_at(struct cf_ctx *c, const struct ynode *n, const char *fmt, ...)
	ATTR_FORMAT(3, 4);

static bool fail_at(struct cf_ctx *c, const struct ynode *n, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ydoc_error(c->doc, n, c->err, "%s", msg);
}

static const char *type_name(const struct ynode *n)
{
	return n->type == YNODE_MAP ? "a mapping" : n->type == YNODE_SEQ ? "a list" : "a value";
}

static bool want_map(struct cf_ctx *c, const struct ynode *n, const char *what)
{
	if (n->type == YNODE_MAP)
		return true;
	return fail_at(c, n, "%s must be a mapping, not %s", what, type_name(n));
}

static bool want_seq(struct cf_ctx *c, const struct ynode *n, const char *what)
{
	if (n->type == YNODE_SEQ)
		return true;
	return fail_at(c, n, "%s must be a list, not %s", what, type_name(n));
}

/* Every key of map must be one of allowed. */
static bool only_keys(struct cf_ctx *c, const struct ynode *map, const char *const *allowed,
		      const char *what)
{
	for (size_t i = 0; i < map->len; i++) {
		bool ok = false;

		for (size_t k = 0; allowed[k]; k++)
			ok = ok || strcmp(allowed[k], map->keys[i]->scalar) == 0;
		if (!ok) {
			struct buf list = BUF_INIT;
			char shown[80];

			for (size_t k = 0; allowed[k]; k++)
				buf_printf(&list, "%s%s", k ? ", " : "", allowed[k]);
			fail_at(c, map->keys[i], "unknown key '%s' in %s (expected %s)",
				db_shown(map->keys[i]->scalar, shown, sizeof(shown)), what,
				buf_str(&list));
			buf_free(&list);
			return false;
		}
	}
	return true;
}

static bool need(struct cf_ctx *c, const struct ynode *map, const char *key, const char *what,
		 const struct ynode **out)
{
	*out = ynode_get(map, key);
	if (*out)
		return true;
	return fail_at(c, map, "%s needs '%s'", what, key);
}

/* A scalar (never null) as text. */
static bool text_of(struct cf_ctx *c, const struct ynode *n, const char *what, const char **out)
{
	if (n->type != YNODE_SCALAR)
		return fail_at(c, n, "%s must be a value, not %s", what, type_name(n));
	if (ynode_is_null(n))
		return fail_at(c, n, "%s must not be empty", what);
	*out = n->scalar;
	return true;
}

static bool no_placeholder(struct cf_ctx *c, const struct ynode *n, const char *what)
{
	if (n->type == YNODE_SCALAR && strstr(n->scalar, "{{"))
		return fail_at(
		    c, n, "%s cannot hold a placeholder: placeholders belong in manifests", what);
	return true;
}

/* ---- offering ---- */

static bool read_offering(struct cf_ctx *c, const struct ynode *o)
{
	static const char *const keys[] = { "slug", "name", "kind", "description", "state", NULL };
	const struct ynode *n;
	const char *s;
	char shown[80];

	if (!want_map(c, o, "offering") || !only_keys(c, o, keys, "offering"))
		return false;
	for (size_t i = 0; i < o->len; i++) {
		if (!no_placeholder(c, o->items[i], "an offering field"))
			return false;
	}

	if (!need(c, o, "slug", "offering", &n) || !text_of(c, n, "offering.slug", &s))
		return false;
	if (!db_valid_dns_label(s))
		return fail_at(
		    c, n,
		    "offering.slug '%s' is not a DNS-1123 label (a-z, 0-9 and '-', at most 63)",
		    db_shown(s, shown, sizeof(shown)));
	str_copy(c->f->slug, sizeof(c->f->slug), s);

	if (!need(c, o, "name", "offering", &n) || !text_of(c, n, "offering.name", &s))
		return false;
	if (!db_valid_name(s, 100))
		return fail_at(c, n, "offering.name must be 1 to 100 characters on one line");
	c->f->name = xstrdup(s);

	if (!need(c, o, "kind", "offering", &n) || !text_of(c, n, "offering.kind", &s))
		return false;
	{
		bool known = false;
		struct buf list = BUF_INIT;

		for (size_t i = 0; catalog_kinds[i]; i++) {
			known = known || strcmp(catalog_kinds[i], s) == 0;
			buf_printf(&list, "%s%s", i ? ", " : "", catalog_kinds[i]);
		}
		if (!known) {
			fail_at(c, n, "unknown offering.kind '%s' (opsdeck provisions: %s)",
				db_shown(s, shown, sizeof(shown)), buf_str(&list));
			buf_free(&list);
			return false;
		}
		buf_free(&list);
	}
	str_copy(c->f->kind, sizeof(c->f->kind), s);

	n = ynode_get(o, "description");
	s = "";
	if (n && !ynode_is_null(n) && !text_of(c, n, "offering.description", &s))
		return false;
	if (!db_valid_text(s, 2000))
		return fail_at(c, n,
			       "offering.description must be at most 2000 characters of text");
	c->f->description = xstrdup(s);

	n = ynode_get(o, "state");
	s = "active";
	if (n && !text_of(c, n, "offering.state", &s))
		return false;
	if (strcmp(s, "active") != 0 && strcmp(s, "paused") != 0 && strcmp(s, "archived") != 0)
		return fail_at(c, n, "offering.state must be active, paused or archived");
	str_copy(c->f->state, sizeof(c->f->state), s);
	return true;
}

/* ---- plans ---- */

static bool plan_quantity(struct cf_ctx *c, const struct ynode *plan, const char *key, bool cpu,
			  long *out)
{
	const struct ynode *n;
	const char *s;
	struct err why;

	if (!need(c, plan, key, "a plan", &n) || !text_of(c, n, key, &s))
		return false;
	if (cpu ? !db_parse_cpu(s, out, &why) : !db_parse_memory(s, out, &why))
		return fail_at(c, n, "%s: %s", key, why.msg);
	return true;
}

static bool valid_price(const char *s)
{
	size_t i = 0, whole = 0, frac = 0;

	while (s[i] >= '0' && s[i] <= '9') {
		i++;
		whole++;
	}
	if (s[i] == '.') {
		i++;
		while (s[i] >= '0' && s[i] <= '9') {
			i++;
			frac++;
		}
		if (frac == 0)
			return false;
	}
	return s[i] == '\0' && whole >= 1 && whole <= 6 && frac <= 2;
}

static bool read_plan(struct cf_ctx *c, const struct ynode *pn, struct catalog_plan *p)
{
	static const char *const keys[] = { "name",	       "replicas",     "cpu_request",
					    "cpu_limit",       "memory_request", "memory_limit",
					    "storage",	       "monthly_price", NULL };
	const struct ynode *n;
	const char *s;
	long storage_mib;
	char shown[80];

	if (!want_map(c, pn, "a plan") || !only_keys(c, pn, keys, "a plan"))
		return false;
	for (size_t i = 0; i < pn->len; i++) {
		if (!no_placeholder(c, pn->items[i], "a plan field"))
			return false;
	}
	if (!need(c, pn, "name", "a plan", &n) || !text_of(c, n, "plan name", &s))
		return false;
	if (!db_valid_dns_label(s))
		return fail_at(c, n, "plan name '%s' is not a DNS-1123 label",
			       db_shown(s, shown, sizeof(shown)));
	str_copy(p->name, sizeof(p->name), s);

	if (!need(c, pn, "replicas", "a plan", &n) ||
	    !ynode_long(c->doc, n, 1, 20, &p->replicas, c->err))
		return false;

	if (!plan_quantity(c, pn, "cpu_request", true, &p->cpu_request_millis) ||
	    !plan_quantity(c, pn, "cpu_limit", true, &p->cpu_limit_millis) ||
	    !plan_quantity(c, pn, "memory_request", false, &p->memory_request_mib) ||
	    !plan_quantity(c, pn, "memory_limit", false, &p->memory_limit_mib) ||
	    !plan_quantity(c, pn, "storage", false, &storage_mib))
		return false;
	if (p->cpu_request_millis < 10 || p->cpu_request_millis > 64000)
		return fail_at(c, ynode_get(pn, "cpu_request"),
			       "cpu_request must be from 10m to 64");
	if (p->cpu_limit_millis < p->cpu_request_millis || p->cpu_limit_millis > 64000)
		return fail_at(c, ynode_get(pn, "cpu_limit"),
			       "cpu_limit must be at least cpu_request and at most 64");
	if (p->memory_request_mib < 16 || p->memory_request_mib > 262144)
		return fail_at(c, ynode_get(pn, "memory_request"),
			       "memory_request must be from 16Mi to 256Gi");
	if (p->memory_limit_mib < p->memory_request_mib || p->memory_limit_mib > 262144)
		return fail_at(c, ynode_get(pn, "memory_limit"),
			       "memory_limit must be at least memory_request and at most 256Gi");
	if (storage_mib % 1024 != 0 || storage_mib < 1024 || storage_mib > 16384L * 1024)
		return fail_at(c, ynode_get(pn, "storage"),
			       "storage must be a whole number of Gi from 1Gi to 16384Gi");
	p->storage_gib = storage_mib / 1024;

	if (!need(c, pn, "monthly_price", "a plan", &n) || !text_of(c, n, "monthly_price", &s))
		return false;
	if (!valid_price(s))
		return fail_at(c, n,
			       "monthly_price must be an amount like 19 or 19.90 (below 1000000)");
	str_copy(p->monthly_price, sizeof(p->monthly_price), s);
	return true;
}

static bool read_plans(struct cf_ctx *c, const struct ynode *plans)
{
	if (!want_seq(c, plans, "plans"))
		return false;
	if (plans->len == 0)
		return fail_at(c, plans, "plans must list at least one plan");
	if (plans->len > CATALOG_MAX_PLANS)
		return fail_at(c, plans, "at most %d plans per offering", CATALOG_MAX_PLANS);
	for (size_t i = 0; i < plans->len; i++) {
		struct catalog_plan *p = &c->f->plans[i];

		if (!read_plan(c, plans->items[i], p))
			return false;
		for (size_t k = 0; k < i; k++) {
			if (strcmp(c->f->plans[k].name, p->name) == 0)
				return fail_at(c, ynode_get(plans->items[i], "name"),
					       "plan '%s' is listed twice", p->name);
		}
		c->f->nplans++;
	}
	return true;
}

/* ---- manifests ---- */

/* Every key is placeholder-free and every scalar value expands. */
static bool walk_placeholders(struct cf_ctx *c, const struct ynode *n, struct buf *scratch)
{
	struct err why;

	switch (n->type) {
	case YNODE_SCALAR:
		buf_reset(scratch);
		if (strstr(n->scalar, "{{") &&
		    !catalog_expand(n->scalar, sample_lookup, NULL, scratch, &why))
			return fail_at(c, n, "%s", why.msg);
		return true;
	case YNODE_MAP:
		for (size_t i = 0; i < n->len; i++) {
			if (strstr(n->keys[i]->scalar, "{{"))
				return fail_at(c, n->keys[i],
					       "placeholders belong in values, not in keys");
			if (!walk_placeholders(c, n->items[i], scratch))
				return false;
		}
		return true;
	case YNODE_SEQ:
		for (size_t i = 0; i < n->len; i++) {
			if (!walk_placeholders(c, n->items[i], scratch))
				return false;
		}
		return true;
	}
	return true;
}

/* The text a scalar renders to with sample values (already validated). */
static const char *rendered(const struct ynode *n, struct buf *scratch)
{
	struct err ignore;

	buf_reset(scratch);
	if (!catalog_expand(n->scalar, sample_lookup, NULL, scratch, &ignore))
		return n->scalar;
	return buf_str(scratch);
}

static bool check_containers(struct cf_ctx *c, const struct ynode *m, const char *kind)
{
	const struct ynode *spec = ynode_get(m, "spec"), *tmpl, *pspec, *cs;
	struct buf scratch = BUF_INIT;
	bool ok = true;

	if (!spec)
		return fail_at(c, m, "%s needs 'spec'", kind);
	if (!want_map(c, spec, "spec"))
		return false;
	tmpl = ynode_get(spec, "template");
	if (!tmpl)
		return fail_at(c, spec, "%s needs spec.template", kind);
	if (!want_map(c, tmpl, "spec.template"))
		return false;
	pspec = ynode_get(tmpl, "spec");
	if (!pspec)
		return fail_at(c, tmpl, "%s needs spec.template.spec", kind);
	if (!want_map(c, pspec, "spec.template.spec"))
		return false;
	cs = ynode_get(pspec, "containers");
	if (!cs)
		return fail_at(c, pspec, "%s needs spec.template.spec.containers", kind);
	if (!want_seq(c, cs, "containers"))
		return false;
	if (cs->len == 0)
		return fail_at(c, cs, "containers must list at least one container");
	for (size_t i = 0; ok && i < cs->len; i++) {
		const struct ynode *ct = cs->items[i], *n;
		const char *s;

		ok = want_map(c, ct, "a container") && need(c, ct, "name", "a container", &n) &&
		     text_of(c, n, "container name", &s);
		if (ok && !db_valid_dns_label(rendered(n, &scratch)))
			ok = fail_at(c, n, "container name is not a DNS-1123 label");
		ok = ok && need(c, ct, "image", "a container", &n) && text_of(c, n, "image", &s);
		if (ok && strpbrk(s, " \t"))
			ok = fail_at(c, n, "an image reference has no spaces");
	}
	buf_free(&scratch);
	return ok;
}

static bool read_manifest(struct cf_ctx *c, const struct ynode *m, char (*seen)[2][64], size_t idx)
{
	const struct ynode *api, *kindn, *meta, *n;
	const char *api_s, *kind_s, *name_s;
	struct buf scratch = BUF_INIT;
	char shown[80];
	size_t k;
	bool ok;

	if (!want_map(c, m, "a manifest"))
		return false;
	if (!need(c, m, "apiVersion", "a manifest", &api) ||
	    !text_of(c, api, "apiVersion", &api_s) || !need(c, m, "kind", "a manifest", &kindn) ||
	    !text_of(c, kindn, "kind", &kind_s))
		return false;
	for (k = 0; k < ARRAY_LEN(allowed_kinds); k++) {
		if (strcmp(allowed_kinds[k].kind, kind_s) == 0)
			break;
	}
	if (k == ARRAY_LEN(allowed_kinds))
		return fail_at(
		    c, kindn,
		    "kind '%s' is not allowed in a store (namespaced kinds only: Secret, "
		    "ConfigMap, Service, PersistentVolumeClaim, ServiceAccount, ResourceQuota, "
		    "Deployment, StatefulSet, Ingress, NetworkPolicy)",
		    db_shown(kind_s, shown, sizeof(shown)));
	if (strcmp(allowed_kinds[k].api_version, api_s) != 0)
		return fail_at(c, api, "%s is served as apiVersion %s, not '%s'", kind_s,
			       allowed_kinds[k].api_version, db_shown(api_s, shown, sizeof(shown)));
	if (!need(c, m, "metadata", "a manifest", &meta) || !want_map(c, meta, "metadata"))
		return false;
	if (!need(c, meta, "name", "metadata", &n) || !text_of(c, n, "metadata.name", &name_s))
		return false;
	name_s = rendered(n, &scratch);
	if (!db_valid_dns_label(name_s)) {
		ok = fail_at(
		    c, n,
		    "metadata.name '%s' is not a DNS-1123 label (a-z, 0-9 and '-', at most 63)",
		    db_shown(n->scalar, shown, sizeof(shown)));
		buf_free(&scratch);
		return ok;
	}
	for (size_t i = 0; i < idx; i++) {
		if (strcmp(seen[i][0], kind_s) == 0 && strcmp(seen[i][1], name_s) == 0) {
			ok = fail_at(c, n, "%s '%s' is defined twice", kind_s, name_s);
			buf_free(&scratch);
			return ok;
		}
	}
	str_copy(seen[idx][0], sizeof(seen[idx][0]), kind_s);
	str_copy(seen[idx][1], sizeof(seen[idx][1]), name_s);
	n = ynode_get(meta, "namespace");
	if (n &&
	    (n->type != YNODE_SCALAR || strcmp(rendered(n, &scratch), "store-0123456789ab") != 0)) {
		buf_free(&scratch);
		return fail_at(c, n,
			       "metadata.namespace may only be {{ store.namespace }}: a store "
			       "lives in its own namespace");
	}
	buf_free(&scratch);
	n = ynode_get(meta, "labels");
	if (n && !want_map(c, n, "metadata.labels"))
		return false;
	for (size_t i = 0; n && i < n->len; i++) {
		if (n->items[i]->type != YNODE_SCALAR)
			return fail_at(c, n->items[i], "a label value must be a value, not %s",
				       type_name(n->items[i]));
	}
	if (strcmp(kind_s, "Deployment") == 0 || strcmp(kind_s, "StatefulSet") == 0)
		return check_containers(c, m, kind_s);
	if (strcmp(kind_s, "Service") == 0) {
		const struct ynode *spec = ynode_get(m, "spec"), *ports;

		if (!spec)
			return fail_at(c, m, "Service needs 'spec'");
		if (!want_map(c, spec, "spec"))
			return false;
		ports = ynode_get(spec, "ports");
		if (!ports)
			return fail_at(c, spec, "Service needs spec.ports");
		if (!want_seq(c, ports, "spec.ports"))
			return false;
		if (ports->len == 0)
			return fail_at(c, ports, "spec.ports must list at least one port");
	}
	return true;
}

static bool read_manifests(struct cf_ctx *c, const struct ynode *ms)
{
	char(*seen)[2][64];
	struct buf scratch = BUF_INIT;
	bool workload = false, ok = true;

	if (!want_seq(c, ms, "manifests"))
		return false;
	if (ms->len == 0)
		return fail_at(c, ms, "manifests must list the objects of a store");
	if (ms->len > CATALOG_MAX_MANIFESTS)
		return fail_at(c, ms, "at most %d manifests per offering", CATALOG_MAX_MANIFESTS);
	if (!walk_placeholders(c, ms, &scratch)) {
		buf_free(&scratch);
		return false;
	}
	buf_free(&scratch);
	seen = xcalloc(ms->len, sizeof(*seen));
	for (size_t i = 0; ok && i < ms->len; i++) {
		const struct ynode *kind;

		ok = read_manifest(c, ms->items[i], seen, i);
		kind = ok ? ynode_get(ms->items[i], "kind") : NULL;
		if (kind && (strcmp(kind->scalar, "Deployment") == 0 ||
			     strcmp(kind->scalar, "StatefulSet") == 0))
			workload = true;
	}
	free(seen);
	for (size_t i = 0; ok && i < ms->len; i++)
		listkeys_check(ms->items[i], &c->f->warnings);
	if (ok && !workload)
		return fail_at(c, ms,
			       "manifests have no Deployment or StatefulSet: nothing would run");
	c->f->nmanifests = ms->len;
	return ok;
}

/* ---- files ---- */

void catalog_file_free(struct catalog_file *f)
{
	if (!f)
		return;
	free(f->path);
	free(f->name);
	free(f->description);
	free(f->text);
	listkey_findings_free(&f->warnings);
	free(f);
}

struct catalog_file *catalog_file_parse(const char *label, const char *text, size_t len,
					struct err *err)
{
	static const char *const keys[] = { "offering", "plans", "manifests", NULL };
	struct catalog_file *f;
	struct ydoc *doc;
	struct cf_ctx c;
	const struct ynode *n;
	bool ok;

	if (len > CATALOG_MAX_FILE_BYTES) {
		err_set(err, "%s: a catalog file is at most %d bytes", label,
			CATALOG_MAX_FILE_BYTES);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		err_set(err, "%s: a catalog file is text (found a NUL byte)", label);
		return NULL;
	}
	doc = ydoc_load_string(label, text, len, err);
	if (!doc)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(label);
	f->text = xstrndup(text, len);
	c.doc = doc;
	c.err = err;
	c.f = f;
	if (!doc->root)
		ok = ydoc_error(doc, NULL, err, "the file is empty");
	else
		ok = want_map(&c, doc->root, "a catalog file") &&
		     only_keys(&c, doc->root, keys, "a catalog file") &&
		     need(&c, doc->root, "offering", "a catalog file", &n) &&
		     read_offering(&c, n) && need(&c, doc->root, "plans", "a catalog file", &n) &&
		     read_plans(&c, n) && need(&c, doc->root, "manifests", "a catalog file", &n) &&
		     read_manifests(&c, n);
	ydoc_free(doc);
	if (!ok) {
		catalog_file_free(f);
		return NULL;
	}
	return f;
}

struct catalog_file *catalog_file_load(const char *path, struct err *err)
{
	FILE *fp = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	struct catalog_file *f;

	if (!fp) {
		err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > CATALOG_MAX_FILE_BYTES)
			break;
	}
	if (ferror(fp)) {
		err_set(err, "%s: %s", path, strerror(errno));
		fclose(fp);
		buf_free(&b);
		return NULL;
	}
	fclose(fp);
	f = catalog_file_parse(path, buf_str(&b), b.len, err);
	buf_free(&b);
	return f;
}
