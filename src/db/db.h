/* PostgreSQL basics shared by the CLI, the worker and the console:
 * connection parameters, requests (one parameterised statement with owned
 * parameter copies), blocking execution, and errors put into words.
 *
 * Contract:
 *  - SQL text is always a static string of the calling module; values travel
 *    only as parameters (PQexecParams / PQsendQueryParams), never spliced.
 *  - Every mutation is one statement that also writes its audit event (a
 *    data-modifying WITH query), so it is atomic on its own and the same
 *    request runs blocking (db_req_exec) or on the loop (db_conn_submit).
 *  - The blocking functions here are for the CLI, the worker and start-up
 *    before the loop runs; the console's loop uses db/conn.h only.
 *  - Messages never contain the connection string (it may hold a password). */
#ifndef OPSDECK_DB_DB_H
#define OPSDECK_DB_DB_H

#include <stdbool.h>

#include "conf.h"
#include "util.h"

/* libpq's handle types, declared here so that code using these modules
 * (the console's panes) never needs libpq's header; the .c files include
 * <libpq-fe.h>, and C11 allows the identical typedef twice. */
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

#define DB_REQ_MAX_PARAMS 16

struct db_req;

/* Looks at a successful result and may turn it into a failure (e.g. no row:
 * "no project 'x'"). NULL means every successful result is a success. */
typedef bool (*db_req_check_fn)(const PGresult *res, const struct db_req *req, struct err *err);

struct db_req {
	const char *sql; /* static text */
	int nparams;
	char *params[DB_REQ_MAX_PARAMS]; /* owned copies; NULL is SQL NULL */
	db_req_check_fn check;
	char subject[160]; /* what the request is about, for messages */
};

void db_req_init(struct db_req *r, const char *sql);
/* Appends a parameter (copied; NULL: SQL NULL). */
void db_req_add(struct db_req *r, const char *value);
void db_req_addf(struct db_req *r, const char *fmt, ...) ATTR_FORMAT(2, 3);
void db_req_add_long(struct db_req *r, long v);
void db_req_add_bool(struct db_req *r, bool v);
void db_req_free(struct db_req *r);
/* Moves src into dst (src is left empty). */
void db_req_move(struct db_req *dst, struct db_req *src);

/* libpq keyword/value arrays for a connection: the conninfo (NULL or empty:
 * libpq's environment, PGHOST etc.) over our defaults (application_name,
 * connect_timeout, client_encoding, and TCP keepalives that notice a dead
 * link within 20 s: keepalives, keepalives_idle/interval/count,
 * tcp_user_timeout). host, hostaddr and port (NULL: none) go over the
 * conninfo: the addresses of host looked up beforehand, or the tunnel's
 * local end. Pass expand_dbname=1. The arrays are NULL-terminated; the
 * values are static or borrowed. */
#define DB_CONN_NPARAMS 15
/* password (NULL: none) goes under the conninfo: the password file's, looked
 * up for a routed connection (struct db_route). A port (given only for a
 * routed connection) brings passfile=DB_NO_PASSFILE over the conninfo. */
void db_conn_params(const char *conninfo, const char *host, const char *hostaddr,
		    const char *port, const char *password, const char *keys[DB_CONN_NPARAMS],
		    const char *vals[DB_CONN_NPARAMS]);

/* The tunnel profile every connection of the process rides (the
 * `database_tunnel` setting), set by the front end before any connection;
 * NULL or empty: directly. */
void db_set_tunnel(const char *profile);
const char *db_tunnel(void);
/* Where a routed connection goes: hostaddr, with the route's port, while
 * host stays the conninfo's name (TLS verification, .pgpass). */
#define DB_TUNNEL_ADDR "127.0.0.1"
/* With a tunnel set: asks the route (src/route.h) for the conninfo's host
 * and port (else PGHOST, PGHOSTADDR, PGPORT; 5432) and puts the local port
 * in lport; a Unix socket, no host or a list of hosts is refused in words.
 * Without one: lport gets "". Asked before every connect. */
bool db_conn_route(const char *conninfo, char *lport, size_t lportsz, struct err *err);
/* A routed connection: libpq would match the password file on 127.0.0.1's
 * local port, so the password is looked up here (src/db/pgpass.h) with the
 * real host and the port as the conninfo writes it, the database and the
 * user, from the conninfo's passfile, else PGPASSFILE, else ~/.pgpass, when
 * neither the conninfo nor PGPASSWORD gives one; libpq is then given a
 * passfile that cannot exist (DB_NO_PASSFILE), so that it never looks the
 * local port up itself. A service (service=, PGSERVICE) fills only what the
 * conninfo leaves unset: it is refused unless the conninfo names host, port,
 * user, dbname and passfile or password, which routing relies on. */
struct db_route {
	char lport[12];	  /* "": directly */
	char host[256];	  /* through the tunnel: the server's name and port */
	char port[64];	  /* as written (the password file matches it so) */
	char target[256]; /* what the route was asked for: hostaddr, else host */
	char *password;	  /* NULL for none; a secret, wiped by db_route_wipe */
	char passfile[256]; /* the file password came from ("" if none) */
	char warning[400];  /* a password file ignored, and why ("" if none) */
};
/* Under a file (not a directory): stat fails, libpq reads no password file
 * and prints no warning. */
#define DB_NO_PASSFILE "/dev/null/opsdeck-no-passfile"
bool db_conn_route_to(const char *conninfo, struct db_route *r, struct err *err);
void db_route_wipe(struct db_route *r);
/* A routed connection's failure in words: "database HOST:PORT through tunnel
 * P: WHY", with what the route knows (route_describe: the bastion's refusal,
 * the tunnel's down reason), the ignored password file if any, and on an
 * authentication failure the file the password came from. */
void db_route_failure(const struct db_route *r, const char *why, char *out, size_t outsz);
/* The host the conninfo (else libpq's environment) names, and whether it
 * sets hostaddr (then no lookup is needed); false if it cannot be read.
 * host gets "" for none. */
bool db_conn_host(const char *conninfo, char *host, size_t hostsz, bool *has_hostaddr);

/* Opens a blocking connection (through the tunnel, when one is set) and
 * sets the session up (UTF-8, UTC). */
PGconn *db_open(const char *conninfo, struct err *err);
/* The same, giving up after connect_timeout_s seconds (NULL: the
 * conninfo's bound, else 10 s). */
PGconn *db_open_within(const char *conninfo, const char *connect_timeout_s, struct err *err);
void db_close(PGconn *pg);
/* Drops server notices instead of printing them on stderr. */
void db_quiet_notices(PGconn *pg);

/* Runs r and returns its result, or NULL with err set (the database's
 * error in words, or the request's check). Caller PQclear()s. */
PGresult *db_req_exec(PGconn *pg, const struct db_req *r, struct err *err);
/* A parameterless fixed statement (BEGIN, COMMIT...). */
bool db_exec_fixed(PGconn *pg, const char *sql, struct err *err);

/* Puts a failed result into words: constraint violations name the rule that
 * was broken. pg may be NULL. */
void db_error_describe(const PGresult *res, const PGconn *pg, struct err *err);
/* True if a result is a success (tuples or command ok). */
bool db_result_ok(const PGresult *res);

/* Refuses a mutation in read-only mode (before any database access). The
 * operator name the audit trail records was checked when the settings were
 * read (conf.c). `what` reads as a verb phrase: "create a project". */
bool db_mutation_allowed(const struct conf *conf, const char *what, struct err *err);
/* True if a database is configured: by the settings or by libpq's
 * environment (PGHOST, PGHOSTADDR, PGDATABASE, PGSERVICE). */
bool db_configured(const struct conf *conf);

#define DB_MAX_CPU_MILLIS 100000000L
#define DB_MAX_MEMORY_MIB 1000000000L
/* Quantities as people write them. CPU: "2" or "1.5" cores, or "500m".
 * Memory: "512Mi", "8Gi", "1Ti", or a plain number of MiB. */
bool db_parse_cpu(const char *s, long *millis, struct err *err);
bool db_parse_memory(const char *s, long *mib, struct err *err);
/* "2" (whole cores) or "1500m"; "8Gi", "512Mi". */
void db_format_cpu(long millis, char *buf, size_t bufsz);
void db_format_memory(long mib, char *buf, size_t bufsz);
/* Input rules shared with the schema's CHECKs, checked before sending so
 * that a person gets a precise message. */
bool db_valid_dns_label(const char *s);
/* A one-line name: 1..maxlen characters, no control characters, no
 * surrounding blanks. */
bool db_valid_name(const char *s, size_t maxlen);
/* Free text: at most maxlen characters, tabs and newlines allowed. */
bool db_valid_text(const char *s, size_t maxlen);
/* A lowercase DNS-1123 label made from a name ("Acme Shop!" -> "acme-shop",
 * "Ünïcode Café" -> "unicode-cafe": Latin letters lose their accents);
 * false if nothing usable remains. */
bool db_slugify(const char *name, char *out, size_t outsz);
/* A copy of untrusted text safe to print in a message: control characters
 * become '?', and it is cut at bufsz. Returns buf. */
const char *db_shown(const char *s, char *buf, size_t bufsz);
/* Text of row, column; "" for NULL. */
const char *db_val(const PGresult *res, int row, int col);
/* Integer column; 0 for NULL or junk (the schema guarantees the type). */
long db_long(const PGresult *res, int row, int col);
bool db_bool(const PGresult *res, int row, int col);

#endif
