#include "config.h"

#include "store_drill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "db/storeobj.h"
#include "foreground.h"
#include "jsonget.h"
#include "kube/api.h"
#include "kube/objyaml.h"
#include "pane.h"
#include "style.h"

#define KUBECTL "kubectl"
#define RESTARTED_AT "kubectl.kubernetes.io/restartedAt"
#define SHELL_CMD "command -v bash >/dev/null && exec bash || exec sh"
#define MAX_CONTAINERS 16

/* A copy of a drill_target that outlives the key. */
struct dtarget {
	char store[16];
	char cluster[64];
	char context[256];
	char ns[64];
	char name[256];
	enum inventory_kind kind;
};

enum view { VIEW_NONE, VIEW_YAML, VIEW_EVENTS };

struct store_drill {
	struct app *app;
	struct db_live *live;
	struct kube_registry *reg; /* the pane's, borrowed */

	/* The text view. */
	enum view view;
	struct dtarget vt;
	struct table *yaml, *events;
	struct kube_op *read;
	char *text; /* the YAML */
	struct objevent_list ev;
	bool have_events;
	char title[400];

	/* An audited change waiting for its confirmation or its event. */
	enum store_obj_op op;
	struct dtarget mt;
	bool auditing;
	struct kube_op *change;

	/* A shell or port-forward being prepared: the pod or service read. */
	bool forward;
	struct dtarget st;
	struct kube_op *prep;
	char pod[256];
	char containers[MAX_CONTAINERS][64];
	size_t ncontainers;
	long remote_port;
	char fwd_what[300]; /* "svc/wordpress" */
};

static const struct table_column yaml_cols[] = {
    {"YAML", 10, 0, 1, TABLE_LEFT, 0},
};

enum { EV_TYPE, EV_REASON, EV_AGE, EV_COUNT, EV_MESSAGE, EV_NCOLS };
static const struct table_column event_cols[] = {
    {"TYPE", 7, 7, 0, TABLE_LEFT, 0},	  {"REASON", 6, 24, 0, TABLE_LEFT, 0},
    {"AGE", 3, 5, 0, TABLE_RIGHT, 0},	  {"COUNT", 5, 6, 0, TABLE_RIGHT, 0},
    {"MESSAGE", 10, 0, 1, TABLE_LEFT, 0},
};

static const struct kube_resource *res_of(enum inventory_kind k)
{
	switch (k) {
	case INV_DEPLOYMENTS:
		return &kube_res_deployments;
	case INV_STATEFULSETS:
		return &kube_res_statefulsets;
	case INV_PODS:
		return &kube_res_pods;
	case INV_PVCS:
		return &kube_res_pvcs;
	case INV_SERVICES:
		return &kube_res_services;
	case INV_INGRESSES:
		return &kube_res_ingresses;
	default:
		return NULL;
	}
}

static void copy_target(struct dtarget *dst, const struct drill_target *t)
{
	str_copy(dst->store, sizeof(dst->store), t->store);
	str_copy(dst->cluster, sizeof(dst->cluster), t->cluster);
	str_copy(dst->context, sizeof(dst->context), t->context ? t->context : "");
	str_copy(dst->ns, sizeof(dst->ns), t->ns);
	str_copy(dst->name, sizeof(dst->name), t->name);
	dst->kind = t->kind;
}

/* "pod/web-1" */
static void target_words(const struct dtarget *t, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s/%s", inventory_kind_name(t->kind), t->name);
}

static struct kube_http *client_for(struct store_drill *d, const char *context, struct err *err)
{
	if (!d->reg) {
		err_set(err, "no cluster client");
		return NULL;
	}
	return kube_registry_client(d->reg, context[0] ? context : NULL, err);
}

struct store_drill *store_drill_new(struct app *app, struct db_live *live)
{
	struct store_drill *d = xcalloc(1, sizeof(*d));

	d->app = app;
	d->live = live;
	d->yaml = table_new("YAML", yaml_cols, ARRAY_LEN(yaml_cols));
	d->events = table_new("Events", event_cols, ARRAY_LEN(event_cols));
	return d;
}

static void cancel_prep(struct store_drill *d)
{
	kube_op_cancel(d->prep);
	d->prep = NULL;
}

void store_drill_close(struct store_drill *d)
{
	cancel_prep(d); /* a shell asked for and not started yet is not wanted now */
	kube_op_cancel(d->read);
	d->read = NULL;
	x_free(&d->text);
	objevents_free(&d->ev);
	d->have_events = false;
	d->view = VIEW_NONE;
}

void store_drill_free(struct store_drill *d)
{
	if (!d)
		return;
	store_drill_close(d);
	cancel_prep(d);
	kube_op_cancel(d->change);
	if (d->live)
		db_live_forget(d->live, d);
	foreground_forget(d);
	table_free(d->yaml);
	table_free(d->events);
	free(d);
}

bool store_drill_viewing(const struct store_drill *d)
{
	return d && d->view != VIEW_NONE;
}

struct table *store_drill_table(struct store_drill *d)
{
	if (!d || d->view == VIEW_NONE)
		return NULL;
	return d->view == VIEW_YAML ? d->yaml : d->events;
}

/* ---- the YAML view ---- */

static void yaml_rows(struct store_drill *d)
{
	struct table_model *tm = table_model(d->yaml);
	const char *p = d->text;
	size_t n = 0;

	table_model_begin(tm);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char key[24], *line = xstrndup(p, len);
		const char *cells[1] = {line};

		snprintf(key, sizeof(key), "%zu", n++);
		table_model_add(tm, key, cells, -1, -1);
		free(line);
		p = nl ? nl + 1 : p + len;
	}
	table_model_end(tm);
}

static void yaml_read(const struct kube_result *res, void *ud)
{
	struct store_drill *d = ud;
	struct buf b = BUF_INIT;
	char what[320];

	d->read = NULL;
	target_words(&d->vt, what, sizeof(what));
	if (!kube_result_ok(res)) {
		char text[1100];

		snprintf(text, sizeof(text), "%s: cluster %s: %.300s", what, d->vt.cluster,
			 res->err.msg);
		table_set_empty_text(d->yaml, text);
		x_free(&d->text);
	} else {
		objyaml_render(res->obj, &b);
		free(d->text);
		d->text = buf_steal(&b);
	}
	yaml_rows(d);
	app_redraw(d->app);
}

/* ---- the events view ---- */

static void events_read(const struct kube_result *res, void *ud)
{
	struct store_drill *d = ud;
	char what[320];

	d->read = NULL;
	target_words(&d->vt, what, sizeof(what));
	objevents_free(&d->ev);
	d->have_events = kube_result_ok(res);
	if (!d->have_events) {
		char text[1100];

		snprintf(text, sizeof(text), "%s: cluster %s: %.300s", what, d->vt.cluster,
			 res->err.msg);
		table_set_empty_text(d->events, text);
	} else {
		char text[400];

		objevents_read(res->obj, &d->ev);
		snprintf(text, sizeof(text), "No events of %s (the cluster keeps them an hour)",
			 what);
		table_set_empty_text(d->events, text);
	}
	app_redraw(d->app);
}

/* The bytes of s that fit in width cells, cut after a space if one is near. */
static size_t wrap_cut(const char *s, int width)
{
	int used;
	size_t n = utf8_fit(s, width, &used);

	if (s[n] == '\0' || n == 0)
		return n ? n : strlen(s) ? 1 : 0;
	for (size_t i = n; i > n / 2; i--) {
		if (s[i - 1] == ' ')
			return i;
	}
	return n;
}

/* The events, each message whole over as many lines as it takes at the
 * width its column has now. */
static void event_rows(struct store_drill *d, int width)
{
	struct table_model *tm = table_model(d->events);
	int widths[EV_NCOLS];
	time_t now = time(NULL);

	/* the message column's width once the other columns have their content */
	for (int pass = 0; pass < 2; pass++) {
		int mw;

		table_model_layout(tm, width, widths);
		mw = widths[EV_MESSAGE] > 10 ? widths[EV_MESSAGE] : 10;
		table_model_begin(tm);
		for (size_t i = 0; i < d->ev.n; i++) {
			const struct objevent *e = &d->ev.v[i];
			const char *m = e->message;
			char age[24], count[24], key[48];
			size_t line = 0;

			if (e->at)
				str_age((long)(now - e->at), age, sizeof(age));
			else
				str_copy(age, sizeof(age), "-");
			snprintf(count, sizeof(count), "%ld", e->count);
			do {
				size_t cut = wrap_cut(m, mw);
				char *part = xstrndup(m, cut);
				const char *cells[EV_NCOLS] = {
				    line ? "" : e->type, line ? "" : e->reason, line ? "" : age,
				    line ? "" : count, part};

				snprintf(key, sizeof(key), "%zu.%zu", i, line++);
				table_model_add(tm, key, cells, e->warning ? ROLE_STATE_BAD : -1,
						EV_TYPE);
				free(part);
				m += cut;
				while (*m == ' ')
					m++;
			} while (*m);
		}
		table_model_end(tm);
	}
}

/* ---- opening a view ---- */

static void start_read(struct store_drill *d)
{
	const struct kube_resource *res = res_of(d->vt.kind);
	struct kube_http *h;
	struct err err = {{0}};
	char what[320], text[1100];

	kube_op_cancel(d->read);
	d->read = NULL;
	target_words(&d->vt, what, sizeof(what));
	snprintf(text, sizeof(text), "Reading %s from cluster %s…", what, d->vt.cluster);
	table_set_empty_text(d->view == VIEW_YAML ? d->yaml : d->events, text);
	h = client_for(d, d->vt.context, &err);
	if (h && d->view == VIEW_YAML) {
		d->read = kube_get(h, res, d->vt.ns, d->vt.name, yaml_read, d, &err);
	} else if (h) {
		struct buf sel = BUF_INIT;
		struct kube_list_opts o = {0};

		buf_printf(&sel, "involvedObject.name=%s,involvedObject.kind=%s", d->vt.name,
			   res->kind);
		o.field_selector = buf_str(&sel);
		d->read = kube_list(h, &kube_res_events, d->vt.ns, &o, events_read, d, &err);
		buf_free(&sel);
	}
	if (!d->read) {
		snprintf(text, sizeof(text), "%s: cluster %s: %.300s", what, d->vt.cluster,
			 err_isset(&err) ? err.msg : "cannot read it");
		table_set_empty_text(d->view == VIEW_YAML ? d->yaml : d->events, text);
	}
}

static void open_view(struct store_drill *d, enum view v, const struct dtarget *t)
{
	char what[320];
	struct table *tb = v == VIEW_YAML ? d->yaml : d->events;

	store_drill_close(d);
	d->vt = *t;
	d->view = v;
	target_words(t, what, sizeof(what));
	snprintf(d->title, sizeof(d->title), "%s of %s, store %s (Esc back, r reads again)",
		 v == VIEW_YAML ? "YAML" : "Events", what, t->store);
	table_set_title(tb, d->title);
	table_model_begin(table_model(tb));
	table_model_end(table_model(tb));
	table_model_set_filter(table_model(tb), "");
	table_model_top(table_model(tb));
	start_read(d);
	if (v == VIEW_EVENTS)
		table_model_bottom(table_model(tb));
}

void store_drill_draw(struct store_drill *d, const struct rect *r)
{
	if (d->view == VIEW_EVENTS) {
		bool at_end = table_model_nvisible(table_model(d->events)) == 0 ||
			      table_model_cursor(table_model(d->events)) + 1 >=
				  table_model_nvisible(table_model(d->events));

		event_rows(d, r->w - 2);
		/* newest last: the cursor stays there as events come */
		if (at_end)
			table_model_bottom(table_model(d->events));
		table_draw(d->events, r, true);
	} else if (d->view == VIEW_YAML) {
		table_draw(d->yaml, r, true);
	}
}

/* ---- audited changes: delete a pod, restart a workload ---- */

static void change_done(const struct kube_result *res, void *ud)
{
	struct store_drill *d = ud;
	char what[320];

	d->change = NULL;
	target_words(&d->mt, what, sizeof(what));
	if (!kube_result_ok(res)) {
		app_error(d->app, "%s of store %s: cluster %s: %s", what, d->mt.store,
			  d->mt.cluster, res->err.msg);
		return;
	}
	if (d->op == STORE_OBJ_DELETE_POD)
		app_info(d->app, "Deleted %s (audited); its controller makes a new one", what);
	else
		app_info(d->app, "Restarting %s (audited): new pods replace the old ones", what);
	app_redraw(d->app);
}

/* The audit event is written: now, and only now, the cluster is asked. */
static void change_audited(void *ud, const struct db_rows *rows, const char *error)
{
	struct store_drill *d = ud;
	const struct kube_resource *res = res_of(d->mt.kind);
	const char *const *cell;
	struct kube_http *h;
	struct err err = {{0}};
	char what[320];

	d->auditing = false;
	target_words(&d->mt, what, sizeof(what));
	if (!rows || rows->nrows != 1 || rows->ncols != STORE_OBJ_NCOLS) {
		app_error(d->app, "%s", rows ? "unexpected answer to the audit event" : error);
		return;
	}
	cell = rows->cells;
	/* where the store is now, as the database says */
	if (!cell[STORE_OBJ_NAMESPACE] || strcmp(cell[STORE_OBJ_NAMESPACE], d->mt.ns) != 0) {
		app_error(d->app, "store %s is no longer in namespace %s: nothing changed",
			  d->mt.store, d->mt.ns);
		return;
	}
	h = client_for(d, cell[STORE_OBJ_CONTEXT] ? cell[STORE_OBJ_CONTEXT] : "", &err);
	if (h && d->op == STORE_OBJ_DELETE_POD) {
		d->change = kube_delete(h, res, d->mt.ns, d->mt.name, NULL, change_done, d, &err);
	} else if (h) {
		char at[32];
		time_t now = time(NULL);
		struct tm tmv;
		json_t *patch;

		gmtime_r(&now, &tmv);
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tmv);
		patch = json_pack("{s:{s:{s:{s:{s:s}}}}}", "spec", "template", "metadata",
				  "annotations", RESTARTED_AT, at);
		d->change = kube_merge_patch(h, res, d->mt.ns, d->mt.name, NULL, patch, change_done,
					     d, &err);
		json_decref(patch);
	}
	if (!d->change)
		app_error(d->app, "%s of store %s: cluster %s: %s", what, d->mt.store,
			  d->mt.cluster, err_isset(&err) ? err.msg : "no client");
}

static void change_confirmed(struct app *app, void *ud)
{
	struct store_drill *d = ud;
	const struct kube_resource *res = res_of(d->mt.kind);
	struct db_req r;
	struct err err = {{0}};

	if (d->auditing || d->change) {
		app_error(app, "A change is still under way; try again when it is done");
		return;
	}
	if (!d->live || !store_req_object_op(&r, app_conf(app), d->mt.store, d->op, res->kind,
					     d->mt.name, &err)) {
		app_error(app, "%s", err_isset(&err) ? err.msg : "no database");
		return;
	}
	d->auditing = true;
	db_live_query(d->live, &r, change_audited, d);
}

static void ask_change(struct store_drill *d, enum store_obj_op op, const struct drill_target *t)
{
	char q[400], what[320];

	if (app_read_only(d->app)) {
		app_error(d->app, "read-only mode: refusing to %s",
			  op == STORE_OBJ_DELETE_POD ? "delete a pod" : "restart a workload");
		return;
	}
	/* d->op and d->mt belong to the change under way until it ends */
	if (d->auditing || d->change) {
		app_error(d->app, "A change is still under way; try again when it is done");
		return;
	}
	if (op == STORE_OBJ_DELETE_POD && t->kind != INV_PODS) {
		app_error(d->app, "D deletes a pod: move the cursor to one of the store's pods");
		return;
	}
	if (op == STORE_OBJ_ROLLOUT_RESTART && t->kind != INV_DEPLOYMENTS &&
	    t->kind != INV_STATEFULSETS) {
		app_error(d->app,
			  "R restarts a Deployment or a StatefulSet: move the cursor to one");
		return;
	}
	d->op = op;
	copy_target(&d->mt, t);
	target_words(&d->mt, what, sizeof(what));
	if (op == STORE_OBJ_DELETE_POD)
		snprintf(q, sizeof(q), "Delete pod %s of store %s? Its controller makes a new one.",
			 t->name, t->store);
	else
		snprintf(q, sizeof(q), "Restart %s of store %s? Its pods are replaced one by one.",
			 what, t->store);
	app_confirm(d->app, q, change_confirmed, d);
}

/* ---- kubectl: a shell, a port-forward ---- */

static void kubectl_ended(struct app *app, int status, void *ud)
{
	struct store_drill *d = ud;
	const char *what = d->forward ? "kubectl port-forward" : "kubectl exec";

	if (status == -1) {
		app_error(app, "%s: could not wait for it", what);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		app_error(app, "%s could not be run (exit status 127)", what);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		app_error(app, "%s ended with exit status %d", what, WEXITSTATUS(status));
	} else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGINT) {
		app_error(app, "%s was stopped by signal %d", what, WTERMSIG(status));
	} else {
		app_info(app, "%s ended; back in opsdeck", what);
	}
}

/* argv: kubectl [--context CTX] -n NS, then rest (NULL-terminated). */
static void run_kubectl(struct store_drill *d, const char *const *rest, const char *banner)
{
	const char *argv[24];
	const char *kubeconfig = app_conf(d->app)->kubeconfig;
	char path[4096], kc_arg[4200], ctx_arg[300];
	size_t n = 0;
	struct err err = {{0}};

	if (!foreground_find(KUBECTL, path, sizeof(path))) {
		app_error(d->app,
			  "kubectl is not on the PATH: install it to open a shell or forward a "
			  "port");
		return;
	}
	argv[n++] = KUBECTL;
	/* the kubeconfig the console reads, not whatever kubectl would */
	if (kubeconfig && *kubeconfig) {
		snprintf(kc_arg, sizeof(kc_arg), "--kubeconfig=%s", kubeconfig);
		argv[n++] = kc_arg;
	}
	if (d->st.context[0]) {
		snprintf(ctx_arg, sizeof(ctx_arg), "--context=%s", d->st.context);
		argv[n++] = ctx_arg;
	}
	argv[n++] = "-n";
	argv[n++] = d->st.ns;
	for (size_t i = 0; rest[i] && n < ARRAY_LEN(argv) - 1; i++)
		argv[n++] = rest[i];
	argv[n] = NULL;
	if (!foreground_run(d->app, argv, banner, kubectl_ended, d, &err))
		app_error(d->app, "%s", err.msg);
}

static void exec_shell(struct store_drill *d, const char *container)
{
	const char *rest[] = {"exec", "-it", d->pod, "-c",	container,
			      "--",   "sh",  "-c",   SHELL_CMD, NULL};
	char banner[512];

	snprintf(banner, sizeof(banner),
		 "opsdeck: a shell in pod %s, container %s (store %s); exit returns to opsdeck\r\n",
		 d->pod, container, d->st.store);
	run_kubectl(d, rest, banner);
}

static bool known_container(struct store_drill *d, const char *name)
{
	for (size_t i = 0; i < d->ncontainers; i++) {
		if (strcmp(d->containers[i], name) == 0)
			return true;
	}
	return false;
}

static void container_chosen(struct app *app, const char *text, void *ud)
{
	struct store_drill *d = ud;

	if (!text)
		return;
	if (!known_container(d, text)) {
		app_error(app, "'%.60s' is not a container of pod %s", text, d->pod);
		return;
	}
	exec_shell(d, text);
}

static const struct app_prompt_ops container_prompt = {.on_done = container_chosen};

/* The pod to open a shell in is known: its containers decide. */
static void shell_in_pod(struct store_drill *d, const json_t *pod)
{
	const json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers");
	char label[400];
	size_t i, len = 0;
	json_t *c;

	str_copy(d->pod, sizeof(d->pod), json_get_str(json_object_get(pod, "metadata"), "name"));
	d->ncontainers = 0;
	/* names go to kubectl's command line: only names, never options */
	if (!kube_valid_name(d->pod)) {
		app_error(d->app, "the cluster answered a pod with no valid name");
		return;
	}
	json_array_foreach(cs, i, c)
	{
		const char *name = json_get_str(c, "name");

		if (kube_valid_name(name) && d->ncontainers < MAX_CONTAINERS)
			str_copy(d->containers[d->ncontainers++], sizeof(d->containers[0]), name);
	}
	if (d->ncontainers == 0) {
		app_error(d->app, "pod %s has no container to open a shell in", d->pod);
		return;
	}
	if (d->ncontainers == 1) {
		exec_shell(d, d->containers[0]);
		return;
	}
	len = (size_t)snprintf(label, sizeof(label), "Pod %s has %zu containers:", d->pod,
			       d->ncontainers);
	for (i = 0; i < d->ncontainers && len < sizeof(label); i++)
		len += (size_t)snprintf(label + len, sizeof(label) - len, "%s %s", i ? "," : "",
					d->containers[i]);
	app_info(d->app, "%s; which one? (Esc cancels)", label);
	app_prompt(d->app, "Container: ", d->containers[0], &container_prompt, d);
}

static void prep_failed(struct store_drill *d, const char *msg)
{
	char what[320];

	target_words(&d->st, what, sizeof(what));
	app_error(d->app, "%s of store %s: cluster %s: %s", what, d->st.store, d->st.cluster, msg);
}

static void pods_listed(const struct kube_result *res, void *ud)
{
	struct store_drill *d = ud;
	const json_t *items, *pick = NULL;
	size_t i;
	json_t *pod;

	d->prep = NULL;
	if (!kube_result_ok(res)) {
		prep_failed(d, res->err.msg);
		return;
	}
	items = json_object_get(res->obj, "items");
	/* the first running pod by name, else the first */
	json_array_foreach(items, i, pod)
	{
		const char *phase = json_get_str(json_object_get(pod, "status"), "phase");
		const char *name = json_get_str(json_object_get(pod, "metadata"), "name");
		bool running = strcmp(phase, "Running") == 0;
		const char *best =
		    pick ? json_get_str(json_object_get(pick, "metadata"), "name") : "";
		bool best_running =
		    pick &&
		    strcmp(json_get_str(json_object_get(pick, "status"), "phase"), "Running") == 0;

		if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
			continue;
		if (!pick || (running && !best_running) ||
		    (running == best_running && strcmp(name, best) < 0))
			pick = pod;
	}
	if (!pick) {
		prep_failed(d, "it has no pod now");
		return;
	}
	shell_in_pod(d, pick);
}

/* The workload is read: its selector names its pods. */
static void workload_read(const struct kube_result *res, void *ud)
{
	struct store_drill *d = ud;
	const json_t *ml;
	struct buf sel = BUF_INIT;
	struct kube_list_opts o = {0};
	struct kube_http *h;
	struct err err = {{0}};
	const char *key;
	json_t *v;

	d->prep = NULL;
	if (!kube_result_ok(res)) {
		prep_failed(d, res->err.msg);
		return;
	}
	ml = json_object_get(json_object_get(json_object_get(res->obj, "spec"), "selector"),
			     "matchLabels");
	json_object_foreach((json_t *)ml, key, v)
	    buf_printf(&sel, "%s%s=%s", sel.len ? "," : "", key,
		       json_is_string(v) ? json_string_value(v) : "");
	if (sel.len == 0) {
		buf_free(&sel);
		prep_failed(d, "it selects its pods by no label");
		return;
	}
	o.label_selector = buf_str(&sel);
	h = client_for(d, d->st.context, &err);
	if (h)
		d->prep = kube_list(h, &kube_res_pods, d->st.ns, &o, pods_listed, d, &err);
	buf_free(&sel);
	if (!d->prep)
		prep_failed(d, err_isset(&err) ? err.msg : "cannot list its pods");
}

static void port_chosen(struct app *app, const char *text, void *ud)
{
	struct store_drill *d = ud;
	char ports[48], banner[600];
	long local;
	const char *rest[] = {"port-forward", d->fwd_what, ports, NULL};

	if (!text)
		return;
	if (!str_to_long(text, 1, 65535, &local)) {
		app_error(app, "Local port: a whole number from 1 to 65535, not '%.20s'", text);
		return;
	}
	snprintf(ports, sizeof(ports), "%ld:%ld", local, d->remote_port);
	snprintf(banner, sizeof(banner),
		 "opsdeck: forwarding localhost:%ld to %s port %ld (store %s); Ctrl-C stops it and "
		 "returns to opsdeck\r\n",
		 local, d->fwd_what, d->remote_port, d->st.store);
	run_kubectl(d, rest, banner);
}

static const struct app_prompt_ops port_prompt = {.on_done = port_chosen};

/* The first port the service or pod declares. */
static long first_port(const json_t *obj, bool service)
{
	const json_t *spec = json_object_get(obj, "spec");
	size_t i, j;
	json_t *c, *p;

	if (service) {
		p = json_array_get(json_object_get(spec, "ports"), 0);
		return (long)json_integer_value(json_object_get(p, "port"));
	}
	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		json_array_foreach(json_object_get(c, "ports"), j, p)
		{
			json_int_t n = json_integer_value(json_object_get(p, "containerPort"));

			if (n > 0 && n <= 65535)
				return (long)n;
		}
	}
	return 0;
}

/* The pod (for s) or the service or pod (for F) is read. */
static void target_read(const struct kube_result *res, void *ud)
{
	struct store_drill *d = ud;
	char initial[24];

	d->prep = NULL;
	if (!kube_result_ok(res)) {
		prep_failed(d, res->err.msg);
		return;
	}
	if (!d->forward) {
		shell_in_pod(d, res->obj);
		return;
	}
	d->remote_port = first_port(res->obj, d->st.kind == INV_SERVICES);
	if (d->remote_port <= 0 || d->remote_port > 65535) {
		prep_failed(d, d->st.kind == INV_SERVICES ? "the service has no port"
							  : "the pod's containers declare no port");
		return;
	}
	snprintf(d->fwd_what, sizeof(d->fwd_what), "%s/%s",
		 d->st.kind == INV_SERVICES ? "svc" : "pod", d->st.name);
	app_info(d->app, "Forward a local port to %s port %ld of store %s (Esc cancels)",
		 d->fwd_what, d->remote_port, d->st.store);
	/* a port below 1024 is not for an operator's own account to bind */
	snprintf(initial, sizeof(initial), "%ld",
		 d->remote_port < 1024 ? d->remote_port + 8000 : d->remote_port);
	app_prompt(d->app, "Local port: ", initial, &port_prompt, d);
}

static void start_kubectl(struct store_drill *d, bool forward, const struct drill_target *t)
{
	const struct kube_resource *res = res_of(t->kind);
	struct kube_http *h;
	struct err err = {{0}};
	char path[4096];

	if (forward ? t->kind != INV_SERVICES && t->kind != INV_PODS
		    : t->kind != INV_PODS && t->kind != INV_DEPLOYMENTS &&
			  t->kind != INV_STATEFULSETS) {
		app_error(d->app, forward
				      ? "F forwards a port to a service or a pod: move the "
					"cursor to one"
				      : "s opens a shell in a pod, or in a pod of a Deployment or "
					"StatefulSet: move the cursor to one");
		return;
	}
	/* a shell can change anything in the pod; a port-forward only reads
	 * (k9s draws the line at the same place) */
	if (!forward && app_read_only(d->app)) {
		app_error(d->app,
			  "read-only mode: refusing to open a shell (it can change the pod)");
		return;
	}
	if (foreground_busy()) {
		app_error(d->app, "kubectl is still running");
		return;
	}
	if (!kube_valid_name(t->name) || !kube_valid_namespace(t->ns)) {
		app_error(d->app, "'%.60s' is not a Kubernetes object name", t->name);
		return;
	}
	/* said now, before anything is read */
	if (!foreground_find(KUBECTL, path, sizeof(path))) {
		app_error(d->app,
			  "kubectl is not on the PATH: install it to open a shell or forward a "
			  "port");
		return;
	}
	cancel_prep(d);
	d->forward = forward;
	copy_target(&d->st, t);
	h = client_for(d, d->st.context, &err);
	if (h)
		d->prep =
		    kube_get(h, res, t->ns, t->name,
			     t->kind == INV_PODS || forward ? target_read : workload_read, d, &err);
	if (!d->prep)
		prep_failed(d, err_isset(&err) ? err.msg : "cannot read it");
}

/* ---- keys ---- */

static bool drill_action(enum action a)
{
	switch (a) {
	case ACTION_DETAILS_YAML:
	case ACTION_DETAILS_EVENTS:
	case ACTION_DETAILS_DELETE_POD:
	case ACTION_DETAILS_RESTART:
	case ACTION_DETAILS_SHELL:
	case ACTION_DETAILS_PORT_FORWARD:
		return true;
	default:
		return false;
	}
}

unsigned store_drill_key(struct store_drill *d, struct kube_registry *reg, keycode k,
			 const struct drill_target *t)
{
	enum action a = keymap_lookup(app_keymap(d->app), SCOPE_STORE_DETAILS, k);

	d->reg = reg;
	if (d->view != VIEW_NONE) {
		switch (a) {
		case ACTION_CANCEL:
			store_drill_close(d);
			return PANE_HANDLED | PANE_REDRAW;
		case ACTION_DETAILS_REFRESH:
			start_read(d);
			return PANE_HANDLED | PANE_REDRAW;
		case ACTION_DETAILS_YAML:
		case ACTION_DETAILS_EVENTS: {
			struct dtarget vt = d->vt;

			open_view(d, a == ACTION_DETAILS_YAML ? VIEW_YAML : VIEW_EVENTS, &vt);
			return PANE_HANDLED | PANE_REDRAW;
		}
		default:
			return PANE_IGNORED;
		}
	}
	if (!drill_action(a))
		return PANE_IGNORED;
	if (!t || !res_of(t->kind)) {
		app_error(d->app,
			  "Move the cursor to one of the store's objects first (a workload, "
			  "pod, service...)");
		return PANE_HANDLED | PANE_REDRAW;
	}
	switch (a) {
	case ACTION_DETAILS_YAML:
	case ACTION_DETAILS_EVENTS: {
		struct dtarget vt;

		copy_target(&vt, t);
		open_view(d, a == ACTION_DETAILS_YAML ? VIEW_YAML : VIEW_EVENTS, &vt);
		break;
	}
	case ACTION_DETAILS_DELETE_POD:
		ask_change(d, STORE_OBJ_DELETE_POD, t);
		break;
	case ACTION_DETAILS_RESTART:
		ask_change(d, STORE_OBJ_ROLLOUT_RESTART, t);
		break;
	case ACTION_DETAILS_SHELL:
		start_kubectl(d, false, t);
		break;
	case ACTION_DETAILS_PORT_FORWARD:
		start_kubectl(d, true, t);
		break;
	default:
		break;
	}
	return PANE_HANDLED | PANE_REDRAW;
}
