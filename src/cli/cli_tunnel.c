#include "config.h"

#include "cli/cli_tunnel.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "loop.h"
#include "ssh/profile.h"
#include "ssh/tunnel.h"

static int list_run(struct cli_ctx *ctx, int argc, char **argv);
static int check_run(struct cli_ctx *ctx, int argc, char **argv);
static int forward_run(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_list = {
    .noun = "tunnel",
    .verb = "list",
    .usage = "[--json]",
    .summary = "list the SSH tunnel profiles of the settings",
    .run = list_run,
};
static const struct cli_command cmd_check = {
    .noun = "tunnel",
    .verb = "check",
    .usage = "PROFILE [--json]",
    .summary = "connect to a profile's bastion: host key, authentication, round trip",
    .run = check_run,
};
static const struct cli_command cmd_forward = {
    .noun = "tunnel",
    .verb = "forward",
    .usage = "PROFILE HOST:PORT [--local-port N]",
    .summary = "forward a local port to HOST:PORT through a profile's bastion until "
	       "interrupted",
    .run = forward_run,
};

const struct cli_command *const cli_tunnel_commands[] = {&cmd_list, &cmd_check, &cmd_forward, NULL};

static const char *policy_name(enum hostkey_policy p)
{
	return p == HOSTKEY_ACCEPT_NEW ? "accept-new" : "strict";
}

/* What a profile's bastion is reached through: its via, or the
 * ProxyJump of its Host of ~/.ssh/config as "ssh:HOPS"; NULL: directly
 * (or a ~/.ssh/config that cannot be read, which check reports). */
static char *profile_via(const struct tunnel_profile *p)
{
	struct tunnel_profile r;
	struct err err = {{0}};
	char *via = NULL;

	if (p->via)
		return xstrdup(p->via);
	if (!p->ssh_config_host || !tunnel_profile_resolve(p, &r, &err))
		return NULL;
	if (r.proxy_jump)
		via = xasprintf("ssh:%s", r.proxy_jump);
	tunnel_profile_free(&r);
	return via;
}

static int list_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct tunnel_profiles *ps = &ctx->conf->tunnels;
	static const char *const header[] = {"NAME", "HOST", "PORT", "USER", "HOST KEYS", "VIA"};
	struct cli_table tab;
	int npos;

	if (!cli_parse(ctx, &cmd_list, argc, argv, NULL, NULL, 0, 0, &npos))
		return CLI_USAGE;
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < ps->n; i++) {
			const struct tunnel_profile *p = &ps->v[i];

			char *via = profile_via(p);

			json_array_append_new(
			    a, json_pack("{s:s, s:s?, s:s?, s:I, s:s?, s:s, s:I, s:s?}", "name",
					 p->name, "host", p->host, "ssh_config_host",
					 p->ssh_config_host, "port", (json_int_t)p->port, "user",
					 p->user, "host_key_policy", policy_name(p->policy),
					 "keepalive", (json_int_t)p->keepalive_s, "via", via));
			free(via);
		}
		return cli_json_print(ctx, a);
	}
	cli_table_init(&tab, ARRAY_LEN(header), header);
	for (size_t i = 0; i < ps->n; i++) {
		const struct tunnel_profile *p = &ps->v[i];
		char port[16];
		const char *row[6];
		char host[300];
		char *via = profile_via(p);

		snprintf(port, sizeof(port), "%ld", p->port ? p->port : 22);
		if (p->host)
			snprintf(host, sizeof(host), "%s", p->host);
		else
			snprintf(host, sizeof(host), "ssh:%s", p->ssh_config_host);
		if (p->ssh_config_host && !p->port)
			snprintf(port, sizeof(port), "-");
		row[0] = p->name;
		row[1] = host;
		row[2] = port;
		row[3] = p->user ? p->user : "-";
		row[4] = policy_name(p->policy);
		row[5] = via ? via : "-";
		cli_table_row(&tab, row);
		free(via);
	}
	cli_table_print(&tab, ctx->out);
	cli_table_free(&tab);
	return CLI_OK;
}

/* ---- passphrases: SSH_ASKPASS as ssh runs it, else the terminal ---- */

/* Why a passphrase is refused: longer than the key's reader takes. */
static enum cli_pass_end too_long(char *buf, size_t bufsz, struct err *why)
{
	explicit_bzero(buf, bufsz);
	err_set(why, "the passphrase is longer than %zu bytes: refused", bufsz - 1);
	return CLI_PASS_REFUSED;
}

static enum cli_pass_end cancelled(char *buf, size_t bufsz, struct err *why)
{
	explicit_bzero(buf, bufsz);
	err_set(why, "passphrase cancelled");
	return CLI_PASS_REFUSED;
}

/* The first line the program prints is the passphrase; a program that
 * fails or ends without a word has been cancelled. */
static enum cli_pass_end askpass_program(const char *prog, const char *prompt, char *buf,
					 size_t bufsz, struct err *why)
{
	char chunk[256];
	bool line_end = false, overflow = false;
	int p[2];
	pid_t pid;
	size_t n = 0;
	ssize_t r;
	int status;

	if (pipe(p) != 0) {
		err_set(why, "cannot run %s: %s", prog, strerror(errno));
		return CLI_PASS_REFUSED;
	}
	pid = fork();
	if (pid < 0) {
		err_set(why, "cannot run %s: %s", prog, strerror(errno));
		close(p[0]);
		close(p[1]);
		return CLI_PASS_REFUSED;
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execl(prog, prog, prompt, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* Read to the end, so that the program is not left writing. */
	while ((r = read(p[0], chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		for (ssize_t i = 0; i < r && !line_end; i++) {
			if (chunk[i] == '\n' || chunk[i] == '\r')
				line_end = true;
			else if (n + 1 < bufsz)
				buf[n++] = chunk[i];
			else
				overflow = true;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(p[0]);
	buf[n] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* ctrl-C reaches the program too: the operator interrupted */
	if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM)) {
		cancelled(buf, bufsz, why);
		return CLI_PASS_INTERRUPTED;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || (n == 0 && !line_end))
		return cancelled(buf, bufsz, why);
	if (overflow)
		return too_long(buf, bufsz, why);
	return CLI_PASS_GIVEN;
}

static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int signo)
{
	prompt_signal = signo;
}

/* A line typed without echo; the end of input (ctrl-D) before the end of
 * the line cancels; ctrl-C interrupts, and is then handed to the command
 * as it would be anywhere else (the loop's handlers restart reads, so the
 * prompt has its own while it waits). */
static enum cli_pass_end askpass_tty(const char *prompt, char *buf, size_t bufsz, struct err *why)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	struct termios old, quiet;
	struct sigaction sa = {.sa_handler = on_prompt_signal}, old_int, old_term;
	bool line_end = false, overflow = false;
	size_t n = 0;
	ssize_t r = 0;
	char ch = 0;

	if (fd < 0 || tcgetattr(fd, &old) != 0) {
		if (fd >= 0)
			close(fd);
		err_set(why, "no terminal to ask for the passphrase on, and no SSH_ASKPASS");
		return CLI_PASS_REFUSED;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	sigemptyset(&sa.sa_mask);
	prompt_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* Quiet before the prompt shows: what is typed after it is kept. */
	tcsetattr(fd, TCSAFLUSH, &quiet);
	(void)!write(fd, prompt, strlen(prompt));
	while (!prompt_signal && (r = read(fd, &ch, 1)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (ch == '\n' || ch == '\r') {
			line_end = true;
			break;
		}
		if (n + 1 < bufsz)
			buf[n++] = ch;
		else
			overflow = true;
	}
	explicit_bzero(&ch, sizeof(ch));
	buf[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (prompt_signal) {
		/* Now to the command's own handler. */
		raise(prompt_signal);
		cancelled(buf, bufsz, why);
		return CLI_PASS_INTERRUPTED;
	}
	if (!line_end)
		return cancelled(buf, bufsz, why);
	if (overflow)
		return too_long(buf, bufsz, why);
	return CLI_PASS_GIVEN;
}

bool cli_passphrase(const char *path, char *buf, size_t bufsz, struct err *why, void *ud)
{
	(void)ud;
	return cli_passphrase_ask(path, buf, bufsz, why) == CLI_PASS_GIVEN;
}

enum cli_pass_end cli_passphrase_ask(const char *path, char *buf, size_t bufsz, struct err *why)
{
	const char *prog = getenv("SSH_ASKPASS");
	const char *req = getenv("SSH_ASKPASS_REQUIRE");
	char prompt[600];

	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", path);
	if (prog && *prog && (!isatty(STDIN_FILENO) || (req && str_eq(req, "force"))))
		return askpass_program(prog, prompt, buf, bufsz, why);
	return askpass_tty(prompt, buf, bufsz, why);
}

/* ---- running a tunnel in the foreground ---- */

/* One tunnel per hop, the last to the profile's own bastion. */
struct run {
	struct cli_ctx *ctx;
	struct loop *loop;
	struct tunnel_chain *chain;
	bool check;
	bool interrupted;
	enum tunnel_state last[TUNNEL_MAX_HOPS];
	char last_reason[TUNNEL_MAX_HOPS][512];
};

/* check: the last hop up with its round trip, or down (an outer hop down
 * takes it down). */
static bool check_done(const struct run *r)
{
	const struct tunnel_status *st = tunnel_status(tunnel_chain_last(r->chain));

	return st->state == TUNNEL_DOWN || (st->state == TUNNEL_UP && st->rtt_ms >= 0);
}

static void on_state(struct tunnel *t, void *ud)
{
	struct run *r = ud;
	const struct tunnel_status *st = tunnel_status(t);
	size_t i = 0;

	/* Called while the chain is made, too: those states show later. */
	if (!r->chain)
		return;
	if (r->check) {
		if (check_done(r))
			loop_stop(r->loop);
		return;
	}
	while (i + 1 < TUNNEL_MAX_HOPS && tunnel_chain_hop(r->chain, i) != t)
		i++;
	/* forward: each change of state of each hop on stderr, once */
	if (st->state == r->last[i] &&
	    (st->state != TUNNEL_DOWN || str_eq(st->reason, r->last_reason[i])))
		return;
	r->last[i] = st->state;
	str_copy(r->last_reason[i], sizeof(r->last_reason[i]), st->reason);
	if (st->state == TUNNEL_DOWN)
		fprintf(r->ctx->err, "tunnel %s: down: %s%s\n", tunnel_name(t), st->reason,
			st->retry_in_ms >= 0 ? " (trying again)" : "");
	else if (st->state == TUNNEL_UP)
		fprintf(r->ctx->err, "tunnel %s: up (%s)\n", tunnel_name(t), st->auth);
	else
		fprintf(r->ctx->err, "tunnel %s: connecting\n", tunnel_name(t));
	fflush(r->ctx->err);
}

static void on_signal(struct loop *loop, int signo, void *ud)
{
	struct run *r = ud;

	(void)signo;
	r->interrupted = true;
	loop_stop(loop);
}

static const struct tunnel_profile *find_profile(struct cli_ctx *ctx, const char *name)
{
	const struct tunnel_profile *p = tunnel_profiles_find(&ctx->conf->tunnels, name);

	if (!p)
		cli_not_found(ctx, "tunnel profile", name);
	return p;
}

/* The profile's tunnels, one per hop. False after saying why (a bad
 * chain, a bad ~/.ssh/config). */
static bool run_start(struct run *r, struct cli_ctx *ctx, const struct tunnel_profile *p,
		      bool check)
{
	struct tunnel_opts o = {
	    .once = check, .on_state = on_state, .passphrase = cli_passphrase, .ud = r};
	struct err err = {{0}};

	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->check = check;
	for (size_t i = 0; i < TUNNEL_MAX_HOPS; i++)
		r->last[i] = TUNNEL_CONNECTING;
	r->loop = loop_new();
	loop_signal(r->loop, SIGINT, on_signal, r);
	loop_signal(r->loop, SIGTERM, on_signal, r);
	r->chain = tunnel_chain_new(r->loop, &ctx->conf->tunnels, p->name, &o, &err);
	if (!r->chain) {
		loop_free(r->loop);
		cli_fail(ctx, err.msg);
		return false;
	}
	return true;
}

static void run_end(struct run *r)
{
	tunnel_chain_free(r->chain);
	loop_free(r->loop);
}

static json_t *hop_json(const struct tunnel *t)
{
	const struct tunnel_status *st = tunnel_status(t);
	const struct tunnel_profile *p = tunnel_profile_of(t);
	json_t *o =
	    json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s?, s:s?, s:b}", "name", p->name, "host",
		      p->host, "port", (json_int_t)p->port, "state", tunnel_state_name(st->state),
		      "host_key_type", st->hostkey_type, "host_key_fingerprint", st->fingerprint,
		      "auth", st->state == TUNNEL_UP ? st->auth : NULL, "reason",
		      st->state == TUNNEL_DOWN ? st->reason : NULL, "host_key_recorded",
		      st->hostkey_recorded);

	if (st->state == TUNNEL_UP)
		json_object_set_new(o, "rtt_ms", json_integer(st->rtt_ms));
	json_object_set_new(o, "stages_ms",
			    json_pack("{s:I, s:I, s:I}", "connect", (json_int_t)st->connect_ms,
				      "handshake", (json_int_t)st->handshake_ms, "auth",
				      (json_int_t)st->auth_ms));
	return o;
}

/* A hop's host key, authentication, round trip and stages, each line
 * after indent. */
static void hop_text(FILE *out, const struct tunnel *t, const char *indent)
{
	const struct tunnel_status *st = tunnel_status(t);

	if (st->hostkey_type[0])
		fprintf(out, "%shost key:   %s %s%s\n", indent, st->hostkey_type, st->fingerprint,
			st->hostkey_recorded ? " (new: recorded in known_hosts)" : "");
	if (st->state != TUNNEL_UP)
		return;
	fprintf(out, "%sauth:       %s\n", indent, st->auth);
	if (st->rtt_ms >= 0)
		fprintf(out, "%sround trip: %ld ms\n", indent, st->rtt_ms);
	fprintf(out,
		"%sstages:     connected %ld ms, host key checked %ld ms, "
		"authenticated %ld ms\n",
		indent, st->connect_ms, st->handshake_ms, st->auth_ms);
}

/* Each hop of a chain: where, its state, then what hop_text shows. */
static void hops_text(FILE *out, const struct tunnel_chain *c)
{
	for (size_t i = 0; i < tunnel_chain_len(c); i++) {
		const struct tunnel *t = tunnel_chain_hop(c, i);
		const struct tunnel_profile *p = tunnel_profile_of(t);
		const struct tunnel_status *st = tunnel_status(t);

		fprintf(out, "hop %zu: %s (%s:%ld): %s%s%s\n", i + 1, p->name, p->host, p->port,
			tunnel_state_name(st->state), st->state == TUNNEL_DOWN ? ": " : "",
			st->state == TUNNEL_DOWN ? st->reason : "");
		hop_text(out, t, "  ");
	}
}

static int check_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	const struct tunnel_profile *p;
	const struct tunnel_status *st;
	const struct tunnel *last;
	struct run r;
	int npos, rc;

	if (!cli_parse(ctx, &cmd_check, argc, argv, NULL, pos, 1, 1, &npos))
		return CLI_USAGE;
	p = find_profile(ctx, pos[0]);
	if (!p)
		return CLI_FAILED;
	if (!run_start(&r, ctx, p, true))
		return CLI_FAILED;
	if (!check_done(&r))
		loop_run(r.loop);
	last = tunnel_chain_last(r.chain);
	st = tunnel_status(last);
	if (r.interrupted) {
		rc = cli_fail(ctx, "interrupted");
	} else if (ctx->json) {
		json_t *o = hop_json(last);
		json_t *hops = json_array();

		json_object_set_new(o, "name", json_string(p->name));
		for (size_t i = 0; i < tunnel_chain_len(r.chain); i++)
			json_array_append_new(hops, hop_json(tunnel_chain_hop(r.chain, i)));
		json_object_set_new(o, "hops", hops);
		rc = cli_json_print(ctx, o);
		if (rc == CLI_OK && st->state != TUNNEL_UP)
			rc = CLI_FAILED;
	} else {
		if (st->state == TUNNEL_UP)
			fprintf(ctx->out, "tunnel %s: up\n", p->name);
		if (tunnel_chain_len(r.chain) > 1)
			hops_text(ctx->out, r.chain);
		else if (st->state == TUNNEL_UP)
			hop_text(ctx->out, last, "");
		rc = st->state == TUNNEL_UP ? CLI_OK
					    : cli_failf(ctx, "tunnel %s: %s", p->name, st->reason);
	}
	run_end(&r);
	return rc;
}

/* HOST:PORT, or [ADDRESS]:PORT for an IPv6 address. */
static bool parse_target(const char *s, char *host, size_t hostsz, long *port)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t hl;

	if (!colon || !str_to_long(colon + 1, 1, 65535, port))
		return false;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostsz)
		return false;
	for (size_t i = 0; i < hl; i++) {
		if ((unsigned char)h[i] <= ' ' || h[i] == '/' || h[i] == '@')
			return false;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	return true;
}

static int forward_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *local = NULL;
	const struct cli_opt opts[] = {{"local-port", &local, NULL, NULL, false},
				       {NULL, NULL, NULL, NULL, false}};
	const char *pos[2];
	const struct tunnel_profile *p;
	struct tunnel_forward *f;
	struct err err = {{0}};
	char host[256], shown[CLI_SHOWN_SIZE];
	long port, lport = 0;
	struct run r;
	int npos;

	if (!cli_parse(ctx, &cmd_forward, argc, argv, opts, pos, 2, 2, &npos))
		return CLI_USAGE;
	if (!parse_target(pos[1], host, sizeof(host), &port))
		return cli_usage(ctx, &cmd_forward,
				 "\"%s\" is not HOST:PORT (a port from 1 to 65535)",
				 cli_shown(pos[1], shown));
	if (local && !str_to_long(local, 1, 65535, &lport))
		return cli_usage(ctx, &cmd_forward, "--local-port takes a port from 1 to 65535");
	p = find_profile(ctx, pos[0]);
	if (!p)
		return CLI_FAILED;
	if (!run_start(&r, ctx, p, false))
		return CLI_FAILED;
	f = tunnel_forward_open(tunnel_chain_last(r.chain), host, (int)port, (int)lport, &err);
	if (!f) {
		run_end(&r);
		return cli_fail(ctx, err.msg);
	}
	fprintf(ctx->out, "127.0.0.1:%d\n", tunnel_forward_local_port(f));
	fflush(ctx->out);
	loop_run(r.loop);
	run_end(&r);
	return CLI_OK;
}
