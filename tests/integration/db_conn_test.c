/* The asynchronous database connection on the event loop, against the
 * PostgreSQL that tests/integration/db_conn.sh starts: connect, queries,
 * errors in words, change notifications, the loop staying responsive during
 * a slow statement, per-request timeouts, a server restart (down, requests
 * refused, reconnect with backoff, LISTEN re-issued, resync), and connect
 * failures and timeouts. The tests share one connection and run in order. */
#include "config.h"

#include <libpq-fe.h>
#include <errno.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "db/conn.h"
#include "db/customers.h"
#include "db/catalog.h"
#include "db/catalog_file.h"
#include "db/db.h"
#include "db/live.h"
#include "db/migrate.h"
#include "db/projects.h"
#include "loop.h"

extern char **environ;

#define MAX_EVENTS 256

struct seen_event {
	enum db_event_kind kind;
	enum db_state state;
	char reason[300];
	char table[32], op[16], key[136];
};

struct fixture {
	struct loop *loop;
	struct db_conn *conn;
	struct conf conf;
	const char *conninfo;
	struct seen_event events[MAX_EVENTS];
	size_t nevents;
	size_t resyncs;
};

struct answer {
	bool done;
	bool ok;
	char err[512];
	long rows;
	char first[128]; /* first column of the first row */
};

static void on_event(void *ud, const struct db_event *ev)
{
	struct fixture *f = ud;
	struct seen_event *s;

	if (ev->kind == DB_EVENT_RESYNC)
		f->resyncs++;
	if (f->nevents == MAX_EVENTS)
		return;
	s = &f->events[f->nevents++];
	memset(s, 0, sizeof(*s));
	s->kind = ev->kind;
	s->state = ev->state;
	if (ev->reason)
		str_copy(s->reason, sizeof(s->reason), ev->reason);
	if (ev->kind == DB_EVENT_CHANGE) {
		str_copy(s->table, sizeof(s->table), ev->table);
		str_copy(s->op, sizeof(s->op), ev->op);
		str_copy(s->key, sizeof(s->key), ev->key);
	}
}

static void on_answer(void *ud, const PGresult *res, const struct err *err)
{
	struct answer *a = ud;

	a->done = true;
	a->ok = res != NULL;
	if (res) {
		a->rows = PQntuples(res);
		if (a->rows > 0 && PQnfields(res) > 0)
			str_copy(a->first, sizeof(a->first), PQgetvalue(res, 0, 0));
	} else {
		str_copy(a->err, sizeof(a->err), err->msg);
	}
}

/* Runs the loop until *flag is true or ms pass; true if it became true. */
static bool run_until(struct fixture *f, const bool *flag, unsigned ms)
{
	uint64_t end = loop_now_ms() + ms;

	while (!*flag && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	return *flag;
}

static bool state_is(struct fixture *f, enum db_state st, unsigned ms)
{
	uint64_t end = loop_now_ms() + ms;

	while (db_conn_state(f->conn, NULL) != st && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	return db_conn_state(f->conn, NULL) == st;
}

/* Index of the first CHANGE event after `from` on table (and key, if given). */
static long find_change(struct fixture *f, size_t from, const char *table, const char *op,
			const char *key, unsigned ms)
{
	uint64_t end = loop_now_ms() + ms;

	for (;;) {
		for (size_t i = from; i < f->nevents; i++) {
			const struct seen_event *s = &f->events[i];

			if (s->kind == DB_EVENT_CHANGE && strcmp(s->table, table) == 0 &&
			    strcmp(s->op, op) == 0 && (!key || strcmp(s->key, key) == 0))
				return (long)i;
		}
		if (loop_now_ms() >= end)
			return -1;
		loop_run_once(f->loop, 20);
	}
}

/* Runs a blocking statement on a second connection (another client). */
static void other_client(struct fixture *f, const char *sql)
{
	struct err err = { { 0 } };
	PGconn *pg = db_open(f->conninfo, &err);

	assert_non_null(pg);
	assert_true(db_exec_fixed(pg, sql, &err));
	db_close(pg);
}

static void pg_ctl(const char *verb)
{
	const char *ctl = getenv("PG_CTL");
	char *argv[3];
	pid_t pid;
	int status;

	assert_non_null(ctl);
	argv[0] = (char *)ctl;
	argv[1] = (char *)verb;
	argv[2] = NULL;
	assert_int_equal(posix_spawn(&pid, ctl, NULL, NULL, argv, environ), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct db_conn_options opt = {
		.connect_timeout_ms = 3000,
		.request_timeout_ms = 5000,
		.backoff_min_ms = 50,
		.backoff_max_ms = 400,
	};
	struct err err = { { 0 } };
	PGconn *pg;
	int applied;

	if (!f)
		return -1;
	f->conninfo = getenv("OPSDECK_TEST_DB");
	if (!f->conninfo) {
		fprintf(stderr, "OPSDECK_TEST_DB is not set (run through db_conn.sh)\n");
		free(f);
		return -1;
	}
	conf_init(&f->conf);
	free(f->conf.operator);
	f->conf.operator = xstrdup("conn-test");
	pg = db_open(f->conninfo, &err);
	if (!pg || !migrate_run(pg, &f->conf, &applied, &err)) {
		fprintf(stderr, "cannot prepare the database: %s\n", err.msg);
		db_close(pg);
		conf_free(&f->conf);
		free(f);
		return -1;
	}
	db_close(pg);
	f->loop = loop_new();
	f->conn = db_conn_new(f->loop, f->conninfo, &opt);
	db_conn_subscribe(f->conn, on_event, f);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	db_conn_unsubscribe(f->conn, on_event, f);
	db_conn_free(f->conn);
	loop_free(f->loop);
	conf_free(&f->conf);
	free(f);
	return 0;
}

static void test_connects_and_listens(void **state)
{
	struct fixture *f = *state;
	const char *reason;
	bool saw_ready = false;

	assert_true(state_is(f, DB_STATE_READY, 5000));
	assert_int_equal(db_conn_state(f->conn, &reason), DB_STATE_READY);
	assert_string_equal(reason, "");
	for (size_t i = 0; i < f->nevents; i++)
		saw_ready = saw_ready || (f->events[i].kind == DB_EVENT_STATE &&
						    f->events[i].state == DB_STATE_READY);
	assert_true(saw_ready);
	/* RESYNC comes once LISTEN is active. */
	assert_int_equal(f->resyncs, 1);
}

static void test_query_result(void **state)
{
	struct fixture *f = *state;
	struct answer a = { 0 };
	struct db_req r;

	customer_req_list(&r, true);
	db_conn_submit(f->conn, &r, 0, on_answer, &a);
	assert_int_equal(r.nparams, 0); /* moved into the connection */
	assert_false(a.done);		/* never answered from inside submit */
	assert_true(run_until(f, &a.done, 5000));
	assert_true(a.ok);
	assert_int_equal(a.rows, 0);
}

static void test_mutation_notifies(void **state)
{
	struct fixture *f = *state;
	struct answer a = { 0 };
	struct db_req r;
	struct err err = { { 0 } };
	size_t mark = f->nevents;
	long i, j;

	assert_true(customer_req_create(&r, &f->conf, "Async Customer", NULL, &err));
	db_conn_submit(f->conn, &r, 0, on_answer, &a);
	assert_true(run_until(f, &a.done, 5000));
	assert_true(a.ok);
	/* The notification names the table, the operation and the new uuid. */
	i = find_change(f, mark, "customers", "insert", a.first, 3000);
	assert_true(i >= 0);
	/* Its audit event is announced too. */
	j = find_change(f, mark, "events", "insert", NULL, 3000);
	assert_true(j >= 0);
}

static void test_other_clients_changes_arrive(void **state)
{
	struct fixture *f = *state;
	size_t mark = f->nevents;

	other_client(f, "INSERT INTO opsdeck.customers (name, slug) VALUES ('Other', 'other-client')");
	assert_true(find_change(f, mark, "customers", "insert", NULL, 3000) >= 0);
}

static void test_bad_payloads_ignored(void **state)
{
	struct fixture *f = *state;
	size_t mark = f->nevents;
	long i;

	other_client(f, "SELECT pg_notify('opsdeck', 'not json'),"
			" pg_notify('opsdeck', '{\"table\":\"nope\",\"op\":\"insert\",\"key\":\"x\"}'),"
			" pg_notify('opsdeck', '{\"table\":\"projects\",\"op\":\"drop\",\"key\":\"x\"}'),"
			" pg_notify('opsdeck', '{\"table\":\"projects\",\"op\":\"update\",\"key\":7}'),"
			" pg_notify('elsewhere', '{\"table\":\"projects\",\"op\":\"update\",\"key\":\"x\"}')");
	other_client(f, "SELECT pg_notify('opsdeck', '{\"table\":\"projects\",\"op\":\"update\","
			"\"key\":\"marker\"}')");
	i = find_change(f, mark, "projects", "update", "marker", 3000);
	assert_true(i >= 0);
	/* Nothing but the well-formed marker came through. */
	assert_int_equal((size_t)i, mark);
}

static void test_errors_in_words(void **state)
{
	struct fixture *f = *state;
	struct answer dup = { 0 }, missing = { 0 };
	struct db_req r;
	struct err err = { { 0 } };

	assert_true(customer_req_create(&r, &f->conf, "Other", "other-client", &err));
	db_conn_submit(f->conn, &r, 0, on_answer, &dup);
	assert_true(project_req_rename(&r, &f->conf, "no-such-project", "X", &err));
	db_conn_submit(f->conn, &r, 0, on_answer, &missing);
	assert_true(run_until(f, &missing.done, 5000));
	assert_true(dup.done); /* answered in order */
	assert_false(dup.ok);
	assert_string_equal(dup.err, "a customer with that slug already exists");
	assert_false(missing.ok);
	assert_string_equal(missing.err, "no project 'no-such-project'");
}

static void tick(struct loop *loop, void *ud)
{
	uint64_t *last_and_worst = ud, now = loop_now_ms();

	(void)loop;
	if (last_and_worst[0] && now - last_and_worst[0] > last_and_worst[1])
		last_and_worst[1] = now - last_and_worst[0];
	last_and_worst[0] = now;
}

/* The console must answer a key within 50 ms while the database works. */
static void test_loop_stays_responsive(void **state)
{
	struct fixture *f = *state;
	struct answer a = { 0 };
	struct db_req r;
	uint64_t lw[2] = { 0, 0 };
	struct loop_timer *t = loop_timer_add(f->loop, 10, 10, tick, lw);

	db_req_init(&r, "SELECT pg_sleep(0.6)");
	db_conn_submit(f->conn, &r, 5000, on_answer, &a);
	assert_true(run_until(f, &a.done, 5000));
	loop_timer_cancel(t);
	assert_true(a.ok);
	print_message("# longest gap between 10 ms ticks during a 600 ms statement: %llu ms\n",
		      (unsigned long long)lw[1]);
	assert_true(lw[1] < 50);
}

static void test_request_timeout_resets(void **state)
{
	struct fixture *f = *state;
	struct answer slow = { 0 }, next = { 0 };
	struct db_req r;
	size_t resyncs = f->resyncs;
	uint64_t t0 = loop_now_ms(), took;

	db_req_init(&r, "SELECT pg_sleep(5)");
	db_conn_submit(f->conn, &r, 300, on_answer, &slow);
	/* Queued behind it: goes out on the new connection. */
	customer_req_list(&r, false);
	db_conn_submit(f->conn, &r, 5000, on_answer, &next);
	assert_true(run_until(f, &slow.done, 3000));
	took = loop_now_ms() - t0;
	assert_false(slow.ok);
	assert_string_equal(slow.err, "the database did not answer within 300 ms");
	/* the message says the timeout ended it: pg_sleep would have answered */
	assert_true(took >= 300);
	assert_true(run_until(f, &next.done, 5000));
	assert_true(next.ok);
	assert_int_equal(next.rows, 2);
	assert_int_equal(f->resyncs, resyncs + 1);
	assert_int_equal(db_conn_state(f->conn, NULL), DB_STATE_READY);
}

static void test_server_restart(void **state)
{
	struct fixture *f = *state;
	struct answer refused = { 0 }, after = { 0 };
	struct db_req r;
	const char *reason;
	size_t resyncs = f->resyncs, mark;
	uint64_t t0;

	pg_ctl("stop");
	assert_true(state_is(f, DB_STATE_DOWN, 5000));
	db_conn_state(f->conn, &reason);
	print_message("# down: %s\n", reason);
	assert_true(strlen(reason) > 0);

	/* While down, requests fail at once, in words, from the loop. */
	customer_req_list(&r, false);
	db_conn_submit(f->conn, &r, 5000, on_answer, &refused);
	assert_false(refused.done);
	assert_true(run_until(f, &refused.done, 1000));
	assert_false(refused.ok);
	assert_true(strncmp(refused.err, "database unavailable: ", 22) == 0);

	/* Let it fail a few attempts, then bring the server back. */
	t0 = loop_now_ms();
	while (loop_now_ms() - t0 < 700)
		loop_run_once(f->loop, 20);
	pg_ctl("start");
	t0 = loop_now_ms();
	assert_true(state_is(f, DB_STATE_READY, 10000));
	print_message("# reconnected %llu ms after the server was back\n",
		      (unsigned long long)(loop_now_ms() - t0));
	assert_int_equal(f->resyncs, resyncs + 1);

	/* LISTEN was re-issued: another client's change reaches us. */
	mark = f->nevents;
	other_client(f, "INSERT INTO opsdeck.customers (name, slug) VALUES ('After', 'after-restart')");
	assert_true(find_change(f, mark, "customers", "insert", NULL, 3000) >= 0);

	customer_req_list(&r, false);
	db_conn_submit(f->conn, &r, 5000, on_answer, &after);
	assert_true(run_until(f, &after.done, 5000));
	assert_true(after.ok);
	assert_int_equal(after.rows, 3);
}

static void test_unreachable_server(void **state)
{
	struct fixture *f = *state;
	struct db_conn_options opt = { .connect_timeout_ms = 1000, .backoff_min_ms = 5000 };
	struct db_conn *c = db_conn_new(f->loop, "host=/nonexistent-opsdeck-dir dbname=x", &opt);
	struct answer a = { 0 };
	struct db_req r;
	const char *reason;
	uint64_t end = loop_now_ms() + 3000;

	while (db_conn_state(c, NULL) != DB_STATE_DOWN && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	assert_int_equal(db_conn_state(c, &reason), DB_STATE_DOWN);
	print_message("# unreachable: %s\n", reason);
	assert_non_null(strstr(reason, "/nonexistent-opsdeck-dir"));
	customer_req_list(&r, false);
	db_conn_submit(c, &r, 0, on_answer, &a);
	end = loop_now_ms() + 1000;
	while (!a.done && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	assert_true(a.done);
	assert_false(a.ok);
	db_conn_free(c);
}

/* A server that accepts the connection and never answers. */
static void test_connect_timeout(void **state)
{
	struct fixture *f = *state;
	struct db_conn_options opt = { .connect_timeout_ms = 300, .backoff_min_ms = 5000 };
	char dir[] = "/tmp/opsdeck-mute.XXXXXX", path[128], conninfo[160];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct db_conn *c;
	const char *reason;
	uint64_t t0, end;
	int s;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.s.PGSQL.5432", dir);
	str_copy(sa.sun_path, sizeof(sa.sun_path), path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 4), 0);
	snprintf(conninfo, sizeof(conninfo), "host=%s port=5432 dbname=x user=x", dir);

	t0 = loop_now_ms();
	c = db_conn_new(f->loop, conninfo, &opt);
	end = t0 + 3000;
	while (db_conn_state(c, NULL) != DB_STATE_DOWN && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	assert_int_equal(db_conn_state(c, &reason), DB_STATE_DOWN);
	assert_string_equal(reason, "no connection within 300 ms");
	assert_true(loop_now_ms() - t0 >= 300);
	db_conn_free(c);
	close(s);
	unlink(path);
	rmdir(dir);
}

static void test_forget_drops_callback(void **state)
{
	struct fixture *f = *state;
	struct answer forgotten = { 0 }, kept = { 0 };
	struct db_req r;

	customer_req_list(&r, false);
	db_conn_submit(f->conn, &r, 0, on_answer, &forgotten);
	customer_req_list(&r, false);
	db_conn_submit(f->conn, &r, 0, on_answer, &kept);
	db_conn_forget(f->conn, &forgotten);
	assert_true(run_until(f, &kept.done, 5000));
	assert_true(kept.ok);
	assert_false(forgotten.done);
}

static void live_changed(void *ud, const struct db_live_change *ch)
{
	(void)ch;
	(*(int *)ud)++;
}

struct outcome {
	bool done, ok;
	char msg[512];
};

static void live_done(void *ud, bool ok, const char *msg)
{
	struct outcome *o = ud;

	o->done = true;
	o->ok = ok;
	str_copy(o->msg, sizeof(o->msg), msg);
}

static const struct project *live_project(struct db_live *l, const char *slug)
{
	const struct project_list *pl = db_live_projects(l);

	for (size_t i = 0; pl && i < pl->n; i++) {
		if (strcmp(pl->v[i].slug, slug) == 0)
			return &pl->v[i];
	}
	return NULL;
}

/* Runs the loop until pred(l) or ms pass. */
static bool live_until(struct fixture *f, struct db_live *l, bool (*pred)(struct db_live *), unsigned ms)
{
	uint64_t end = loop_now_ms() + ms;

	while (!pred(l) && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	return pred(l);
}

static bool live_loaded(struct db_live *l)
{
	return db_live_customers(l) && db_live_projects(l) && db_live_offerings(l);
}

static bool live_has_shop(struct db_live *l)
{
	return live_project(l, "live-shop") != NULL;
}

static bool live_quota_7(struct db_live *l)
{
	const struct project *p = live_project(l, "live-shop");

	return p && p->quota_stores == 7;
}

static bool live_has_plans(struct db_live *l)
{
	const char *slug = NULL;
	const struct plan_list *pl = db_live_plans(l, &slug);

	return pl && pl->n == 3 && strcmp(slug, "medusa") == 0;
}

static bool live_medusa_paused(struct db_live *l)
{
	const struct offering_list *ol = db_live_offerings(l);

	for (size_t i = 0; ol && i < ol->n; i++) {
		if (strcmp(ol->v[i].slug, "medusa") == 0)
			return strcmp(ol->v[i].state, "paused") == 0;
	}
	return false;
}

/* The console's shared model: loads, follows notifications, submits. */
static void test_live_model(void **state)
{
	struct fixture *f = *state;
	struct conf conf;
	struct db_live *a, *b;
	struct outcome o1 = { 0 }, o2 = { 0 }, o3 = { 0 };
	struct db_req r;
	struct err err = { { 0 } };
	char header[128], path[1024];
	const char *srcdir = getenv("top_srcdir");
	struct catalog_file *cf;
	struct catalog_import_report rep;
	PGconn *pg;
	bool alert;
	int changes = 0;
	uint64_t t0;

	conf_init(&conf);
	free(conf.operator);
	conf.operator = xstrdup("live-test");
	conf.database = xstrdup(f->conninfo);
	a = db_live_acquire(f->loop, &conf);
	b = db_live_acquire(f->loop, &conf);
	assert_ptr_equal(a, b); /* one connection per loop and database */
	db_live_release(b);
	db_live_watch(a, live_changed, &changes);

	assert_true(live_until(f, a, live_loaded, 5000));
	assert_true(changes > 0);
	db_live_header(a, header, sizeof(header), &alert);
	assert_string_equal(header, "db: ready");
	assert_false(alert);
	assert_int_equal(db_live_customers(a)->n, 3);

	/* Another client's change shows up, coalesced and re-read. */
	t0 = loop_now_ms();
	other_client(f, "INSERT INTO opsdeck.projects (customer, name, slug)"
			" SELECT uuid, 'Live Shop', 'live-shop' FROM opsdeck.customers WHERE slug = 'after-restart'");
	assert_true(live_until(f, a, live_has_shop, 3000));
	print_message("# another client's new project shown after %llu ms\n",
		      (unsigned long long)(loop_now_ms() - t0));

	/* A mutation through the model; the list follows. */
	assert_true(project_req_set_quota(&r, &conf, "live-shop", 7, -1, -1, &err));
	db_live_submit(a, &r, live_done, &o1);
	assert_true(run_until(f, &o1.done, 5000));
	assert_true(o1.ok);
	assert_true(live_until(f, a, live_quota_7, 3000));

	/* A refused one says why. */
	assert_true(project_req_archive(&r, &conf, "no-such", &err));
	db_live_submit(a, &r, live_done, &o2);
	assert_true(run_until(f, &o2.done, 5000));
	assert_false(o2.ok);
	assert_string_equal(o2.msg, "no project 'no-such'");

	/* Plans of one offering, and an offering's state, live. */
	pg = db_open(f->conninfo, &err);
	assert_non_null(pg);
	snprintf(path, sizeof(path), "%s/catalog/medusa.yaml", srcdir ? srcdir : ".");
	cf = catalog_file_load(path, &err);
	assert_non_null(cf);
	assert_true(catalog_import(pg, &conf, &cf, 1, &rep, &err));
	catalog_file_free(cf);
	db_close(pg);
	db_live_want_plans(a, "medusa");
	assert_true(live_until(f, a, live_has_plans, 3000));
	assert_true(catalog_req_set_state(&r, &conf, "medusa", false, "test", &err));
	db_live_submit(a, &r, live_done, &o3);
	assert_true(live_until(f, a, live_medusa_paused, 3000));
	assert_true(o3.ok);

	db_live_unwatch(a, live_changed, &changes);
	db_live_release(a);
	conf_free(&conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connects_and_listens),
		cmocka_unit_test(test_query_result),
		cmocka_unit_test(test_mutation_notifies),
		cmocka_unit_test(test_other_clients_changes_arrive),
		cmocka_unit_test(test_bad_payloads_ignored),
		cmocka_unit_test(test_errors_in_words),
		cmocka_unit_test(test_loop_stays_responsive),
		cmocka_unit_test(test_request_timeout_resets),
		cmocka_unit_test(test_server_restart),
		cmocka_unit_test(test_unreachable_server),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_forget_drops_callback),
		cmocka_unit_test(test_live_model),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
