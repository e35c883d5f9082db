#include "config.h"

#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct loop_watch {
	struct loop *loop;
	int fd;
	unsigned events;
	bool dead;
	loop_fd_fn fn;
	void *ud;
};

struct loop_timer {
	struct loop *loop;
	uint64_t deadline;
	uint64_t repeat;
	uint64_t seq; /* tie-break: equal deadlines fire in creation order */
	size_t heap_index;
	bool in_heap;
	bool firing; /* its callback is running: freed by run_timers, not cancel */
	loop_timer_fn fn;
	void *ud;
};

struct loop_sig {
	int signo;
	loop_signal_fn fn;
	void *ud;
	struct sigaction old;
	bool released; /* old is back in place */
};

struct loop {
	struct loop_watch **watches;
	size_t nwatches, capwatches;
	bool watches_dirty;

	struct loop_timer **heap;
	size_t nheap, capheap;
	uint64_t timer_seq;

	struct loop_sig *sigs;
	size_t nsigs, capsigs;
	struct loop_watch *sigwatch;

	struct pollfd *pfds;
	size_t cappfds;
	bool stopped;
};

/* The write end of the self-pipe; the handler's only state. */
static volatile sig_atomic_t sig_pipe_wr = -1;
static int sig_pipe_rd = -1;

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_new(void)
{
	return xcalloc(1, sizeof(struct loop));
}

/* ---- timers: a binary min-heap keyed on (deadline, seq) ---- */

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_swap(struct loop *l, size_t i, size_t j)
{
	struct loop_timer *t = l->heap[i];

	l->heap[i] = l->heap[j];
	l->heap[j] = t;
	l->heap[i]->heap_index = i;
	l->heap[j]->heap_index = j;
}

static void heap_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(l->heap[i], l->heap[parent]))
			break;
		heap_swap(l, i, parent);
		i = parent;
	}
}

static void heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, min = i;

		if (left < l->nheap && timer_before(l->heap[left], l->heap[min]))
			min = left;
		if (right < l->nheap && timer_before(l->heap[right], l->heap[min]))
			min = right;
		if (min == i)
			break;
		heap_swap(l, i, min);
		i = min;
	}
}

static void heap_insert(struct loop *l, struct loop_timer *t)
{
	l->heap = xgrow(l->heap, &l->capheap, l->nheap + 1, sizeof(*l->heap));
	t->heap_index = l->nheap;
	t->seq = l->timer_seq++;
	t->in_heap = true;
	l->heap[l->nheap++] = t;
	heap_up(l, t->heap_index);
}

static void heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->heap_index;

	t->in_heap = false;
	l->nheap--;
	if (i != l->nheap) {
		l->heap[i] = l->heap[l->nheap];
		l->heap[i]->heap_index = i;
		heap_down(l, i);
		heap_up(l, i);
	}
}

struct loop_timer *loop_timer_add(struct loop *loop, uint64_t delay_ms, uint64_t repeat_ms,
				  loop_timer_fn fn, void *ud)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));

	t->loop = loop;
	t->deadline = loop_now_ms() + delay_ms;
	t->repeat = repeat_ms;
	t->fn = fn;
	t->ud = ud;
	heap_insert(loop, t);
	return t;
}

void loop_timer_reset(struct loop_timer *t, uint64_t delay_ms)
{
	struct loop *l = t->loop;

	if (t->in_heap)
		heap_remove(l, t);
	t->deadline = loop_now_ms() + delay_ms;
	heap_insert(l, t);
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (!t)
		return;
	if (t->in_heap)
		heap_remove(t->loop, t);
	if (!t->firing)
		free(t);
}

static int run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	int ran = 0;

	while (l->nheap > 0 && l->heap[0]->deadline <= now && !l->stopped) {
		struct loop_timer *t = l->heap[0];

		heap_remove(l, t);
		if (t->repeat) {
			/* Re-armed from its deadline so a slow turn does not drift,
			 * but never into the past, which would spin. */
			t->deadline += t->repeat;
			if (t->deadline <= now)
				t->deadline = now + t->repeat;
			heap_insert(l, t);
		}
		/* Kept alive while its callback runs, so the callback may cancel
		 * or re-arm it; freed after unless it is pending again. */
		t->firing = true;
		t->fn(l, t->ud);
		t->firing = false;
		if (!t->in_heap)
			free(t);
		ran++;
	}
	return ran;
}

/* ---- file descriptors ---- */

struct loop_watch *loop_watch_fd(struct loop *loop, int fd, unsigned events, loop_fd_fn fn,
				 void *ud)
{
	struct loop_watch *w = xcalloc(1, sizeof(*w));

	w->loop = loop;
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->ud = ud;
	loop->watches = xgrow(loop->watches, &loop->capwatches, loop->nwatches + 1,
			      sizeof(*loop->watches));
	loop->watches[loop->nwatches++] = w;
	return w;
}

void loop_watch_set_events(struct loop_watch *w, unsigned events)
{
	w->events = events;
}

/* Marked dead here, freed after the dispatch pass that may still hold it. */
void loop_watch_remove(struct loop_watch *w)
{
	if (!w)
		return;
	w->dead = true;
	w->loop->watches_dirty = true;
}

static void sweep_watches(struct loop *l)
{
	size_t j = 0;

	if (!l->watches_dirty)
		return;
	for (size_t i = 0; i < l->nwatches; i++) {
		if (l->watches[i]->dead)
			free(l->watches[i]);
		else
			l->watches[j++] = l->watches[i];
	}
	l->nwatches = j;
	l->watches_dirty = false;
}

/* ---- signals ---- */

static void sig_handler(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;

	if (sig_pipe_wr >= 0)
		(void)!write(sig_pipe_wr, &b, 1);
	errno = saved;
}

static void sig_readable(struct loop *l, int fd, unsigned events, void *ud)
{
	unsigned char bytes[64];
	ssize_t n;

	(void)events;
	(void)ud;
	while ((n = read(fd, bytes, sizeof(bytes))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			for (size_t k = 0; k < l->nsigs; k++) {
				if (l->sigs[k].signo == bytes[i])
					l->sigs[k].fn(l, bytes[i], l->sigs[k].ud);
			}
		}
	}
}

static bool set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
	       fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

bool loop_signal(struct loop *loop, int signo, loop_signal_fn fn, void *ud)
{
	struct sigaction sa;
	struct loop_sig *s;

	if (signo <= 0 || signo > 255)
		return false;
	if (sig_pipe_rd < 0) {
		int p[2];

		if (pipe(p) != 0)
			return false;
		if (!set_nonblock_cloexec(p[0]) || !set_nonblock_cloexec(p[1])) {
			close(p[0]);
			close(p[1]);
			return false;
		}
		sig_pipe_rd = p[0];
		sig_pipe_wr = p[1];
	}
	if (!loop->sigwatch)
		loop->sigwatch = loop_watch_fd(loop, sig_pipe_rd, LOOP_READ, sig_readable, NULL);

	loop->sigs = xgrow(loop->sigs, &loop->capsigs, loop->nsigs + 1, sizeof(*loop->sigs));
	s = &loop->sigs[loop->nsigs];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(signo, &sa, &s->old) != 0)
		return false;
	s->signo = signo;
	s->released = false;
	s->fn = fn;
	s->ud = ud;
	loop->nsigs++;
	return true;
}

/* ---- running ---- */

static int poll_timeout(struct loop *l, int max_wait_ms)
{
	int timeout = max_wait_ms;

	if (l->nheap > 0) {
		uint64_t now = loop_now_ms(), due = l->heap[0]->deadline;
		uint64_t wait = due > now ? due - now : 0;

		if (wait > 60000)
			wait = 60000;
		if (timeout < 0 || (uint64_t)timeout > wait)
			timeout = (int)wait;
	}
	return timeout;
}

int loop_run_once(struct loop *loop, int max_wait_ms)
{
	size_t n;
	int rc, ran = 0;

	sweep_watches(loop);
	n = loop->nwatches;
	loop->pfds = xgrow(loop->pfds, &loop->cappfds, n + 1, sizeof(*loop->pfds));
	for (size_t i = 0; i < n; i++) {
		struct loop_watch *w = loop->watches[i];

		loop->pfds[i].fd = w->events ? w->fd : -1;
		loop->pfds[i].events = (short)(((w->events & LOOP_READ) ? POLLIN : 0) |
					       ((w->events & LOOP_WRITE) ? POLLOUT : 0));
		loop->pfds[i].revents = 0;
	}

	rc = poll(loop->pfds, n, poll_timeout(loop, max_wait_ms));
	if (rc < 0 && errno != EINTR)
		return -1;

	/* Watches added during this pass sit beyond n and wait for the next. */
	for (size_t i = 0; rc > 0 && i < n && !loop->stopped; i++) {
		struct loop_watch *w = loop->watches[i];
		short re = loop->pfds[i].revents;
		unsigned ev = 0;

		if (!re || w->dead)
			continue;
		if (re & POLLIN)
			ev |= LOOP_READ;
		if (re & POLLOUT)
			ev |= LOOP_WRITE;
		if (re & (POLLERR | POLLHUP | POLLNVAL))
			ev |= LOOP_ERROR;
		w->fn(loop, w->fd, ev, w->ud);
		ran++;
	}
	if (!loop->stopped)
		ran += run_timers(loop);
	sweep_watches(loop);
	return ran;
}

void loop_run(struct loop *loop)
{
	loop->stopped = false;
	while (!loop->stopped) {
		if (loop_run_once(loop, -1) < 0)
			fatal("poll: %s", strerror(errno));
	}
}

void loop_stop(struct loop *loop)
{
	loop->stopped = true;
}

bool loop_stopped(const struct loop *loop)
{
	return loop->stopped;
}

bool loop_signal_pending(const struct loop *loop)
{
	struct pollfd p = {.fd = sig_pipe_rd, .events = POLLIN};

	return loop->nsigs && sig_pipe_rd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void loop_signals_release(struct loop *loop)
{
	for (size_t i = 0; i < loop->nsigs; i++)
		if (!loop->sigs[i].released) {
			sigaction(loop->sigs[i].signo, &loop->sigs[i].old, NULL);
			loop->sigs[i].released = true;
		}
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	loop_signals_release(loop);
	if (loop->nsigs && sig_pipe_rd >= 0) {
		int wr = sig_pipe_wr;

		sig_pipe_wr = -1;
		close(wr);
		close(sig_pipe_rd);
		sig_pipe_rd = -1;
	}
	for (size_t i = 0; i < loop->nwatches; i++)
		free(loop->watches[i]);
	for (size_t i = 0; i < loop->nheap; i++)
		free(loop->heap[i]);
	free(loop->watches);
	free(loop->heap);
	free(loop->sigs);
	free(loop->pfds);
	free(loop);
}
