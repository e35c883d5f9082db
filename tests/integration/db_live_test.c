/* The live lists' typed notices and the connection's link checks, against
 * the PostgreSQL (with a TCP port) and the silent-link proxy that
 * tests/integration/db_live.sh starts: one store's change names that store
 * only and its row is read again; a job of it names its jobs; a reconnect
 * re-reads all stores; a host name (localhost) is looked up off the loop;
 * a link that goes silent is seen DOWN within 20 s and READY again once
 * it forwards. The tests share one loop and run in order. */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "conf.h"
#include "db/conn.h"
#include "db/db.h"
#include "db/live.h"
#include "loop.h"

extern char **environ;

/* The store the script made, and the one it leaves alone. */
#define STORE_A "00000000000a"
#define STORE_B "00000000000b"

struct seen {
	size_t notices;
	bool stores_all;
	char ids[8][16], jobs[8][16];
	size_t nids, njobs;
	size_t store_notices;
};

struct fixture {
	struct loop *loop;
	struct conf conf;
	const char *conninfo;
	struct db_live *live;
	struct seen seen;
};

static void on_change(void *ud, const struct db_live_change *ch)
{
	struct seen *s = ud;

	s->notices++;
	if (!(ch->lists & DB_LIVE_BIT(DB_LIVE_STORES)))
		return;
	s->store_notices++;
	s->stores_all = ch->stores_all;
	s->nids = ch->nstore_ids < 8 ? ch->nstore_ids : 8;
	s->njobs = ch->njob_store_ids < 8 ? ch->njob_store_ids : 8;
	for (size_t i = 0; i < s->nids; i++)
		str_copy(s->ids[i], sizeof(s->ids[i]), ch->store_ids[i]);
	for (size_t i = 0; i < s->njobs; i++)
		str_copy(s->jobs[i], sizeof(s->jobs[i]), ch->job_store_ids[i]);
}

/* Runs the loop until the next notice of the stores (true) or ms pass. */
static bool next_stores_notice(struct fixture *f, unsigned ms)
{
	size_t n = f->seen.store_notices;
	uint64_t end = loop_now_ms() + ms;

	while (f->seen.store_notices == n && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	return f->seen.store_notices > n;
}

static void other_client(struct fixture *f, const char *sql)
{
	struct err err = { { 0 } };
	PGconn *pg = db_open(f->conninfo, &err);

	assert_non_null(pg);
	assert_true(db_exec_fixed(pg, sql, &err));
	db_close(pg);
}

/* Runs a program of the script's (PG_CTL, or kill for the proxy). */
static void run(const char *prog, const char *arg1, const char *arg2)
{
	char *argv[4] = { (char *)prog, (char *)arg1, (char *)arg2, NULL };
	pid_t pid;
	int status;

	assert_int_equal(posix_spawnp(&pid, prog, NULL, NULL, argv, environ), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->conninfo = getenv("OPSDECK_TEST_DB");
	if (!f->conninfo || !getenv("PROXY_PORT") || !getenv("PROXY_PID") || !getenv("PG_TCP_PORT")) {
		fprintf(stderr, "run through db_live.sh\n");
		free(f);
		return -1;
	}
	conf_init(&f->conf);
	free(f->conf.database);
	f->conf.database = xstrdup(f->conninfo);
	f->loop = loop_new();
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	db_live_leave(f->live, on_change, &f->seen);
	loop_free(f->loop);
	conf_free(&f->conf);
	free(f);
	return 0;
}

static void test_first_read_is_all(void **state)
{
	struct fixture *f = *state;
	const struct store *a;

	f->live = db_live_join(f->loop, &f->conf, on_change, &f->seen);
	while (!db_live_stores(f->live, NULL))
		assert_true(next_stores_notice(f, 10000));
	assert_true(f->seen.stores_all);
	a = db_live_store(f->live, STORE_A);
	assert_non_null(a);
	assert_string_equal(a->id, STORE_A);
	assert_non_null(db_live_store(f->live, STORE_B));
	assert_null(db_live_store(f->live, "0000000000ff"));
}

static void test_one_store_named(void **state)
{
	struct fixture *f = *state;
	const struct store_list *sl;

	other_client(f, "UPDATE opsdeck.stores SET replicas = 3 WHERE id = '" STORE_A "'");
	assert_true(next_stores_notice(f, 5000));
	assert_false(f->seen.stores_all);
	assert_int_equal(f->seen.nids, 1);
	assert_string_equal(f->seen.ids[0], STORE_A);
	assert_int_equal(f->seen.njobs, 0);
	assert_int_equal(db_live_store(f->live, STORE_A)->replicas, 3);
	/* The order is kept: B was made after A, so comes first. */
	sl = db_live_stores(f->live, NULL);
	assert_int_equal(sl->n, 2);
	assert_string_equal(sl->v[0].id, STORE_B);
	assert_string_equal(sl->v[1].id, STORE_A);
}

static void test_job_names_its_store(void **state)
{
	struct fixture *f = *state;
	const struct store *a;

	other_client(f, "INSERT INTO opsdeck.jobs (store, kind) VALUES ('" STORE_A "', 'reconcile')");
	assert_true(next_stores_notice(f, 5000));
	assert_false(f->seen.stores_all);
	assert_int_equal(f->seen.nids, 1);
	assert_string_equal(f->seen.ids[0], STORE_A);
	assert_int_equal(f->seen.njobs, 1);
	assert_string_equal(f->seen.jobs[0], STORE_A);
	a = db_live_store(f->live, STORE_A);
	assert_string_equal(a->job_kind, "reconcile");
	assert_string_equal(a->job_state, "queued");
	assert_null(db_live_store(f->live, STORE_B)->job_kind[0] ? "B has a job" : NULL);
}

/* An order: a new row and its job in one transaction, then a runner's
 * runner's claim (the job running, the store Provisioning, a step). */
static void test_new_store_added(void **state)
{
	struct fixture *f = *state;
	const struct store_list *sl;
	const struct store *c = NULL;
	uint64_t end = loop_now_ms() + 5000;

	other_client(f, "WITH c AS (INSERT INTO opsdeck.stores (id, project, offering, plan, cluster,"
			" name, namespace, replicas, created_by) SELECT '00000000000c', s.project,"
			" s.offering, s.plan, s.cluster, 'c', 'store-00000000000c', 1, 'test'"
			" FROM opsdeck.stores s WHERE s.id = '" STORE_A "' RETURNING id)"
			" INSERT INTO opsdeck.jobs (store, kind) SELECT id, 'provision' FROM c");
	while (!c && loop_now_ms() < end) {
		loop_run_once(f->loop, 20);
		c = db_live_store(f->live, "00000000000c");
	}
	assert_non_null(c);
	if (!c)
		return;
	assert_string_equal(c->status, "Queued");
	assert_string_equal(c->job_kind, "provision");
	sl = db_live_stores(f->live, NULL);
	assert_int_equal(sl->n, 3);
	assert_string_equal(sl->v[0].id, "00000000000c");
	other_client(f, "UPDATE opsdeck.jobs SET state = 'running', lease_owner = 'tester',"
			" lease_until = now() + interval '1 hour', attempts = 1, step = 'apply',"
			" started_at = now() WHERE store = '00000000000c'");
	other_client(f, "UPDATE opsdeck.stores SET status = 'Provisioning' WHERE id = '00000000000c'");
	other_client(f, "INSERT INTO opsdeck.job_steps (job, attempt, step, runner)"
			" SELECT id, 1, 'apply', 'tester' FROM opsdeck.jobs WHERE store = '00000000000c'");
	end = loop_now_ms() + 5000;
	while (loop_now_ms() < end) {
		loop_run_once(f->loop, 20);
		c = db_live_store(f->live, "00000000000c");
		if (c && strcmp(c->status, "Provisioning") == 0 && c->job_step[0])
			break;
	}
	assert_non_null(c);
	if (!c)
		return;
	assert_string_equal(c->status, "Provisioning");
	assert_string_equal(c->job_state, "running");
	print_message("# step %s for %ld s\n", c->job_step, c->step_age_s);
	assert_true(c->job_step[0] != '\0');
}

static void test_deleted_store_leaves(void **state)
{
	struct fixture *f = *state;

	other_client(f, "UPDATE opsdeck.stores SET status = 'Deleted' WHERE id = '" STORE_B "'");
	assert_true(next_stores_notice(f, 5000));
	assert_int_equal(f->seen.nids, 1);
	assert_null(db_live_store(f->live, STORE_B));
	assert_int_equal(db_live_stores(f->live, NULL)->n, 2);
}

static void test_reconnect_reads_all(void **state)
{
	struct fixture *f = *state;

	run(getenv("PG_CTL"), "restart", NULL);
	f->seen.stores_all = false;
	for (int i = 0; i < 10 && !f->seen.stores_all; i++)
		assert_true(next_stores_notice(f, 15000));
	assert_true(f->seen.stores_all);
	assert_non_null(db_live_store(f->live, STORE_A));
}

static bool state_is(struct fixture *f, struct db_conn *c, enum db_state st, unsigned ms)
{
	uint64_t end = loop_now_ms() + ms;

	while (db_conn_state(c, NULL) != st && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	return db_conn_state(c, NULL) == st;
}

static struct db_conn *through_proxy(struct fixture *f)
{
	char conninfo[200];

	snprintf(conninfo, sizeof(conninfo), "host=localhost port=%s dbname=postgres user=opsdeck",
		 getenv("PROXY_PORT"));
	return db_conn_new(f->loop, conninfo, NULL);
}

static void test_host_name_looked_up(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = through_proxy(f);

	assert_true(state_is(f, c, DB_STATE_READY, 10000));
	db_conn_free(c);
}

static void test_silent_link_goes_down(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = through_proxy(f);
	const char *reason;
	uint64_t t0;

	assert_true(state_is(f, c, DB_STATE_READY, 10000));
	run("kill", "-USR1", getenv("PROXY_PID"));
	t0 = loop_now_ms();
	assert_true(state_is(f, c, DB_STATE_DOWN, 20000));
	db_conn_state(c, &reason);
	print_message("# down after %llu ms: %s\n", (unsigned long long)(loop_now_ms() - t0),
		      reason);
	assert_non_null(strstr(reason, "no answer from the database"));
	run("kill", "-USR2", getenv("PROXY_PID"));
	t0 = loop_now_ms();
	assert_true(state_is(f, c, DB_STATE_READY, 20000));
	print_message("# ready again after %llu ms\n", (unsigned long long)(loop_now_ms() - t0));
	db_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_read_is_all),
		cmocka_unit_test(test_one_store_named),
		cmocka_unit_test(test_job_names_its_store),
		cmocka_unit_test(test_new_store_added),
		cmocka_unit_test(test_deleted_store_leaves),
		cmocka_unit_test(test_reconnect_reads_all),
		cmocka_unit_test(test_host_name_looked_up),
		cmocka_unit_test(test_silent_link_goes_down),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
