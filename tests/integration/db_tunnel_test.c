/* The database through an SSH tunnel, for tests/integration/db_tunnel.sh.
 *
 *   db_tunnel_test open CONF    a blocking connection (db_open) through a
 *                               tunnel set on a thread of its own (asked
 *                               once it runs); prints
 *                               the host libpq kept, the port it used,
 *                               whether TLS is on and a query's answer
 *   db_tunnel_test refuse CONF  db_conn_route's refusal of the conninfo
 *   db_tunnel_test loop CONF LOG STOPFILE
 *                               the loop's connection (db_conn) through a
 *                               tunnel set on the same loop: every state
 *                               change of the connection and the tunnel,
 *                               and a query's answer after each READY, as
 *                               lines in LOG, until STOPFILE exists
 *
 * CONF names the database, the tunnels and database_tunnel. */
#include "config.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db/conn.h"
#include "db/db.h"
#include "loop.h"
#include "route.h"
#include "ssh/tunnelset.h"

struct loop_run {
	struct loop *loop;
	struct db_conn *conn;
	struct tunnel_set *set;
	FILE *log;
	const char *stopfile;
};

static int set_route(void *ud, const char *profile, const char *host, int port, struct err *err)
{
	return tunnel_set_endpoint(ud, profile, host, port, err);
}

static void set_describe(void *ud, const char *profile, const char *host, int port, char *buf,
			 size_t bufsz)
{
	tunnel_set_describe(ud, profile, host, port, buf, bufsz);
}

static bool load(struct conf *conf, const char *path)
{
	struct err err = {{0}};

	conf_init(conf);
	if (!conf_load(conf, path, &err)) {
		fprintf(stderr, "db_tunnel_test: %s\n", err.msg);
		return false;
	}
	db_set_tunnel(conf->database_tunnel);
	return true;
}

static int run_open(struct conf *conf)
{
	struct tunnel_set *set = tunnel_set_new(NULL, &conf->tunnels, NULL);
	struct err err = {{0}};
	char lport[8];
	PGconn *pg;
	PGresult *res;
	int rc = 1;

	/* The set's thread runs first: the endpoint is asked of it from this
	 * thread, as the CLI's connections ask. */
	route_install(set_route, set);
	route_install_describe(set_describe, set);
	if (!tunnel_set_start_thread(set, &err) ||
	    !db_conn_route(conf->database, lport, sizeof(lport), &err)) {
		printf("error: %s\n", err.msg);
		goto out;
	}
	pg = db_open(conf->database, &err);
	if (!pg) {
		printf("error: %s\n", err.msg);
		goto out;
	}
	res = PQexec(pg, "SELECT 6 * 7");
	printf("host %s\nanswer %s\nport %s\nlocal %s\nssl %s\n", PQhost(pg),
	       PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "none", PQport(pg),
	       lport, PQsslInUse(pg) ? "on" : "off");
	rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : 1;
	PQclear(res);
	db_close(pg);
out:
	route_install(NULL, NULL);
	route_install_describe(NULL, NULL);
	tunnel_set_free(set);
	return rc;
}

static int run_refuse(struct conf *conf)
{
	struct err err = {{0}};
	char lport[8];

	if (db_conn_route(conf->database, lport, sizeof(lport), &err)) {
		printf("routed to %s\n", lport);
		return 1;
	}
	printf("refused: %s\n", err.msg);
	return 0;
}

static void answered(void *ud, const PGresult *res, const struct err *err)
{
	struct loop_run *r = ud;

	fprintf(r->log, "query %s\n", res ? db_val(res, 0, 0) : err->msg);
	fflush(r->log);
}

static void on_db(void *ud, const struct db_event *ev)
{
	struct loop_run *r = ud;
	struct db_req q;

	if (ev->kind != DB_EVENT_STATE)
		return;
	fprintf(r->log, "db %s: %s\n", db_state_name(ev->state), ev->reason ? ev->reason : "");
	fflush(r->log);
	if (ev->state != DB_STATE_READY)
		return;
	db_req_init(&q, "SELECT 6 * 7");
	snprintf(q.subject, sizeof(q.subject), "the answer");
	db_conn_submit(r->conn, &q, 5000, answered, r);
	db_req_free(&q);
}

static void on_tunnel(struct tunnel *t, void *ud)
{
	struct loop_run *r = ud;
	const struct tunnel_status *st = tunnel_status(t);

	/* Round-trip updates are not state changes. */
	static enum tunnel_state last = (enum tunnel_state) - 1;

	if (st->state == last)
		return;
	last = st->state;
	fprintf(r->log, "tunnel %s %s: %s\n", tunnel_name(t), tunnel_state_name(st->state),
		st->state == TUNNEL_DOWN ? st->reason : "");
	fflush(r->log);
}

static void check_stop(struct loop *loop, void *ud)
{
	struct loop_run *r = ud;

	if (access(r->stopfile, F_OK) == 0)
		loop_stop(loop);
}

static int run_loop(struct conf *conf, const char *logpath, const char *stopfile)
{
	struct loop_run r = {.stopfile = stopfile};
	struct db_conn_options opt = {.backoff_max_ms = 1000};

	r.log = fopen(logpath, "w");
	if (!r.log) {
		perror(logpath);
		return 1;
	}
	r.loop = loop_new();
	r.set = tunnel_set_new(r.loop, &conf->tunnels, NULL);
	tunnel_set_observe(r.set, on_tunnel, &r);
	route_install(set_route, r.set);
	route_install_describe(set_describe, r.set);
	r.conn = db_conn_new(r.loop, conf->database, &opt);
	db_conn_subscribe(r.conn, on_db, &r);
	loop_timer_add(r.loop, 50, 50, check_stop, &r);
	loop_run(r.loop);
	db_conn_forget(r.conn, &r);
	db_conn_unsubscribe(r.conn, on_db, &r);
	db_conn_free(r.conn);
	route_install(NULL, NULL);
	route_install_describe(NULL, NULL);
	tunnel_set_free(r.set);
	loop_free(r.loop);
	fclose(r.log);
	return 0;
}

int main(int argc, char **argv)
{
	struct conf conf;
	int rc = 2;

	if (argc < 3 || !load(&conf, argv[2]))
		return 2;
	if (strcmp(argv[1], "open") == 0)
		rc = run_open(&conf);
	else if (strcmp(argv[1], "refuse") == 0)
		rc = run_refuse(&conf);
	else if (strcmp(argv[1], "loop") == 0 && argc == 5)
		rc = run_loop(&conf, argv[3], argv[4]);
	db_set_tunnel(NULL);
	conf_free(&conf);
	return rc;
}
