#include "config.h"

#include "ssh/tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "db/resolve.h"
#include "ssh/agent.h"
#include "ssh/keyfile.h"

#define TICK_MS 250
/* A session parked for a passphrase longer than this is not resumed: the
 * server may have dropped it (sshd's LoginGraceTime is 30 s when hardened). */
#define PARK_STALE_MS 2000
#define CONN_WAIT_MS 20000 /* a connection waits this long for the session */
#define TUNNEL_AGENT_WAIT_MS 250 /* the agent lists its keys within this, or is left out */
#define CONN_BUF (64 * 1024)
#define CONN_STALL_MS 60000 /* a channel that moves nothing for this long is dead */
#define PROBE_TYPE "opsdeck-probe@opsdeck"
#define PASS_SIZE (TUNNEL_PASSPHRASE_MAX + 1)

enum phase {
	PH_RESOLVE,
	PH_VIA, /* riding another tunnel: waiting for it and for its channel */
	PH_CONNECT,
	PH_HANDSHAKE,
	PH_AUTHLIST,
	PH_AUTH_AGENT,
	PH_AUTH_KEY,
	PH_AUTH_WAIT, /* a passphrase asked for, not answered yet: nothing runs */
	PH_UP,
	PH_DOWN,
};

/* A libssh2 call that answered EAGAIN with a packet half sent: it must be
 * repeated before anything else is sent on the session. */
enum op { OP_NONE, OP_WRITE, OP_READ, OP_EOF, OP_CLOSE, OP_FREE, OP_KEEPALIVE, OP_OPEN };

enum conn_phase { C_WAITING, C_OPEN, C_CLOSING };

struct conn {
	struct conn *next;
	struct tunnel_forward *f;
	int fd;
	struct loop_watch *w;
	LIBSSH2_CHANNEL *ch;
	enum conn_phase phase;
	char up[CONN_BUF]; /* client -> remote */
	size_t up_len, up_off;
	char down[CONN_BUF]; /* remote -> client */
	size_t down_len, down_off;
	bool client_eof, eof_sent, remote_eof, client_shut, failed, close_done;
	struct tunnel *inner; /* the tunnel whose session this connection carries */
	uint64_t since_ms;    /* accepted, or closing since */
	uint64_t progress_ms; /* the last byte moved */
};

struct tunnel_forward {
	struct tunnel_forward *next;
	struct tunnel *t;
	char *host;
	int port;
	int lfd, local_port;
	struct loop_watch *w;
	unsigned long count;
	char error[256];
};

struct tunnel {
	struct loop *loop;
	struct tunnel_profile p;
	struct tunnel_opts o;
	struct tunnel_status st;
	enum phase phase;
	struct loop_timer *tick;

	/* The bastion's addresses, numeric and comma-separated, tried in turn;
	 * a name is looked up on a thread of its own, let go if the attempt
	 * ends first. */
	struct db_resolve *lookup;
	char *addrs, *next_addr;

	int fd;
	struct loop_watch *w;
	LIBSSH2_SESSION *s;
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *agent_id;
	unsigned agent_tried;
	size_t key_index;
	/* Passphrases given for the identity files, one slot per file in
	 * memory kept out of swap and core dumps, held for the reconnections
	 * of this tunnel and wiped when it is freed or a passphrase proves
	 * wrong. */
	char *vault;
	size_t vault_size;
	bool *pass_kept;
	const char *key_pass; /* what the key being tried is opened with */
	bool key_ready;
	/* Asked through o.passphrase_ask and not answered yet; or answered
	 * with none, the key then skipped (why already in tried). */
	bool asking, in_ask, key_skip;
	uint64_t asked_ms;
	char *methods;	 /* what the server accepts */
	char tried[256]; /* what was offered, for the refusal */
	bool rsa_refused;

	uint64_t attempt_ms; /* this connection attempt's start */
	uint64_t timeout_from_ms; /* the attempt's timeout runs from here */
	uint64_t prompt_ms;	  /* time the operator spent on passphrases */
	uint64_t retry_at_ms;
	long backoff_ms;

	enum op pending;
	struct conn *pending_conn;
	uint64_t pending_since;

	struct conn *conns;
	/* The channel open under way: libssh2 holds its state, so it is
	 * repeated with these arguments to its end even if its connection
	 * went away meanwhile (opening NULL, open_busy true). */
	struct conn *opening;
	bool open_busy;
	char *open_host;
	int open_port, open_sport;
	bool probing, probe_wanted;
	uint64_t probe_start;
	uint64_t keepalive_at;

	struct tunnel_forward *forwards;

	/* Riding o.via: the outer tunnel's forward (no listener) to this
	 * bastion, and the connection of it that carries this session. */
	struct tunnel_forward *via_f;
	struct conn *via_conn;
	/* The tunnels riding this one, told of each change of state. */
	struct tunnel *inners, *inner_next;
	struct loop_timer *kick;
};

static void pump(struct tunnel *t);
static struct tunnel_forward *forward_add(struct tunnel *t, const char *host, int port, int lfd,
					  int local_port);
static void via_changed(struct tunnel *t);
static void conn_closing(struct tunnel *t, struct conn *c);

const char *tunnel_state_name(enum tunnel_state s)
{
	switch (s) {
	case TUNNEL_CONNECTING:
		return "connecting";
	case TUNNEL_UP:
		return "up";
	case TUNNEL_DOWN:
		return "down";
	}
	return "?";
}

const struct tunnel_status *tunnel_status(const struct tunnel *t)
{
	return &t->st;
}

const char *tunnel_name(const struct tunnel *t)
{
	return t->p.name;
}

const struct tunnel_profile *tunnel_profile_of(const struct tunnel *t)
{
	return &t->p;
}

static void notify(struct tunnel *t)
{
	if (t->o.on_state)
		t->o.on_state(t, t->o.ud);
	for (struct tunnel *in = t->inners, *next; in; in = next) {
		next = in->inner_next;
		via_changed(in);
	}
}

static void on_kick(struct loop *loop, void *ud)
{
	struct tunnel *t = ud;

	(void)loop;
	t->kick = NULL;
	pump(t);
}

/* Pumps t from the loop at once: for a change made by another tunnel's
 * code, which may run inside t's own pump. */
static void kick(struct tunnel *t)
{
	if (!t->kick)
		t->kick = loop_timer_add(t->loop, 0, 0, on_kick, t);
}

static long dead_after_ms(const struct tunnel *t)
{
	long ms = t->p.keepalive_s * 3000;

	return ms < 10000 ? 10000 : ms;
}

/* ---- passphrases ---- */

void *tunnel_secret_alloc(size_t size, size_t *mapped)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *v;

	*mapped = (size + page - 1) / page * page;
	v = mmap(NULL, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED)
		return NULL;
	/* Best effort: the limits on locked memory may refuse it. */
	(void)mlock(v, *mapped);
	(void)madvise(v, *mapped, MADV_DONTDUMP);
#ifdef MADV_WIPEONFORK
	(void)madvise(v, *mapped, MADV_WIPEONFORK);
#endif
	return v;
}

void tunnel_secret_free(void *v, size_t mapped)
{
	if (!v)
		return;
	explicit_bzero(v, mapped);
	munlock(v, mapped);
	munmap(v, mapped);
}

/* The slot of identity file i, the vault made on first use; NULL when no
 * memory could be had. */
static char *pass_slot(struct tunnel *t, size_t i)
{
	if (!t->vault) {
		t->vault = tunnel_secret_alloc(t->p.n_identity_files * PASS_SIZE, &t->vault_size);
		if (!t->vault)
			return NULL;
		t->pass_kept = xcalloc(t->p.n_identity_files, sizeof(*t->pass_kept));
	}
	return t->vault + i * PASS_SIZE;
}

static void pass_forget(struct tunnel *t, size_t i)
{
	if (!t->vault)
		return;
	explicit_bzero(t->vault + i * PASS_SIZE, PASS_SIZE);
	t->pass_kept[i] = false;
}

static void vault_free(struct tunnel *t)
{
	if (!t->vault)
		return;
	tunnel_secret_free(t->vault, t->vault_size);
	t->vault = NULL;
	x_free(&t->pass_kept);
	t->key_pass = NULL;
}

/* Milliseconds since the attempt started, less the operator's typing. */
static long attempt_elapsed_ms(const struct tunnel *t)
{
	return (long)(loop_now_ms() - t->attempt_ms - t->prompt_ms);
}

/* ---- teardown ---- */

/* Lets a connection go: its channel is freed by the caller already or
 * goes with the session. */
static void conn_release(struct tunnel *t, struct conn *c)
{
	struct conn **pp = &t->conns;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	if (c->inner)
		c->inner->via_conn = NULL;
	if (t->opening == c)
		t->opening = NULL;
	if (t->pending_conn == c) {
		t->pending = OP_NONE;
		t->pending_conn = NULL;
	}
	if (c->w)
		loop_watch_remove(c->w);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void session_close(struct tunnel *t)
{
	if (t->asking) {
		/* The answer has nothing left to resume. */
		t->asking = false;
		if (t->o.passphrase_withdrawn)
			t->o.passphrase_withdrawn(t, t->p.identity_files[t->key_index], t->o.ud);
	}
	t->key_skip = false;
	/* A lookup still running finishes on its own thread: never waited for. */
	db_resolve_cancel(t->lookup);
	t->lookup = NULL;
	x_free(&t->addrs);
	t->next_addr = NULL;
	if (t->s) {
		/* Best effort goodbye; then the socket is shut so that nothing
		 * libssh2 does while freeing can wait for the network. */
		libssh2_session_disconnect(t->s, "closing");
		if (t->fd >= 0)
			shutdown(t->fd, SHUT_RDWR);
	}
	/* Open and closing channels end with the session (libssh2 frees them
	 * with it, with nothing to wait for on a shut socket); waiting
	 * connections stay for the next session. */
	for (struct conn *c = t->conns, *next; c; c = next) {
		next = c->next;
		if (c->phase != C_WAITING)
			conn_release(t, c);
	}
	t->opening = NULL;
	t->open_busy = false;
	x_free(&t->open_host);
	t->probing = false;
	t->pending = OP_NONE;
	t->pending_conn = NULL;
	if (t->agent) {
		libssh2_agent_disconnect(t->agent);
		libssh2_agent_free(t->agent);
		t->agent = NULL;
	}
	if (t->s) {
		libssh2_session_free(t->s);
		t->s = NULL;
	}
	if (t->w) {
		loop_watch_remove(t->w);
		t->w = NULL;
	}
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	if (t->via_conn) {
		/* Closed on the outer session as any connection of its own. */
		conn_closing(t->o.via, t->via_conn);
		kick(t->o.via);
	}
	x_free(&t->methods);
	t->key_ready = false;
	t->key_pass = NULL;
}

static void go_down(struct tunnel *t, const char *reason)
{
	session_close(t);
	t->phase = PH_DOWN;
	t->st.state = TUNNEL_DOWN;
	t->st.rtt_ms = -1;
	str_copy(t->st.reason, sizeof(t->st.reason), reason);
	if (t->o.once) {
		t->st.retry_in_ms = -1;
	} else {
		t->retry_at_ms = loop_now_ms() + (uint64_t)t->backoff_ms;
		t->st.retry_in_ms = t->backoff_ms;
		t->backoff_ms *= 2;
		if (t->backoff_ms > t->o.backoff_max_ms)
			t->backoff_ms = t->o.backoff_max_ms;
	}
	notify(t);
}

/* The reason libssh2 gives for its last error, with ours in front. */
static void go_down_ssh(struct tunnel *t, const char *what)
{
	char *msg = NULL;
	char reason[512];
	int rc = libssh2_session_last_error(t->s, &msg, NULL, 0);

	if (rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_RECV ||
	    rc == LIBSSH2_ERROR_SOCKET_SEND)
		snprintf(reason, sizeof(reason), "%s: the connection to %s:%ld was closed", what,
			 t->p.host, t->p.port);
	else
		snprintf(reason, sizeof(reason), "%s: %s", what, msg && *msg ? msg : "failed");
	go_down(t, reason);
}

/* ---- events ---- */

static bool blocked_out(struct tunnel *t)
{
	return (libssh2_session_block_directions(t->s) & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0;
}

/* After an EAGAIN: remember a half-sent packet, so that the same call is
 * repeated first. Returns true when sending must wait. */
static bool set_pending(struct tunnel *t, enum op op, struct conn *c)
{
	if (!blocked_out(t))
		return false;
	if (t->pending != op || t->pending_conn != c)
		t->pending_since = loop_now_ms();
	t->pending = op;
	t->pending_conn = c;
	return true;
}

/* True while some channel or connection needs what the session reads:
 * data for a client with room for it, or the window adjustments an upload
 * waits for (whether or not the bastion's side has ended its stream);
 * false only when every channel's buffer towards its client is full and
 * nothing goes the other way, so that TCP holds the bastion back. */
static bool any_conn_reads(const struct tunnel *t)
{
	if (!t->conns)
		return true;
	for (const struct conn *c = t->conns; c; c = c->next) {
		if (c->phase != C_OPEN)
			return true;
		if (!c->remote_eof && c->down_len < CONN_BUF)
			return true;
		if (c->up_off < c->up_len || (c->client_eof && !c->eof_sent))
			return true;
	}
	return false;
}

static void update_session_events(struct tunnel *t)
{
	unsigned ev = 0;

	if (!t->w)
		return;
	switch (t->phase) {
	case PH_CONNECT:
		ev = LOOP_WRITE;
		break;
	case PH_UP: {
		if (any_conn_reads(t) || t->opening || t->open_busy || t->probing ||
		    t->pending != OP_NONE)
			ev |= LOOP_READ;
		if (t->pending != OP_NONE && blocked_out(t))
			ev |= LOOP_WRITE;
		break;
	}
	case PH_HANDSHAKE:
	case PH_AUTHLIST:
	case PH_AUTH_AGENT:
	case PH_AUTH_KEY: {
		int dir = libssh2_session_block_directions(t->s);

		if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
			ev |= LOOP_READ;
		if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			ev |= LOOP_WRITE;
		if (!ev)
			ev = LOOP_READ;
		break;
	}
	default:
		break;
	}
	loop_watch_set_events(t->w, ev);
}

static void conn_update_events(struct conn *c)
{
	unsigned ev = 0;

	if (c->phase == C_OPEN) {
		if (!c->client_eof && c->up_len < CONN_BUF)
			ev |= LOOP_READ;
		if (c->down_off < c->down_len)
			ev |= LOOP_WRITE;
	}
	loop_watch_set_events(c->w, ev);
}

static void on_session_fd(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct tunnel *t = ud;

	(void)loop;
	(void)fd;
	/* Something must read what arrived, or poll() would report it again
	 * and again: a probe reads the session when no channel does. */
	if (t->phase == PH_UP && (events & (LOOP_READ | LOOP_ERROR)) && !t->probing &&
	    !t->opening && !t->conns)
		t->probe_wanted = true;
	/* Waiting for the outer tunnel's channel, the pair's other end went. */
	if (t->phase == PH_VIA && (events & LOOP_ERROR)) {
		char reason[sizeof(t->st.reason)];

		snprintf(reason, sizeof(reason), "via %s: the connection through it ended",
			 t->o.via->p.name);
		go_down(t, reason);
		return;
	}
	pump(t);
}

/* ---- connecting ---- */

static void up(struct tunnel *t, const char *how)
{
	t->phase = PH_UP;
	t->st.state = TUNNEL_UP;
	t->st.reason[0] = '\0';
	t->st.retry_in_ms = -1;
	t->st.ups++;
	t->st.auth_ms = attempt_elapsed_ms(t);
	str_copy(t->st.auth, sizeof(t->st.auth), how);
	t->backoff_ms = t->o.backoff_min_ms;
	t->keepalive_at = loop_now_ms() + (uint64_t)t->p.keepalive_s * 1000;
	libssh2_keepalive_config(t->s, 0, (unsigned)t->p.keepalive_s);
	t->key_ready = false;
	t->key_pass = NULL;
	if (t->agent) {
		libssh2_agent_disconnect(t->agent);
		libssh2_agent_free(t->agent);
		t->agent = NULL;
	}
	t->probe_wanted = true;
	notify(t);
}

/* Connects to the next address of the list, numeric each. */
static void try_connect(struct tunnel *t)
{
	char port[16];
	int last_errno = 0;

	snprintf(port, sizeof(port), "%ld", t->p.port);
	while (t->next_addr && *t->next_addr) {
		struct addrinfo hints = {.ai_family = AF_UNSPEC,
					 .ai_socktype = SOCK_STREAM,
					 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
		struct addrinfo *a = NULL;
		char *addr = t->next_addr;
		size_t len = strcspn(addr, ",");
		int fd, rc, one = 1;

		t->next_addr = addr + len + (addr[len] == ',');
		addr[len] = '\0';
		rc = getaddrinfo(addr, port, &hints, &a);
		if (rc != 0)
			continue;
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    a->ai_protocol);
		if (fd < 0) {
			last_errno = errno;
			freeaddrinfo(a);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
			last_errno = errno;
			close(fd);
			freeaddrinfo(a);
			continue;
		}
		freeaddrinfo(a);
		t->fd = fd;
		t->phase = PH_CONNECT;
		t->w = loop_watch_fd(t->loop, fd, LOOP_WRITE, on_session_fd, t);
		return;
	}
	if (last_errno) {
		char reason[300];

		snprintf(reason, sizeof(reason), "cannot connect to %s:%ld: %s", t->p.host,
			 t->p.port, strerror(last_errno));
		go_down(t, reason);
		return;
	}
	go_down(t, "no address to connect to");
}

/* The socket is connected: the SSH session starts on it. */
static void session_start(struct tunnel *t)
{
	t->st.connect_ms = attempt_elapsed_ms(t);
	t->s = libssh2_session_init();
	if (!t->s) {
		go_down(t, "cannot start an SSH session (out of memory)");
		return;
	}
	libssh2_session_set_blocking(t->s, 0);
	t->phase = PH_HANDSHAKE;
}

static void connect_done(struct tunnel *t)
{
	int e = 0;
	socklen_t len = sizeof(e);
	char reason[300];

	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	if (e == EINPROGRESS)
		return;
	if (e) {
		loop_watch_remove(t->w);
		t->w = NULL;
		close(t->fd);
		t->fd = -1;
		if (t->next_addr && *t->next_addr) {
			try_connect(t);
			return;
		}
		if (e == ECONNREFUSED)
			snprintf(reason, sizeof(reason), "connection refused by %s:%ld", t->p.host,
				 t->p.port);
		else
			snprintf(reason, sizeof(reason), "cannot connect to %s:%ld: %s", t->p.host,
				 t->p.port, strerror(e));
		go_down(t, reason);
		return;
	}
	session_start(t);
}

static void resolved(void *ud, const char *addrs, size_t n, const char *error)
{
	struct tunnel *t = ud;
	char reason[400];

	t->lookup = NULL;
	if (n == 0) {
		snprintf(reason, sizeof(reason), "cannot resolve the bastion: %s", error);
		go_down(t, reason);
		return;
	}
	t->addrs = xstrdup(addrs);
	t->next_addr = t->addrs;
	try_connect(t);
}

/* ---- riding another tunnel ---- */

static struct conn *conn_add(struct tunnel_forward *f, int fd);

/* The outer tunnel is up: this session's socket is one end of a socket
 * pair whose other end the outer tunnel carries to the bastion over a
 * channel, as a connection accepted by a forward of its own. */
static void via_adopt(struct tunnel *t)
{
	struct tunnel *outer = t->o.via;
	int sv[2];
	char reason[300];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(reason, sizeof(reason), "cannot make a socket pair: %s", strerror(errno));
		go_down(t, reason);
		return;
	}
	t->fd = sv[0];
	t->w = loop_watch_fd(t->loop, sv[0], 0, on_session_fd, t);
	/* The stages count from here: the outer's own are its own. */
	t->attempt_ms = t->timeout_from_ms = loop_now_ms();
	t->prompt_ms = 0;
	t->via_conn = conn_add(t->via_f, sv[1]);
	t->via_conn->inner = t;
	kick(outer);
}

/* The outer tunnel changed state: this one follows it down, and starts
 * on it once it is up. */
static void via_changed(struct tunnel *t)
{
	const struct tunnel *outer = t->o.via;
	char reason[sizeof(t->st.reason)];

	if (outer->st.state == TUNNEL_DOWN) {
		if (t->phase == PH_DOWN)
			return;
		snprintf(reason, sizeof(reason), "via %s: %.400s", outer->p.name,
			 outer->st.reason);
		go_down(t, reason);
		return;
	}
	if (outer->phase == PH_UP && t->phase == PH_VIA && t->fd < 0)
		via_adopt(t);
}

/* The outer tunnel's channel to the bastion is open. */
static void via_opened(struct tunnel *t)
{
	session_start(t);
	if (t->phase == PH_HANDSHAKE)
		loop_watch_set_events(t->w, LOOP_WRITE);
}

/* The outer tunnel's bastion refused the channel. */
static void via_refused(struct tunnel *t, const char *why)
{
	char reason[sizeof(t->st.reason)];

	snprintf(reason, sizeof(reason), "via %s: %.400s", t->o.via->p.name, why);
	go_down(t, reason);
}

static void resolve_start(struct tunnel *t)
{
	t->phase = PH_RESOLVE;
	t->attempt_ms = t->timeout_from_ms = loop_now_ms();
	t->prompt_ms = 0;
	t->st.state = TUNNEL_CONNECTING;
	t->st.connect_ms = t->st.handshake_ms = t->st.auth_ms = -1;
	t->st.retry_in_ms = -1;
	if (t->o.via) {
		t->phase = PH_VIA;
		notify(t);
		via_changed(t);
		return;
	}
	if (t->p.via || t->p.proxy_jump) {
		/* Never straight to a host meant to be reached through another. */
		char reason[sizeof(t->st.reason)];

		snprintf(reason, sizeof(reason),
			 "%s is reached through %.200s, and this tunnel was not given it",
			 t->p.name, t->p.via ? t->p.via : t->p.proxy_jump);
		t->o.once = true;
		go_down(t, reason);
		return;
	}
	/* An address needs no lookup. */
	if (!db_resolve_needed(t->p.host)) {
		t->addrs = xstrdup(t->p.host);
		t->next_addr = t->addrs;
		notify(t);
		try_connect(t);
		return;
	}
	t->lookup = db_resolve_start(t->loop, t->p.host, resolved, t);
	if (!t->lookup) {
		go_down(t, "cannot look up the bastion's address (no thread or pipe)");
		return;
	}
	notify(t);
}

/* ---- authentication ---- */

static void tried_add(struct tunnel *t, const char *what)
{
	size_t n = strlen(t->tried);

	snprintf(t->tried + n, sizeof(t->tried) - n, "%s%s", n ? ", " : "", what);
}

static void auth_refused(struct tunnel *t)
{
	char reason[512];

	snprintf(reason, sizeof(reason),
		 "authentication refused for user %s: tried %s; the server accepts %s%s", t->p.user,
		 t->tried[0] ? t->tried : "no key (none found)",
		 t->methods ? t->methods : "nothing",
		 t->rsa_refused ? ". libssh2 1.10 cannot sign with rsa-sha2-256/512 and this "
				  "server refuses ssh-rsa signatures: an ed25519 or ECDSA key works"
				: "");
	go_down(t, reason);
}

static void after_handshake(struct tunnel *t)
{
	struct hostkey_result hr;
	struct err err = {{0}};

	if (!hostkey_check(t->s, t->p.host, (int)t->p.port, t->p.known_hosts, t->p.n_known_hosts,
			   t->p.policy, &hr, &err)) {
		str_copy(t->st.hostkey_type, sizeof(t->st.hostkey_type), hr.type);
		str_copy(t->st.fingerprint, sizeof(t->st.fingerprint), hr.fingerprint);
		go_down(t, err.msg);
		return;
	}
	str_copy(t->st.hostkey_type, sizeof(t->st.hostkey_type), hr.type);
	str_copy(t->st.fingerprint, sizeof(t->st.fingerprint), hr.fingerprint);
	t->st.hostkey_recorded = hr.recorded;
	t->st.handshake_ms = attempt_elapsed_ms(t);
	t->phase = PH_AUTHLIST;
}

static void start_agent(struct tunnel *t)
{
	const char *sock = getenv("SSH_AUTH_SOCK");

	t->phase = PH_AUTH_KEY;
	if (!t->p.agent || !sock || !*sock)
		return;
	/* libssh2's agent calls block without a bound: a forwarded agent whose
	 * far end is gone takes the connection and never answers. Asked first
	 * within a short bound, it is left out when it does not answer. */
	if (!ssh_agent_has_keys(sock, TUNNEL_AGENT_WAIT_MS)) {
		tried_add(t, "the agent (not answering, or no keys)");
		return;
	}
	t->agent = libssh2_agent_init(t->s);
	if (!t->agent)
		return;
	if (libssh2_agent_connect(t->agent) != 0 || libssh2_agent_list_identities(t->agent) != 0) {
		tried_add(t, "the agent (not reachable)");
		libssh2_agent_free(t->agent);
		t->agent = NULL;
		return;
	}
	t->agent_id = NULL;
	t->agent_tried = 0;
	if (libssh2_agent_get_identity(t->agent, &t->agent_id, NULL) != 0) {
		tried_add(t, "the agent (no keys)");
		return;
	}
	t->phase = PH_AUTH_AGENT;
}

static void auth_agent(struct tunnel *t)
{
	int rc = libssh2_agent_userauth(t->agent, t->p.user, t->agent_id);
	char how[300];

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return;
	if (rc == 0) {
		snprintf(how, sizeof(how), "publickey from the agent (%s)",
			 t->agent_id->comment && *t->agent_id->comment ? t->agent_id->comment
								       : "a key");
		str_copy_clean(how, sizeof(how), how);
		up(t, how);
		return;
	}
	t->agent_tried++;
	if (libssh2_agent_get_identity(t->agent, &t->agent_id, t->agent_id) != 0) {
		char what[64];

		snprintf(what, sizeof(what), "%u key%s of the agent", t->agent_tried,
			 t->agent_tried == 1 ? "" : "s");
		tried_add(t, what);
		t->phase = PH_AUTH_KEY;
	}
}

/* Makes t->key_pass what the key at path opens with: nothing for a plain
 * key, else the passphrase kept from an earlier attempt or asked for now.
 * 1: ready; 0, with why added to the list of what was tried, to skip the
 * key; -1: asked through o.passphrase_ask, the attempt waits for the answer. */
static int key_prepare(struct tunnel *t, const char *path)
{
	struct keyfile_info ki;
	struct err why = {{0}};
	char tried[400];
	char *slot;
	uint64_t asked;
	bool given;

	if (t->key_skip) {
		t->key_skip = false;
		return 0;
	}
	keyfile_inspect(path, &ki);
	if (!ki.readable)
		return 0;
	t->key_pass = "";
	if (!ki.encrypted)
		return 1;
	slot = pass_slot(t, t->key_index);
	if (!slot) {
		snprintf(tried, sizeof(tried), "%s (encrypted, no memory for its passphrase)",
			 path);
		tried_add(t, tried);
		return 0;
	}
	if (!t->pass_kept[t->key_index] && t->o.passphrase_ask) {
		/* Parked: no timer counts while the operator answers. */
		t->phase = PH_AUTH_WAIT;
		t->asking = true;
		t->asked_ms = loop_now_ms();
		t->in_ask = true;
		t->o.passphrase_ask(t, path, t->o.ud);
		t->in_ask = false;
		if (t->phase == PH_AUTH_WAIT)
			return -1;
		/* answered from inside the callback */
		if (t->phase != PH_AUTH_KEY || t->key_skip) {
			t->key_skip = false;
			return 0;
		}
	}
	if (!t->pass_kept[t->key_index]) {
		/* The operator's typing does not count against the attempt. */
		asked = loop_now_ms();
		given = t->o.passphrase && t->o.passphrase(path, slot, PASS_SIZE, &why, t->o.ud);
		t->prompt_ms += loop_now_ms() - asked;
		t->timeout_from_ms = loop_now_ms();
		if (!given) {
			pass_forget(t, t->key_index);
			snprintf(tried, sizeof(tried), "%s (encrypted, %.200s)", path,
				 why.msg[0] ? why.msg : "no passphrase given");
			tried_add(t, tried);
			return 0;
		}
		t->pass_kept[t->key_index] = true;
	}
	t->key_pass = slot;
	return 1;
}

static void auth_key(struct tunnel *t)
{
	for (; t->key_index < t->p.n_identity_files; t->key_index++) {
		const char *path = t->p.identity_files[t->key_index];
		struct keyfile_info ki;
		int rc;
		char how[300];

		if (!t->key_ready) {
			int ready = key_prepare(t, path);

			if (ready < 0)
				return;
			if (ready == 0)
				continue;
			t->key_ready = true;
		}
		rc = libssh2_userauth_publickey_fromfile_ex(
		    t->s, t->p.user, (unsigned)strlen(t->p.user), NULL, path, t->key_pass);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return;
		t->key_ready = false;
		t->key_pass = NULL;
		if (rc == 0) {
			snprintf(how, sizeof(how), "publickey with %s", path);
			up(t, how);
			return;
		}
		keyfile_inspect(path, &ki);
		if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED) {
			/* A wrong passphrase is asked for again next time. */
			if (ki.encrypted)
				pass_forget(t, t->key_index);
			snprintf(how, sizeof(how), "%s (%s)", path,
				 ki.encrypted ? "wrong passphrase"
					      : "a key format libssh2 cannot read");
		} else {
			snprintf(how, sizeof(how), "%s", path);
			if (str_eq(ki.type, "ssh-rsa"))
				t->rsa_refused = true;
		}
		tried_add(t, how);
		if (rc != LIBSSH2_ERROR_FILE && rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED &&
		    rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED &&
		    rc != LIBSSH2_ERROR_METHOD_NOT_SUPPORTED) {
			go_down_ssh(t, "authentication failed");
			return;
		}
	}
	auth_refused(t);
}

static void setup_step(struct tunnel *t)
{
	int rc;

	switch (t->phase) {
	case PH_CONNECT:
		connect_done(t);
		if (t->phase != PH_HANDSHAKE)
			return;
		/* fall through */
	case PH_HANDSHAKE:
		rc = libssh2_session_handshake(t->s, t->fd);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return;
		if (rc != 0) {
			go_down_ssh(t, "SSH handshake failed");
			return;
		}
		after_handshake(t);
		if (t->phase != PH_AUTHLIST)
			return;
		/* fall through */
	case PH_AUTHLIST: {
		char *list = libssh2_userauth_list(t->s, t->p.user, (unsigned)strlen(t->p.user));

		if (!list) {
			if (libssh2_userauth_authenticated(t->s)) {
				up(t, "none (the server asked for no authentication)");
				return;
			}
			if (libssh2_session_last_errno(t->s) == LIBSSH2_ERROR_EAGAIN)
				return;
			go_down_ssh(t, "authentication failed");
			return;
		}
		t->methods = xstrdup(list);
		str_copy_clean(t->methods, strlen(t->methods) + 1, list);
		t->tried[0] = '\0';
		t->rsa_refused = false;
		t->key_index = 0;
		if (!strstr(t->methods, "publickey")) {
			auth_refused(t);
			return;
		}
		start_agent(t);
		if (t->phase == PH_AUTH_KEY)
			auth_key(t);
		else
			auth_agent(t);
		return;
	}
	case PH_AUTH_AGENT:
		auth_agent(t);
		if (t->phase == PH_AUTH_KEY)
			auth_key(t);
		return;
	case PH_AUTH_KEY:
		auth_key(t);
		return;
	default:
		return;
	}
}

/* ---- channels ---- */

/* Starts closing a connection: its client is let go at once, its channel
 * is closed and freed by conn_service, with the calls repeated after
 * EAGAIN; one waiting for the session has no channel and goes now. Makes
 * no libssh2 call itself, so that it is safe whatever is half sent. */
static void conn_closing(struct tunnel *t, struct conn *c)
{
	if (c->inner) {
		/* the session it carried sees its end of stream */
		c->inner->via_conn = NULL;
		c->inner = NULL;
	}
	if (!c->ch) {
		conn_release(t, c);
		return;
	}
	if (c->phase == C_CLOSING)
		return;
	c->phase = C_CLOSING;
	c->since_ms = loop_now_ms();
	if (c->w)
		loop_watch_remove(c->w);
	c->w = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* A channel no connection wants (opened after its client left, or a
 * probe the bastion accepted): closed as a connection's is. */
static void channel_discard(struct tunnel *t, LIBSSH2_CHANNEL *ch)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->ch = ch;
	c->fd = -1;
	c->phase = C_CLOSING;
	c->since_ms = loop_now_ms();
	c->next = t->conns;
	t->conns = c;
}

/* Repeats, with the same arguments, the call that left a packet of a
 * closing connection's channel half sent, so that its close may follow.
 * False while it must wait again. */
static bool conn_finish_call(struct tunnel *t, struct conn *c, enum op op)
{
	ssize_t n;

	switch (op) {
	case OP_WRITE:
		n = libssh2_channel_write(c->ch, c->up + c->up_off, c->up_len - c->up_off);
		break;
	case OP_EOF:
		n = libssh2_channel_send_eof(c->ch);
		break;
	case OP_READ:
		n = libssh2_channel_read(c->ch, c->down + c->down_len, CONN_BUF - c->down_len);
		break;
	default:
		return true;
	}
	return !(n == LIBSSH2_ERROR_EAGAIN && set_pending(t, op, c));
}

/* Returns false when sending must wait for a half-sent packet. */
static bool conn_service(struct tunnel *t, struct conn *c)
{
	uint64_t now = loop_now_ms();
	ssize_t n;
	int rc;

	if (c->phase == C_CLOSING) {
		/* The close waits for the bastion's answer (on_tick bounds it);
		 * then the free has nothing left to send. */
		if (!c->close_done) {
			rc = libssh2_channel_close(c->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return !set_pending(t, OP_CLOSE, c);
			c->close_done = true;
		}
		rc = libssh2_channel_free(c->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return !set_pending(t, OP_FREE, c);
		c->ch = NULL;
		conn_release(t, c);
		return true;
	}
	if (c->phase != C_OPEN)
		return true;

	/* client -> buffer */
	while (!c->client_eof && c->up_len < CONN_BUF) {
		n = recv(c->fd, c->up + c->up_len, CONN_BUF - c->up_len, 0);
		if (n > 0) {
			c->up_len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		c->client_eof = true;
		if (n < 0)
			c->failed = true;
	}
	/* buffer -> channel */
	while (c->up_off < c->up_len) {
		rc = (int)libssh2_channel_write(c->ch, c->up + c->up_off, c->up_len - c->up_off);
		if (rc > 0) {
			c->up_off += (size_t)rc;
			c->progress_ms = now;
			continue;
		}
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			if (set_pending(t, OP_WRITE, c))
				return false;
			break;
		}
		c->failed = true;
		break;
	}
	if (c->up_off == c->up_len)
		c->up_off = c->up_len = 0;
	if (!c->failed && c->client_eof && c->up_len == 0 && !c->eof_sent) {
		rc = libssh2_channel_send_eof(c->ch);
		if (rc == 0)
			c->eof_sent = true;
		else if (rc == LIBSSH2_ERROR_EAGAIN) {
			if (set_pending(t, OP_EOF, c))
				return false;
		} else
			c->failed = true;
	}
	/* channel -> buffer -> client, again while the client takes it all:
	 * libssh2 may hold data it read off the socket already, which poll()
	 * cannot see. */
	for (bool again = true; again;) {
		bool was_full;

		again = false;
		/* channel -> buffer */
		while (!c->failed && !c->remote_eof && c->down_len < CONN_BUF) {
			n = libssh2_channel_read(c->ch, c->down + c->down_len,
						 CONN_BUF - c->down_len);
			if (n > 0) {
				c->down_len += (size_t)n;
				c->progress_ms = now;
				continue;
			}
			if (n == LIBSSH2_ERROR_EAGAIN) {
				if (set_pending(t, OP_READ, c))
					return false;
				break;
			}
			if (n == 0 && !libssh2_channel_eof(c->ch))
				break;
			c->remote_eof = true;
			if (n < 0)
				c->failed = true;
		}
		/* buffer -> client */
		was_full = c->down_len == CONN_BUF;
		while (c->down_off < c->down_len) {
			n = send(c->fd, c->down + c->down_off, c->down_len - c->down_off,
				 MSG_NOSIGNAL);
			if (n > 0) {
				c->down_off += (size_t)n;
				c->progress_ms = now;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0 && errno == EINTR)
				continue;
			c->failed = true;
			break;
		}
		if (c->down_off == c->down_len) {
			c->down_off = c->down_len = 0;
			again = was_full && !c->failed;
		}
	}
	if (c->remote_eof && c->down_len == 0 && !c->client_shut) {
		shutdown(c->fd, SHUT_WR);
		c->client_shut = true;
	}
	if (c->failed || (c->client_shut && c->eof_sent)) {
		conn_closing(t, c);
		return conn_service(t, c);
	}
	conn_update_events(c);
	return true;
}

static bool run_open(struct tunnel *t)
{
	LIBSSH2_CHANNEL *ch;
	int e;

	if (t->probing) {
		ch = libssh2_channel_open_ex(t->s, PROBE_TYPE, sizeof(PROBE_TYPE) - 1,
					     LIBSSH2_CHANNEL_WINDOW_DEFAULT,
					     LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0);
		if (!ch && libssh2_session_last_errno(t->s) == LIBSSH2_ERROR_EAGAIN)
			return !set_pending(t, OP_OPEN, NULL);
		if (ch)
			channel_discard(t, ch);
		t->probing = false;
		if (t->pending == OP_OPEN)
			t->pending = OP_NONE;
		e = libssh2_session_last_errno(t->s);
		if (!ch && e != LIBSSH2_ERROR_CHANNEL_FAILURE) {
			go_down_ssh(t, "session lost");
			return false;
		}
		t->st.rtt_ms = (long)(loop_now_ms() - t->probe_start);
		notify(t);
		return true;
	}
	if (!t->open_busy) {
		if (!t->opening)
			return true;
		t->open_busy = true;
		free(t->open_host);
		t->open_host = xstrdup(t->opening->f->host);
		t->open_port = t->opening->f->port;
		t->open_sport = t->opening->f->local_port;
	}
	ch = libssh2_channel_direct_tcpip_ex(t->s, t->open_host, t->open_port, "127.0.0.1",
					     t->open_sport);
	if (!ch && libssh2_session_last_errno(t->s) == LIBSSH2_ERROR_EAGAIN)
		return !set_pending(t, OP_OPEN, NULL);
	t->open_busy = false;
	if (t->pending == OP_OPEN)
		t->pending = OP_NONE;
	if (!ch) {
		struct conn *c = t->opening;

		e = libssh2_session_last_errno(t->s);
		t->opening = NULL;
		if (e != LIBSSH2_ERROR_CHANNEL_FAILURE) {
			go_down_ssh(t, "session lost");
			return false;
		}
		if (c) {
			struct tunnel *inner = c->inner;
			struct tunnel_forward *f = c->f;

			snprintf(f->error, sizeof(f->error),
				 "the bastion could not open a connection to %s:%d (refused "
				 "there, or forwarding is not allowed)",
				 f->host, f->port);
			conn_release(t, c);
			if (inner)
				via_refused(inner, f->error);
		}
		return true;
	}
	if (!t->opening) {
		/* its connection went away while the channel was being opened */
		channel_discard(t, ch);
		return true;
	}
	t->opening->ch = ch;
	t->opening->phase = C_OPEN;
	/* the refusal told of is the last attempt's, not an old one's */
	t->opening->f->error[0] = '\0';
	t->opening->progress_ms = loop_now_ms();
	t->opening->f->count++;
	if (t->opening->inner) {
		struct tunnel *inner = t->opening->inner;

		t->opening = NULL;
		via_opened(inner);
		return true;
	}
	t->opening = NULL;
	return true;
}

/* Repeats the call that left a packet half sent. */
static bool run_pending(struct tunnel *t)
{
	struct conn *c = t->pending_conn;
	enum op op = t->pending;
	ssize_t n;
	int rc, next = 0;

	t->pending = OP_NONE;
	t->pending_conn = NULL;
	switch (op) {
	case OP_NONE:
		return true;
	case OP_OPEN:
		return run_open(t);
	case OP_KEEPALIVE:
		rc = libssh2_keepalive_send(t->s, &next);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return !set_pending(t, OP_KEEPALIVE, NULL);
		return true;
	default:
		break;
	}
	/* A closing connection's channel: the call first, then its close. */
	if (c->phase == C_CLOSING)
		return conn_finish_call(t, c, op) && conn_service(t, c);
	if (op != OP_READ) {
		/* A write, an EOF or a close: the first libssh2 call conn_service
		 * makes for this connection is that same call. */
		return conn_service(t, c);
	}
	n = libssh2_channel_read(c->ch, c->down + c->down_len, CONN_BUF - c->down_len);
	if (n > 0) {
		c->down_len += (size_t)n;
		c->progress_ms = loop_now_ms();
	} else if (n == LIBSSH2_ERROR_EAGAIN) {
		if (set_pending(t, OP_READ, c))
			return false;
	} else if (n < 0 || libssh2_channel_eof(c->ch)) {
		c->remote_eof = true;
		c->failed = n < 0;
	}
	return conn_service(t, c);
}

static struct conn *next_waiting(const struct tunnel *t)
{
	for (struct conn *c = t->conns; c; c = c->next) {
		if (c->phase == C_WAITING)
			return c;
	}
	return NULL;
}

static void up_step(struct tunnel *t)
{
	if (t->pending != OP_NONE && !run_pending(t))
		return;
	/* Channel opens one after another, as long as they answer at once. */
	while (t->phase == PH_UP) {
		if (!t->opening && !t->probing && !t->open_busy) {
			t->opening = next_waiting(t);
			if (!t->opening && t->probe_wanted) {
				t->probe_wanted = false;
				t->probing = true;
				t->probe_start = loop_now_ms();
			}
		}
		if (!t->opening && !t->probing && !t->open_busy)
			break;
		if (!run_open(t))
			return;
		if (t->opening || t->probing || t->open_busy)
			break; /* waiting for the answer */
	}
	if (t->phase != PH_UP)
		return;
	for (struct conn *c = t->conns, *next; c; c = next) {
		next = c->next;
		if (!conn_service(t, c))
			return;
	}
}

static void pump(struct tunnel *t)
{
	if (t->phase >= PH_CONNECT && t->phase < PH_UP)
		setup_step(t);
	if (t->phase == PH_UP)
		up_step(t);
	update_session_events(t);
}

/* ---- timers ---- */

/* Milliseconds from then to now; 0 for a then set after now was read (a
 * pump run from the timer moves connections' times past the tick's now). */
static uint64_t ms_since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* The session is broken: a channel stalled with a packet half sent (no
 * other call may be made on the session before it), or the bastion does
 * not answer a channel's close. */
static bool conn_breaks_session(const struct tunnel *t, const struct conn *c, uint64_t now)
{
	if (c->phase == C_CLOSING)
		return ms_since(now, c->since_ms) > (uint64_t)dead_after_ms(t);
	return t->pending_conn == c;
}

/* Connections that waited too long for the session are let go; so are
 * channels with bytes to move that moved none for the bound (libssh2 1.10
 * can stall a channel for good after a rekey), through their close. */
static void sweep(struct tunnel *t, uint64_t now)
{
	bool closing = false;

	for (struct conn *c = t->conns, *next; c; c = next) {
		bool stalled = c->phase == C_OPEN &&
			       (c->up_len > c->up_off || c->down_len > c->down_off) &&
			       ms_since(now, c->progress_ms) > CONN_STALL_MS;

		next = c->next;
		if (c->phase == C_WAITING && c != t->opening &&
		    ms_since(now, c->since_ms) > CONN_WAIT_MS) {
			conn_release(t, c);
		} else if ((stalled || c->phase == C_CLOSING) && t->phase == PH_UP &&
			   conn_breaks_session(t, c, now)) {
			char reason[300];

			snprintf(reason, sizeof(reason),
				 "timeout: a channel through %s:%ld made no progress for %ld s",
				 t->p.host, t->p.port,
				 (c->phase == C_CLOSING ? dead_after_ms(t) : CONN_STALL_MS) / 1000);
			go_down(t, reason);
			return;
		} else if (stalled) {
			conn_closing(t, c);
			closing = true;
		}
	}
	if (closing && t->phase == PH_UP)
		pump(t);
}

static void on_tick(struct loop *loop, void *ud)
{
	struct tunnel *t = ud;
	uint64_t now = loop_now_ms();

	(void)loop;
	if (t->phase == PH_VIA && t->fd < 0)
		t->timeout_from_ms = now; /* the outer's attempt has its own bound */
	if (t->phase == PH_DOWN) {
		/* Riding a tunnel that is down, the next attempt waits for it. */
		bool outer_down = t->o.via && t->o.via->st.state == TUNNEL_DOWN;

		if (t->st.retry_in_ms >= 0 && now >= t->retry_at_ms && !outer_down)
			resolve_start(t);
		else if (t->st.retry_in_ms >= 0)
			t->st.retry_in_ms = now < t->retry_at_ms ? (long)(t->retry_at_ms - now) : 0;
	} else if (t->phase < PH_UP && t->phase != PH_AUTH_WAIT &&
		   ms_since(now, t->timeout_from_ms) > (uint64_t)t->o.connect_timeout_ms) {
		char reason[300];

		snprintf(reason, sizeof(reason),
			 "timeout: %s:%ld did not complete the connection in %ld s", t->p.host,
			 t->p.port, t->o.connect_timeout_ms / 1000);
		go_down(t, reason);
	} else if (t->phase == PH_UP) {
		if ((t->probing && ms_since(now, t->probe_start) > (uint64_t)dead_after_ms(t)) ||
		    (t->pending != OP_NONE &&
		     ms_since(now, t->pending_since) > (uint64_t)dead_after_ms(t))) {
			char reason[300];

			snprintf(reason, sizeof(reason),
				 "timeout: %s:%ld stopped answering (no progress for %ld s)",
				 t->p.host, t->p.port, dead_after_ms(t) / 1000);
			go_down(t, reason);
		} else if (now >= t->keepalive_at) {
			t->keepalive_at = now + (uint64_t)t->p.keepalive_s * 1000;
			if (t->pending == OP_NONE) {
				int next = 0;
				int rc = libssh2_keepalive_send(t->s, &next);

				if (rc == LIBSSH2_ERROR_EAGAIN)
					set_pending(t, OP_KEEPALIVE, NULL);
			}
			if (!t->probing)
				t->probe_wanted = true;
			pump(t);
		}
	}
	/* The pump above may have moved things: measured from now. */
	sweep(t, loop_now_ms());
}

/* ---- public ---- */

struct tunnel *tunnel_new(struct loop *loop, const struct tunnel_profile *p,
			  const struct tunnel_opts *o)
{
	struct tunnel *t = xcalloc(1, sizeof(*t));

	t->loop = loop;
	tunnel_profile_copy(&t->p, p);
	if (o)
		t->o = *o;
	if (t->o.connect_timeout_ms <= 0)
		t->o.connect_timeout_ms = 15000;
	if (t->o.backoff_min_ms <= 0)
		t->o.backoff_min_ms = 500;
	if (t->o.backoff_max_ms <= 0)
		t->o.backoff_max_ms = 30000;
	t->backoff_ms = t->o.backoff_min_ms;
	t->fd = -1;
	t->st.rtt_ms = -1;
	t->st.retry_in_ms = -1;
	t->tick = loop_timer_add(loop, TICK_MS, TICK_MS, on_tick, t);
	if (t->o.via) {
		struct tunnel *outer = t->o.via;

		t->via_f = forward_add(outer, t->p.host, (int)t->p.port, -1, 0);
		t->inner_next = outer->inners;
		outer->inners = t;
	}
	resolve_start(t);
	return t;
}

void tunnel_free(struct tunnel *t)
{
	if (!t)
		return;
	/* The session first: its channels go with it, nothing to close. */
	session_close(t);
	t->phase = PH_DOWN;
	while (t->forwards)
		tunnel_forward_close(t->forwards);
	while (t->conns)
		conn_release(t, t->conns);
	if (t->o.via) {
		struct tunnel **pp = &t->o.via->inners;

		tunnel_forward_close(t->via_f);
		while (*pp && *pp != t)
			pp = &(*pp)->inner_next;
		if (*pp)
			*pp = t->inner_next;
	}
	if (t->kick)
		loop_timer_cancel(t->kick);
	loop_timer_cancel(t->tick);
	vault_free(t);
	tunnel_profile_free(&t->p);
	free(t);
}

bool tunnel_passphrase_answer(struct tunnel *t, const char *path, const char *pass)
{
	uint64_t now = loop_now_ms();
	char tried[400];
	size_t i;

	if (!t || !path || !t->asking || !str_eq(path, t->p.identity_files[t->key_index]))
		return false;
	i = t->key_index;
	t->asking = false;
	/* The operator's time does not count against the attempt. */
	t->prompt_ms += now - t->asked_ms;
	t->timeout_from_ms = now;
	t->phase = PH_AUTH_KEY;
	if (pass && *pass && strlen(pass) <= TUNNEL_PASSPHRASE_MAX) {
		snprintf(t->vault + i * PASS_SIZE, PASS_SIZE, "%s", pass);
		t->pass_kept[i] = true;
		if (ms_since(now, t->asked_ms) > PARK_STALE_MS) {
			/* The server's login grace time may have ended the parked
			 * session: a fresh one starts on the next tick with the kept
			 * passphrase, not counted as a failure. */
			session_close(t);
			t->phase = PH_DOWN;
			t->backoff_ms = t->o.backoff_min_ms;
			t->retry_at_ms = now;
			t->st.retry_in_ms = 0;
			return true;
		}
	} else {
		pass_forget(t, i);
		if (pass && *pass)
			snprintf(tried, sizeof(tried),
				 "%s (encrypted, the passphrase is longer than %d bytes: refused)", path,
				 TUNNEL_PASSPHRASE_MAX);
		else
			snprintf(tried, sizeof(tried), "%s (encrypted, %s)", path,
				 pass ? "no passphrase given" : "passphrase cancelled");
		tried_add(t, tried);
		t->key_skip = true;
	}
	/* Resumed on the loop's next turn: never inside the caller's code. */
	if (!t->in_ask)
		kick(t);
	return true;
}

void tunnel_probe(struct tunnel *t)
{
	if (t->phase != PH_UP || t->probing)
		return;
	t->probe_wanted = true;
	pump(t);
}

static void on_conn_fd(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct conn *c = ud;

	(void)loop;
	(void)fd;
	(void)events;
	pump(c->f->t);
}

/* A connection of forward f on a client socket fd: it waits for the
 * session, then rides a channel of its own. */
static struct conn *conn_add(struct tunnel_forward *f, int fd)
{
	struct tunnel *t = f->t;
	struct conn *c = xcalloc(1, sizeof(*c));
	struct conn **pp = &t->conns;

	c->f = f;
	c->fd = fd;
	c->phase = C_WAITING;
	c->since_ms = loop_now_ms();
	c->w = loop_watch_fd(t->loop, fd, 0, on_conn_fd, c);
	while (*pp)
		pp = &(*pp)->next;
	*pp = c;
	return c;
}

static void on_accept(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct tunnel_forward *f = ud;
	int cfd;

	(void)loop;
	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int one = 1;

		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn_add(f, cfd);
	}
	pump(f->t);
}

/* A forward to host:port; lfd -1 for one without a listener, whose
 * connections are handed to it (a tunnel riding this one). */
static struct tunnel_forward *forward_add(struct tunnel *t, const char *host, int port, int lfd,
					  int local_port)
{
	struct tunnel_forward *f = xcalloc(1, sizeof(*f));

	f->t = t;
	f->host = xstrdup(host);
	f->port = port;
	f->lfd = lfd;
	f->local_port = local_port;
	if (lfd >= 0)
		f->w = loop_watch_fd(t->loop, lfd, LOOP_READ, on_accept, f);
	f->next = t->forwards;
	t->forwards = f;
	return f;
}

struct tunnel_forward *tunnel_forward_open(struct tunnel *t, const char *host, int port,
					   int local_port, struct err *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	if (port < 1 || port > 65535 || local_port < 0 || local_port > 65535) {
		err_set(err, "a port is a number from 1 to 65535");
		return NULL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, "cannot make a socket: %s", strerror(errno));
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)local_port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		err_set(err, "cannot listen on 127.0.0.1:%d: %s", local_port, strerror(errno));
		close(fd);
		return NULL;
	}
	return forward_add(t, host, port, fd, ntohs(sa.sin_port));
}

int tunnel_forward_local_port(const struct tunnel_forward *f)
{
	return f->local_port;
}

unsigned long tunnel_forward_count(const struct tunnel_forward *f)
{
	return f->count;
}

const char *tunnel_forward_error(const struct tunnel_forward *f)
{
	return f->error;
}

void tunnel_forward_close(struct tunnel_forward *f)
{
	struct tunnel *t = f->t;
	struct tunnel_forward **pp = &t->forwards;
	bool closing = false;

	/* Open channels are closed on the session as any other; the
	 * connections have no forward from now on. */
	for (struct conn *c = t->conns, *next; c; c = next) {
		next = c->next;
		if (c->f != f)
			continue;
		c->f = NULL;
		closing |= c->ch != NULL;
		conn_closing(t, c);
	}
	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp)
		*pp = f->next;
	if (f->w)
		loop_watch_remove(f->w);
	if (f->lfd >= 0)
		close(f->lfd);
	free(f->host);
	free(f);
	/* From the loop: the caller may be inside this tunnel's own pump
	 * (a tunnel riding it, freed from a callback). */
	if (closing && t->phase == PH_UP)
		kick(t);
}

/* ---- chains ---- */

struct tunnel_chain {
	struct tunnel **v; /* the outermost first */
	size_t n;
};

struct tunnel_chain *tunnel_chain_new(struct loop *loop, const struct tunnel_profiles *ps,
				      const char *name, const struct tunnel_opts *o,
				      struct err *err)
{
	const struct tunnel_profile *p = tunnel_profiles_find(ps, name);
	struct tunnel_profiles hops = {0};
	struct tunnel_chain *c;

	if (!p) {
		err_set(err, "no tunnel profile named %s", name);
		return NULL;
	}
	if (!tunnel_profile_hops(ps, p, &hops, err))
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->v = xcalloc(hops.n, sizeof(*c->v));
	for (size_t i = 0; i < hops.n; i++) {
		struct tunnel_opts ho = {0};

		if (o)
			ho = *o;
		if (i > 0)
			ho.via = c->v[i - 1];
		c->v[i] = tunnel_new(loop, &hops.v[i], &ho);
		c->n = i + 1;
	}
	tunnel_profiles_free(&hops);
	return c;
}

size_t tunnel_chain_len(const struct tunnel_chain *c)
{
	return c->n;
}

struct tunnel *tunnel_chain_hop(const struct tunnel_chain *c, size_t i)
{
	return i < c->n ? c->v[i] : NULL;
}

struct tunnel *tunnel_chain_last(const struct tunnel_chain *c)
{
	return c->v[c->n - 1];
}

void tunnel_chain_free(struct tunnel_chain *c)
{
	if (!c)
		return;
	while (c->n > 0)
		tunnel_free(c->v[--c->n]);
	free(c->v);
	free(c);
}
