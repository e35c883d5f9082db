/* kubesim's shared context: options, the one lock that guards every piece of
 * simulated state, the simulated clock (wall time scaled by a speed factor),
 * a seeded random source, and time formatting helpers.
 *
 * Locking contract: every field of struct sim and everything reachable from
 * it (store, controllers, faults, stats) is read and written with sim->lock
 * held, except `stopping`, which is atomic. `changed` is broadcast whenever
 * the store changes, the clock speed changes or the server stops, so watch
 * and log streams blocked in their reader can re-check their condition. */
#ifndef OPSDECK_KUBESIM_SIM_H
#define OPSDECK_KUBESIM_SIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct ctrl;

struct sim_opts {
	unsigned port;
	bool tls;
	const char *cert_file, *key_file;
	const char *token, *ro_token;
	const char *client_ca_file, *client_ca_key_file; /* PEM; asks for client certs */
	const char *basic_user, *basic_password;	  /* --basic-auth */
	enum { KC_AUTH_TOKEN, KC_AUTH_CERT, KC_AUTH_BASIC } kubeconfig_auth;
	const char *kubeconfig_out;
	const char *port_file;
	const char *preload;
	bool demo;
	uint64_t seed;
	double speed;
	double log_rate; /* lines per second per container; 0 = as fast as read */
	long log_keep;	 /* lines kept per container run */
	long log_follow_max_ms; /* follow streams end cleanly after this; 0 = never */
	long log_rotate_lines;	/* a run's log file rotates every N lines; 0 = never */
	long schedule_ms, create_ms, start_ms, ready_ms; /* pod phase delays */
	long terminate_ms;				 /* graceful pod termination */
	long ns_delete_ms;				 /* namespace Terminating -> gone */
	long topic_ready_ms;				 /* KafkaTopic -> Ready */
	long bookmark_ms;				 /* watch bookmark interval */
	long history;	  /* watch events kept (older ones give 410) */
	long event_ttl_s; /* core/v1 Event lifetime */
	bool verbose;	  /* log every request on stderr */
	/* server-side apply of a port without protocol is a 500, as before 1.21 */
	bool reject_missing_list_keys;
};

/* Fault injection, set through /sim/faults. */
struct fault_cfg {
	double error_rate; /* 0..1 of API requests answered with error_code */
	int error_code;
	long latency_ms;	 /* added before every API answer */
	long drop_after_lines;	 /* watch/log streams: 0 = never */
	long drop_after_ms;	 /* watch/log streams: 0 = never */
	int64_t refuse_until_ms; /* monotonic ms; new connections refused until then */
	int64_t outage_until_ms; /* monotonic ms; unreachable until then (fault.h) */
	char path_prefix[128];	 /* faults apply to paths with this prefix */
	char error_message[256]; /* the injected error's message; "": by its code */
	long error_count;	 /* errors still to inject; -1: no limit */
	/* Log streams (logs.h): a per-line chance of a drop, a stall after N
	 * lines, a share of log requests answered with log_error_code. */
	double log_drop_rate;
	long log_stall_after_lines, log_stall_ms;
	bool log_stall_limited; /* at most log_stall_left more stalls */
	long log_stall_left;
	double log_error_rate;
	int log_error_code;
	/* Overrides of --log-follow-max and --log-rotate-lines while set. */
	bool log_follow_max_set, log_rotate_set;
	long log_follow_max_ms, log_rotate_lines;
};

struct sim_stats {
	unsigned long requests, errors_injected, refused, unauthorized, forbidden;
	unsigned long by_verb[12];
	unsigned long watches_open, logs_open, watches_total, logs_total;
	unsigned long streams_dropped;
	unsigned long logs_capped, logs_rotated, logs_stalled; /* follow streams ended, stalled */
};

struct sim {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	atomic_bool stopping;
	struct sim_opts opt;
	struct store *store;
	struct ctrl *ctrl;
	struct fault_cfg faults;
	struct sim_stats stats;
	uint64_t rng;
	/* Simulated clock: sim = base_sim + (mono - base_mono) * speed. */
	double speed;
	int64_t base_mono_ms, base_sim_ms;
	unsigned long ip_next;	      /* pod/service IP allocator */
	unsigned long node_port_next; /* where the node port allocator looks next */
};

void sim_init(struct sim *s, const struct sim_opts *opt);
void sim_destroy(struct sim *s);

int64_t sim_wall_ns(void);
int64_t sim_wall_ms(void);
int64_t sim_mono_ms(void);
/* The scaled clock that drives controller delays (lock held). */
int64_t sim_clock_ms(const struct sim *s);
/* Changes the speed factor without making the clock jump (lock held). */
void sim_set_speed(struct sim *s, double factor);

uint64_t sim_rand(struct sim *s);
/* Uniform in [0,1). */
double sim_rand01(struct sim *s);
/* RFC 4122 version-4 style uid from the seeded source. */
void sim_uid(struct sim *s, char out[37]);
/* n characters from Kubernetes' name-suffix alphabet. */
void sim_suffix(struct sim *s, char *out, size_t n);

/* "2026-11-23T05:26:01Z" */
void sim_fmt_time(int64_t wall_ms, char out[32]);
/* "2026-11-23T05:26:10.610202000Z" */
void sim_fmt_time_ns(int64_t wall_ns, char out[40]);
/* RFC 3339 with optional fraction and zone offset; false if malformed. */
bool sim_parse_time(const char *s, int64_t *wall_ns);

/* Waits on s->changed for at most ms milliseconds (lock held). */
void sim_wait(struct sim *s, long ms);
void sim_broadcast(struct sim *s);

uint32_t sim_fnv32(const void *data, size_t len);

#endif
