#include "config.h"

#include "kube/execcred.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "b64.h"

#define EXECCRED_MAX_STDOUT (1024u * 1024u)
#define EXECCRED_MAX_STDERR (64u * 1024u)

extern char **environ;

/* runs started by every source of the process */
static unsigned long total_runs;

struct execcred_source {
	struct loop *loop;
	const struct kube_config *cfg;
	long timeout_ms;
	execcred_done_fn fn;
	void *ud;

	struct execcred cred;
	bool have;
	unsigned runs;

	/* the run in progress */
	bool running;
	pid_t pid;
	int out_fd, err_fd;
	struct loop_watch *out_w, *err_w;
	struct loop_timer *deadline;
	struct loop_timer *reap_timer;
	struct loop_timer *fail_timer;
	struct buf out, errout;
	struct err fail;
};

/* ---- parsing ---- */

static bool leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool digits(const char *s, int n, long *out)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool execcred_parse_time(const char *s, time_t *out)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long y, mo, d, h, mi, sec, oh = 0, om = 0;
	long long days;
	const char *p;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y) ? 1 : 0) || h > 23 || mi > 59 || sec > 60)
		return false;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return false;
		if (*p == '-') {
			oh = -oh;
			om = -om;
		}
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	days = 0;
	for (long yy = 1970; yy < y; yy++)
		days += leap(yy) ? 366 : 365;
	for (long m = 1; m < mo; m++)
		days += mdays[m - 1] + (m == 2 && leap(y) ? 1 : 0);
	days += d - 1;
	*out = (time_t)(days * 86400 + h * 3600 + mi * 60 + sec - oh * 3600 - om * 60);
	return true;
}

void execcred_clear(struct execcred *c)
{
	kubeconfig_free_secret(c->token);
	c->token = NULL;
	kube_blob_free(&c->client_cert);
	kube_blob_free(&c->client_key);
	c->expiry = 0;
}

static void blob_set(struct kube_blob *b, const char *s)
{
	b->len = strlen(s);
	b->data = (unsigned char *)xstrdup(s);
}

bool execcred_parse(const char *json, size_t len, const char *api_version, struct execcred *out,
		    struct err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	json_t *status;
	const char *kind, *api, *token = NULL, *cert = NULL, *key = NULL, *exp = NULL;
	char shown[81];
	bool ok = false;

	memset(out, 0, sizeof(*out));
	/* jerr.text may quote the output, which may hold the credential: not shown */
	if (!root || !json_is_object(root)) {
		err_set(err, "its output is not a JSON object (line %d)", root ? 1 : jerr.line);
		goto out;
	}
	kind = json_string_value(json_object_get(root, "kind"));
	api = json_string_value(json_object_get(root, "apiVersion"));
	if (!kind || strcmp(kind, "ExecCredential") != 0) {
		err_set(err, "its output is not an ExecCredential");
		goto out;
	}
	if (!api || strcmp(api, api_version) != 0) {
		str_copy_clean(shown, sizeof(shown), api ? api : "");
		err_set(err, "it answered with apiVersion \"%s\" where the kubeconfig asks for %s",
			shown, api_version);
		goto out;
	}
	status = json_object_get(root, "status");
	if (!json_is_object(status)) {
		err_set(err, "its ExecCredential has no status");
		goto out;
	}
	token = json_string_value(json_object_get(status, "token"));
	cert = json_string_value(json_object_get(status, "clientCertificateData"));
	key = json_string_value(json_object_get(status, "clientKeyData"));
	exp = json_string_value(json_object_get(status, "expirationTimestamp"));
	if (token && !token[0])
		token = NULL;
	if (cert && !cert[0])
		cert = NULL;
	if (key && !key[0])
		key = NULL;
	if (!!cert != !!key) {
		err_set(err, "its ExecCredential has a client certificate without a key, or a key "
			     "without a certificate");
		goto out;
	}
	if (!token && !cert) {
		err_set(err, "its ExecCredential has neither a token nor a client certificate");
		goto out;
	}
	/* it goes into a header line, as a kubeconfig's token does */
	for (const char *p = token; p && *p; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f) {
			err_set(err, "its token holds a line break or control character");
			goto out;
		}
	}
	if (cert &&
	    (!strstr(cert, "-----BEGIN CERTIFICATE-----") || !strstr(key, "PRIVATE KEY-----"))) {
		err_set(err, "its clientCertificateData or clientKeyData is not PEM");
		goto out;
	}
	if (exp && !execcred_parse_time(exp, &out->expiry)) {
		str_copy_clean(shown, 65, exp);
		err_set(err, "its expirationTimestamp \"%s\" is not an RFC 3339 time", shown);
		goto out;
	}
	if (token)
		out->token = xstrdup(token);
	if (cert) {
		blob_set(&out->client_cert, cert);
		blob_set(&out->client_key, key);
	}
	ok = true;
out:
	if (!ok)
		execcred_clear(out);
	json_decref(root);
	return ok;
}

/* ---- running the plugin ---- */

static char *exec_info(const struct kube_config *cfg)
{
	const struct kube_exec_config *x = cfg->exec;
	json_t *root = json_object(), *spec = json_object();
	char *s;

	json_object_set_new(root, "apiVersion", json_string(x->api_version));
	json_object_set_new(root, "kind", json_string("ExecCredential"));
	json_object_set_new(spec, "interactive", json_false());
	if (x->provide_cluster_info) {
		json_t *c = json_object();

		json_object_set_new(c, "server", json_string(cfg->server));
		if (cfg->tls_server_name)
			json_object_set_new(c, "tls-server-name",
					    json_string(cfg->tls_server_name));
		if (cfg->insecure)
			json_object_set_new(c, "insecure-skip-tls-verify", json_true());
		if (cfg->ca.data) {
			char *b = b64_encode(cfg->ca.data, cfg->ca.len);

			json_object_set_new(c, "certificate-authority-data", json_string(b));
			free(b);
		}
		if (cfg->proxy_url)
			json_object_set_new(c, "proxy-url", json_string(cfg->proxy_url));
		json_object_set_new(spec, "cluster", c);
	}
	json_object_set_new(root, "spec", spec);
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!s)
		fatal("out of memory encoding KUBERNETES_EXEC_INFO");
	return s;
}

static bool env_overridden(const struct kube_exec_config *x, const char *entry)
{
	size_t n = strcspn(entry, "=");

	if (n == strlen("KUBERNETES_EXEC_INFO") && strncmp(entry, "KUBERNETES_EXEC_INFO", n) == 0)
		return true;
	for (size_t i = 0; i < x->nenv; i++) {
		if (strlen(x->env[i].name) == n && strncmp(entry, x->env[i].name, n) == 0)
			return true;
	}
	return false;
}

/* The child's environment: ours, the kubeconfig's env on top, and the
 * request description. */
static char **build_env(const struct kube_config *cfg)
{
	const struct kube_exec_config *x = cfg->exec;
	size_t n = 0, k = 0;
	char **envp;
	char *info;

	for (char **e = environ; e && *e; e++)
		n++;
	envp = xcalloc(n + x->nenv + 2, sizeof(*envp));
	for (char **e = environ; e && *e; e++) {
		if (!env_overridden(x, *e))
			envp[k++] = xstrdup(*e);
	}
	for (size_t i = 0; i < x->nenv; i++)
		envp[k++] = xasprintf("%s=%s", x->env[i].name, x->env[i].value);
	info = exec_info(cfg);
	envp[k++] = xasprintf("KUBERNETES_EXEC_INFO=%s", info);
	kubeconfig_free_secret(info); /* it may hold the proxy-url's password */
	envp[k] = NULL;
	return envp;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		kubeconfig_free_secret(v[i]);
	free(v);
}

static void close_io(struct execcred_source *s)
{
	loop_watch_remove(s->out_w);
	loop_watch_remove(s->err_w);
	s->out_w = s->err_w = NULL;
	if (s->out_fd >= 0)
		close(s->out_fd);
	if (s->err_fd >= 0)
		close(s->err_fd);
	s->out_fd = s->err_fd = -1;
}

static void stop_run(struct execcred_source *s)
{
	close_io(s);
	loop_timer_cancel(s->deadline);
	loop_timer_cancel(s->reap_timer);
	loop_timer_cancel(s->fail_timer);
	s->deadline = s->reap_timer = s->fail_timer = NULL;
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		/* SIGKILL cannot be caught: the wait is short */
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
		s->pid = -1;
	}
	if (s->out.data)
		explicit_bzero(s->out.data, s->out.len);
	buf_free(&s->out);
	buf_free(&s->errout);
	s->running = false;
}

/* Ends the run and reports; nothing of s is touched after fn, which may free
 * the source. */
static void finish(struct execcred_source *s, bool ok, const struct err *e)
{
	struct err copy;

	if (e)
		copy = *e;
	else
		err_clear(&copy);
	stop_run(s);
	s->fn(s, ok, &copy, s->ud);
}

/* The first line of the plugin's stderr, cleaned for a message. */
static void stderr_line(const struct buf *b, char *out, size_t outsz)
{
	const char *p = buf_str(b);
	size_t n = 0;

	while (*p == '\n' || *p == '\r' || *p == ' ')
		p++;
	for (; *p && *p != '\n' && n + 1 < outsz && n < 200; p++)
		out[n++] = ((unsigned char)*p < ' ' || *p == 0x7f) ? ' ' : *p;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static void fail_later(struct loop *loop, void *ud)
{
	struct execcred_source *s = ud;

	(void)loop;
	s->fail_timer = NULL;
	finish(s, false, &s->fail);
}

static void on_exit_status(struct execcred_source *s, int status)
{
	const char *cmd = s->cfg->exec->command;
	char line[256];
	struct err e = {{0}}, sub = {{0}};
	struct execcred cred;

	s->pid = -1;
	stderr_line(&s->errout, line, sizeof(line));
	if (WIFSIGNALED(status)) {
		err_set(&e, "exec plugin \"%s\" was killed by signal %d%s%s", cmd, WTERMSIG(status),
			line[0] ? ": " : "", line);
		finish(s, false, &e);
		return;
	}
	if (WEXITSTATUS(status) != 0) {
		err_set(&e, "exec plugin \"%s\" failed with exit status %d%s%s", cmd,
			WEXITSTATUS(status), line[0] ? ": " : "", line);
		finish(s, false, &e);
		return;
	}
	if (!execcred_parse(buf_str(&s->out), s->out.len, s->cfg->exec->api_version, &cred, &sub)) {
		err_set(&e, "exec plugin \"%s\": %s", cmd, sub.msg);
		finish(s, false, &e);
		return;
	}
	execcred_clear(&s->cred);
	s->cred = cred;
	s->have = true;
	finish(s, true, NULL);
}

static void reap_tick(struct loop *loop, void *ud);

static void try_reap(struct execcred_source *s)
{
	int status;
	pid_t r;

	do
		r = waitpid(s->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == s->pid) {
		on_exit_status(s, status);
		return;
	}
	if (r < 0) {
		struct err e;

		s->pid = -1;
		err_set(&e, "exec plugin \"%s\": cannot wait for it: %s", s->cfg->exec->command,
			strerror(errno));
		finish(s, false, &e);
		return;
	}
	/* output closed but the process has not exited yet: look again soon;
	 * the deadline still holds */
	if (!s->reap_timer)
		s->reap_timer = loop_timer_add(s->loop, 5, 5, reap_tick, s);
}

static void reap_tick(struct loop *loop, void *ud)
{
	struct execcred_source *s = ud;

	(void)loop;
	try_reap(s);
}

static void on_output(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct execcred_source *s = ud;
	bool is_out = fd == s->out_fd;
	struct buf *b = is_out ? &s->out : &s->errout;
	size_t max = is_out ? EXECCRED_MAX_STDOUT : EXECCRED_MAX_STDERR;
	char chunk[4096];
	ssize_t n;

	(void)loop;
	(void)events;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			buf_append(b, chunk, (size_t)n);
			if (b->len > max) {
				struct err e;

				err_set(&e, "exec plugin \"%s\" wrote more than %zu bytes to %s",
					s->cfg->exec->command, max, is_out ? "stdout" : "stderr");
				explicit_bzero(chunk, sizeof(chunk));
				finish(s, false, &e);
				return;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	/* end of file, or an error that ends the stream just the same */
	if (is_out) {
		loop_watch_remove(s->out_w);
		s->out_w = NULL;
		close(s->out_fd);
		s->out_fd = -1;
	} else {
		loop_watch_remove(s->err_w);
		s->err_w = NULL;
		close(s->err_fd);
		s->err_fd = -1;
	}
	if (s->out_fd < 0 && s->err_fd < 0)
		try_reap(s);
}

static void on_deadline(struct loop *loop, void *ud)
{
	struct execcred_source *s = ud;
	struct err e;

	(void)loop;
	s->deadline = NULL;
	err_set(&e, "exec plugin \"%s\" did not answer within %ld s and was stopped",
		s->cfg->exec->command, (s->timeout_ms + 999) / 1000);
	finish(s, false, &e);
}

static bool set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

/* Child side after fork: only async-signal-safe calls until exec. */
static void ATTR_NORETURN child_exec(char **argv, char **envp, int devnull, int out, int errfd,
				     int report)
{
	sigset_t none;
	struct sigaction dfl;
	int e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, NULL);
	if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0) {
		e = errno;
		(void)!write(report, &e, sizeof(e));
		_exit(127);
	}
	environ = envp;
	execvp(argv[0], argv);
	e = errno;
	(void)!write(report, &e, sizeof(e));
	_exit(127);
}

static bool start_run(struct execcred_source *s, struct err *e)
{
	const struct kube_exec_config *x = s->cfg->exec;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, rep[2] = {-1, -1};
	int devnull = -1, child_errno = 0;
	char **argv, **envp;
	ssize_t n;
	pid_t pid;
	bool ok = false;

	if (x->interactive == KUBE_EXEC_ALWAYS) {
		err_set(e,
			"exec plugin \"%s\" needs a terminal (interactiveMode: Always), which "
			"opsdeck cannot give it",
			x->command);
		return false;
	}
	argv = xcalloc(x->nargs + 2, sizeof(*argv));
	argv[0] = xstrdup(x->command);
	for (size_t i = 0; i < x->nargs; i++)
		argv[i + 1] = xstrdup(x->args[i]);
	envp = build_env(s->cfg);

	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0 ||
	    pipe2(rep, O_CLOEXEC) != 0 || (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(e, "exec plugin \"%s\": cannot create pipes: %s", x->command,
			strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err_set(e, "exec plugin \"%s\": cannot fork: %s", x->command, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(argv, envp, devnull, outp[1], errp[1], rep[1]);

	close(outp[1]);
	close(errp[1]);
	close(rep[1]);
	outp[1] = errp[1] = rep[1] = -1;
	/* The report pipe closes on a successful exec (close-on-exec) or
	 * carries errno: a short local wait, not a network one. */
	do
		n = read(rep[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		err_set(e, "exec plugin \"%s\" could not be run: %s%s%s", x->command,
			strerror(child_errno), x->install_hint ? ". " : "",
			x->install_hint ? x->install_hint : "");
		goto out;
	}
	s->pid = pid;
	s->out_fd = outp[0];
	s->err_fd = errp[0];
	outp[0] = errp[0] = -1;
	set_nonblock(s->out_fd);
	set_nonblock(s->err_fd);
	s->out_w = loop_watch_fd(s->loop, s->out_fd, LOOP_READ, on_output, s);
	s->err_w = loop_watch_fd(s->loop, s->err_fd, LOOP_READ, on_output, s);
	s->deadline = loop_timer_add(s->loop, (uint64_t)s->timeout_ms, 0, on_deadline, s);
	ok = true;
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (rep[i] >= 0)
			close(rep[i]);
	}
	if (devnull >= 0)
		close(devnull);
	free_strv(argv);
	free_strv(envp);
	return ok;
}

struct execcred_source *execcred_source_new(struct loop *loop, const struct kube_config *cfg,
					    long timeout_ms, execcred_done_fn fn, void *ud)
{
	struct execcred_source *s = xcalloc(1, sizeof(*s));

	s->loop = loop;
	s->cfg = cfg;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : EXECCRED_TIMEOUT_MS;
	s->fn = fn;
	s->ud = ud;
	s->pid = -1;
	s->out_fd = s->err_fd = -1;
	return s;
}

void execcred_source_free(struct execcred_source *s)
{
	if (!s)
		return;
	stop_run(s);
	execcred_clear(&s->cred);
	free(s);
}

const struct execcred *execcred_source_cached(struct execcred_source *s, time_t now)
{
	if (!s->have)
		return NULL;
	if (s->cred.expiry && now + EXECCRED_EXPIRY_SKEW_S >= s->cred.expiry)
		return NULL;
	return &s->cred;
}

void execcred_source_refresh(struct execcred_source *s)
{
	if (s->running)
		return;
	s->running = true;
	s->runs++;
	total_runs++;
	err_clear(&s->fail);
	if (!start_run(s, &s->fail))
		s->fail_timer = loop_timer_add(s->loop, 0, 0, fail_later, s);
}

bool execcred_source_running(const struct execcred_source *s)
{
	return s->running;
}

void execcred_source_invalidate(struct execcred_source *s)
{
	execcred_clear(&s->cred);
	s->have = false;
}

unsigned execcred_source_runs(const struct execcred_source *s)
{
	return s->runs;
}

unsigned long execcred_total_runs(void)
{
	return total_runs;
}
