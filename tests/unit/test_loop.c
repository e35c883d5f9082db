#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "util.h"

/* Generous: a loaded machine may be slow, and every wait ends as soon as
 * its condition holds. */
#define DEADLINE_MS 20000

/* Runs the loop until *flag is set or the deadline passes. */
static void run_until(struct loop *l, const int *flag, int want)
{
	uint64_t end = loop_now_ms() + DEADLINE_MS;

	while (*flag < want && loop_now_ms() < end)
		assert_true(loop_run_once(l, 10) >= 0);
}

static void make_pipe(int p[2])
{
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
}

/* ---- file descriptors ---- */

struct fdrec {
	int calls;
	int fd;
	unsigned events;
	char data[16];
	struct loop_watch *remove_other;
	struct loop_watch *self;
	bool remove_self;
};

static void on_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	struct fdrec *r = ud;
	ssize_t n;

	(void)l;
	r->calls++;
	r->fd = fd;
	r->events = events;
	if (events & LOOP_READ) {
		n = read(fd, r->data, sizeof(r->data) - 1);
		if (n >= 0)
			r->data[n] = '\0';
	}
	if (r->remove_other) {
		loop_watch_remove(r->remove_other);
		r->remove_other = NULL;
	}
	if (r->remove_self)
		loop_watch_remove(r->self);
}

static void test_fd_read_write(void **state)
{
	struct loop *l = loop_new();
	struct fdrec rd = { 0 }, wr = { 0 };
	struct loop_watch *wr_watch;
	int p[2];

	(void)state;
	make_pipe(p);
	loop_watch_fd(l, p[0], LOOP_READ, on_fd, &rd);
	/* Nothing to read yet: a zero wait runs nothing. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(rd.calls, 0);

	assert_int_equal(write(p[1], "ping", 4), 4);
	run_until(l, &rd.calls, 1);
	assert_int_equal(rd.calls, 1);
	assert_int_equal(rd.fd, p[0]);
	assert_true(rd.events & LOOP_READ);
	assert_string_equal(rd.data, "ping");

	/* A pipe's write end is writable at once. */
	wr_watch = loop_watch_fd(l, p[1], LOOP_WRITE, on_fd, &wr);
	run_until(l, &wr.calls, 1);
	assert_int_equal(wr.fd, p[1]);
	assert_true(wr.events & LOOP_WRITE);
	assert_false(wr.events & LOOP_READ);
	/* With no events asked for, the watch sleeps. */
	loop_watch_set_events(wr_watch, 0);
	wr.calls = 0;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(wr.calls, 0);
	loop_watch_set_events(wr_watch, LOOP_WRITE);
	assert_int_equal(loop_run_once(l, 0), 1);
	assert_int_equal(wr.calls, 1);
	loop_watch_remove(wr_watch);

	/* The other end closing is reported as an error event. */
	close(p[1]);
	rd.calls = 0;
	run_until(l, &rd.calls, 1);
	assert_true(rd.events & LOOP_ERROR);
	loop_free(l);
	close(p[0]);
}

static void test_watch_removed_in_callback(void **state)
{
	struct loop *l = loop_new();
	struct fdrec a = { 0 }, b = { 0 };
	int pa[2], pb[2];

	(void)state;
	make_pipe(pa);
	make_pipe(pb);
	a.self = loop_watch_fd(l, pa[0], LOOP_READ, on_fd, &a);
	b.self = loop_watch_fd(l, pb[0], LOOP_READ, on_fd, &b);
	/* Both ready in the same turn; a's callback removes b and itself. */
	a.remove_other = b.self;
	a.remove_self = true;
	assert_int_equal(write(pa[1], "a", 1), 1);
	assert_int_equal(write(pb[1], "b", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	/* Neither comes back, though both have data. */
	assert_int_equal(write(pa[1], "a", 1), 1);
	assert_int_equal(loop_run_once(l, 20), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	loop_free(l);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
}

struct adder {
	int calls;
	int fd;
	struct fdrec *added;
};

static void on_fd_add(struct loop *l, int fd, unsigned events, void *ud)
{
	struct adder *ad = ud;
	char c;

	(void)events;
	ad->calls++;
	(void)!read(fd, &c, 1);
	if (ad->calls == 1)
		loop_watch_fd(l, ad->fd, LOOP_READ, on_fd, ad->added);
}

static void test_watch_added_in_callback(void **state)
{
	struct loop *l = loop_new();
	struct fdrec added = { 0 };
	struct adder ad = { 0 };
	int p[2], q[2];

	(void)state;
	make_pipe(p);
	make_pipe(q);
	ad.fd = q[0];
	ad.added = &added;
	loop_watch_fd(l, p[0], LOOP_READ, on_fd_add, &ad);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "y", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(ad.calls, 1);
	/* The new watch waits for the next turn. */
	assert_int_equal(added.calls, 0);
	run_until(l, &added.calls, 1);
	assert_string_equal(added.data, "y");
	loop_free(l);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/* ---- timers ---- */

struct trec {
	int order[16];
	int n;
	uint64_t fired_at[16];
};

struct tctx {
	struct trec *rec;
	int id;
	int calls;
	int cancel_after; /* repeat timers: cancel self after this many calls */
	struct loop_timer *self;
	struct loop_timer *cancel_other;
	struct loop_timer *reset_other;
	uint64_t reset_ms;
	bool stop;
	int stop_after; /* stop the loop at this many calls */
};

static void on_timer(struct loop *l, void *ud)
{
	struct tctx *t = ud;

	t->calls++;
	if (t->rec->n < 16) {
		t->rec->fired_at[t->rec->n] = loop_now_ms();
		t->rec->order[t->rec->n++] = t->id;
	}
	if (t->cancel_other) {
		loop_timer_cancel(t->cancel_other);
		t->cancel_other = NULL;
	}
	if (t->reset_other) {
		loop_timer_reset(t->reset_other, t->reset_ms);
		t->reset_other = NULL;
	}
	if (t->cancel_after && t->calls == t->cancel_after)
		loop_timer_cancel(t->self);
	if (t->stop || (t->stop_after && t->calls == t->stop_after))
		loop_stop(l);
}

static void test_timers_fire_in_deadline_order(void **state)
{
	struct loop *l = loop_new();
	struct trec rec = { 0 };
	struct tctx t30 = { .rec = &rec, .id = 30 }, t10 = { .rec = &rec, .id = 10 };
	struct tctx t20 = { .rec = &rec, .id = 20 };
	struct tctx e1 = { .rec = &rec, .id = 1 }, e2 = { .rec = &rec, .id = 2 };
	struct tctx e3 = { .rec = &rec, .id = 3 };
	uint64_t start = loop_now_ms();

	(void)state;
	loop_timer_add(l, 30, 0, on_timer, &t30);
	loop_timer_add(l, 10, 0, on_timer, &t10);
	loop_timer_add(l, 20, 0, on_timer, &t20);
	run_until(l, &rec.n, 3);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.order[0], 10);
	assert_int_equal(rec.order[1], 20);
	assert_int_equal(rec.order[2], 30);
	/* Never early. */
	assert_true(rec.fired_at[0] >= start + 10);
	assert_true(rec.fired_at[1] >= start + 20);
	assert_true(rec.fired_at[2] >= start + 30);

	/* Equal deadlines fire in the order they were added. */
	rec.n = 0;
	loop_timer_add(l, 0, 0, on_timer, &e1);
	loop_timer_add(l, 0, 0, on_timer, &e2);
	loop_timer_add(l, 0, 0, on_timer, &e3);
	run_until(l, &rec.n, 3);
	assert_int_equal(rec.order[0], 1);
	assert_int_equal(rec.order[1], 2);
	assert_int_equal(rec.order[2], 3);
	/* One-shot timers are gone: nothing fires again. */
	assert_int_equal(loop_run_once(l, 30), 0);
	assert_int_equal(rec.n, 3);
	loop_free(l);
}

static void test_repeat_and_cancel_from_callback(void **state)
{
	struct loop *l = loop_new();
	struct trec rec = { 0 };
	struct tctx rep = { .rec = &rec, .id = 7 };
	uint64_t start = loop_now_ms();

	(void)state;
	rep.cancel_after = 3;
	rep.self = loop_timer_add(l, 5, 5, on_timer, &rep);
	run_until(l, &rep.calls, 3);
	assert_int_equal(rep.calls, 3);
	assert_true(rec.fired_at[2] >= start + 15);
	/* It cancelled itself inside its third call: no fourth. */
	for (int i = 0; i < 4; i++)
		loop_run_once(l, 10);
	assert_int_equal(rep.calls, 3);
	loop_free(l);
}

static void test_cancel_other_from_callback(void **state)
{
	struct loop *l = loop_new();
	struct trec rec = { 0 };
	struct tctx a = { .rec = &rec, .id = 1 }, b = { .rec = &rec, .id = 2 };
	struct tctx c = { .rec = &rec, .id = 3 };

	(void)state;
	/* a and b fall due in the same turn; a cancels b before it runs. */
	loop_timer_add(l, 5, 0, on_timer, &a);
	a.cancel_other = loop_timer_add(l, 5, 0, on_timer, &b);
	loop_timer_add(l, 15, 0, on_timer, &c);
	run_until(l, &c.calls, 1);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.order[1], 3);
	/* Cancelling a timer that never ran, and NULL, are fine. */
	loop_timer_cancel(loop_timer_add(l, 1000, 0, on_timer, &b));
	loop_timer_cancel(NULL);
	assert_int_equal(loop_run_once(l, 0), 0);
	loop_free(l);
}

static void test_timer_reset(void **state)
{
	struct loop *l = loop_new();
	struct trec rec = { 0 };
	struct tctx a = { .rec = &rec, .id = 1 }, b = { .rec = &rec, .id = 2 };
	struct tctx c = { .rec = &rec, .id = 3 };
	uint64_t start = loop_now_ms();
	struct loop_timer *ta;

	(void)state;
	ta = loop_timer_add(l, 10, 0, on_timer, &a);
	loop_timer_reset(ta, 60);
	loop_timer_add(l, 20, 0, on_timer, &b);
	run_until(l, &a.calls, 1);
	/* b, once earlier than a, now fires first; a not before its new deadline. */
	assert_int_equal(rec.order[0], 2);
	assert_int_equal(rec.order[1], 1);
	assert_true(rec.fired_at[1] >= start + 60);

	/* Reset from inside another timer's callback. */
	rec.n = 0;
	start = loop_now_ms();
	c.reset_other = loop_timer_add(l, 10, 0, on_timer, &a);
	c.reset_ms = 40;
	loop_timer_add(l, 5, 0, on_timer, &c);
	a.calls = 0;
	run_until(l, &a.calls, 1);
	assert_int_equal(rec.order[0], 3);
	assert_int_equal(rec.order[1], 1);
	assert_true(rec.fired_at[1] >= rec.fired_at[0] + 40);
	loop_free(l);
}

/* A one-shot timer may cancel itself, or re-arm itself, from its callback. */
static void test_one_shot_cancel_and_reset_self(void **state)
{
	struct loop *l = loop_new();
	struct trec rec = { 0 };
	struct tctx c = { .rec = &rec, .id = 1, .cancel_after = 1 };
	struct tctx r = { .rec = &rec, .id = 2 };
	uint64_t deadline;

	(void)state;
	c.self = loop_timer_add(l, 0, 0, on_timer, &c);
	r.self = loop_timer_add(l, 0, 0, on_timer, &r);
	r.reset_other = r.self; /* re-arms itself once, 5 ms later */
	r.reset_ms = 5;
	deadline = loop_now_ms() + 3000;
	while ((c.calls < 1 || r.calls < 2) && loop_now_ms() < deadline)
		loop_run_once(l, 10);
	assert_int_equal(c.calls, 1);
	assert_int_equal(r.calls, 2);
	/* Nothing stays armed: a further turn runs nothing. */
	assert_int_equal(loop_run_once(l, 20), 0);
	loop_free(l);
}

static void test_run_and_stop(void **state)
{
	struct loop *l = loop_new();
	struct trec rec = { 0 };
	struct tctx tick = { .rec = &rec, .id = 1, .stop_after = 3 };

	(void)state;
	/* a repeating timer that stops the loop at its third call: the loop
	 * runs timers again and again until then, however slow the machine */
	tick.self = loop_timer_add(l, 1, 2, on_timer, &tick);
	assert_false(loop_stopped(l));
	loop_run(l); /* returns once tick's callback calls loop_stop() */
	assert_true(loop_stopped(l));
	assert_int_equal(tick.calls, 3);
	/* A stopped loop runs nothing more in run_once. */
	tick.calls = 0;
	loop_run_once(l, 10);
	assert_int_equal(tick.calls, 0);
	loop_free(l);
}

static void test_wait_bounded_by_timer(void **state)
{
	struct loop *l = loop_new();
	struct trec rec = { 0 };
	struct tctx a = { .rec = &rec, .id = 1 };
	int ran;

	(void)state;
	loop_timer_add(l, 15, 0, on_timer, &a);
	/* -1 would wait for ever, but the timer bounds the wait. */
	ran = loop_run_once(l, -1);
	if (ran == 0)
		ran = loop_run_once(l, -1); /* woke a millisecond early */
	assert_int_equal(ran, 1);
	assert_int_equal(a.calls, 1); /* the timer ended the wait */
	loop_free(l);
}

/* ---- signals ---- */

struct srec {
	int calls;
	int signo;
};

static void on_signal(struct loop *l, int signo, void *ud)
{
	struct srec *s = ud;

	(void)l;
	s->calls++;
	s->signo = signo;
}

static void test_signals_through_the_loop(void **state)
{
	struct loop *l = loop_new();
	struct srec u1 = { 0 }, u2 = { 0 };
	struct sigaction sa;

	(void)state;
	assert_true(loop_signal(l, SIGUSR1, on_signal, &u1));
	assert_true(loop_signal(l, SIGUSR2, on_signal, &u2));
	assert_false(loop_signal(l, 0, on_signal, &u2));
	assert_false(loop_signal(l, 300, on_signal, &u2));
	/* The handler only writes to the pipe: nothing runs until the loop turns. */
	assert_false(loop_signal_pending(l));
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(u1.calls, 0);
	assert_true(loop_signal_pending(l));
	run_until(l, &u1.calls, 1);
	assert_false(loop_signal_pending(l));
	assert_int_equal(u1.calls, 1);
	assert_int_equal(u1.signo, SIGUSR1);
	assert_int_equal(u2.calls, 0);

	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	run_until(l, &u2.calls, 1);
	run_until(l, &u1.calls, 2);
	assert_int_equal(u2.signo, SIGUSR2);
	assert_int_equal(u1.calls, 2);
	loop_free(l);

	/* Freeing the loop puts the old dispositions back. */
	assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
	assert_int_equal(sigaction(SIGUSR2, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
}

/* Released early, the old disposition is back while the loop lives on, and
 * loop_free leaves it so (an ignored signal stays ignored). */
static void test_signals_released_before_free(void **state)
{
	struct loop *l = loop_new();
	struct srec s = { 0 };
	struct sigaction sa, ign;

	(void)state;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGUSR2, &ign, NULL), 0);
	assert_true(loop_signal(l, SIGUSR1, on_signal, &s));
	assert_true(loop_signal(l, SIGUSR2, on_signal, &s));
	assert_int_equal(sigaction(SIGUSR2, NULL, &sa), 0);
	assert_true(sa.sa_handler != SIG_IGN);
	loop_signals_release(l);
	assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
	assert_int_equal(sigaction(SIGUSR2, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
	/* ignored now: the loop does not see it */
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 0);
	/* a disposition set after the release is the caller's: free keeps it */
	assert_int_equal(sigaction(SIGUSR1, &ign, NULL), 0);
	loop_signals_release(l);
	loop_free(l);
	assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
	ign.sa_handler = SIG_DFL;
	assert_int_equal(sigaction(SIGUSR1, &ign, NULL), 0);
	assert_int_equal(sigaction(SIGUSR2, &ign, NULL), 0);
}

static void test_signals_again_after_free(void **state)
{
	struct loop *l = loop_new();
	struct srec s = { 0 };

	(void)state;
	/* A second loop in the same process hooks signals afresh. */
	assert_true(loop_signal(l, SIGUSR1, on_signal, &s));
	assert_int_equal(raise(SIGUSR1), 0);
	run_until(l, &s.calls, 1);
	assert_int_equal(s.calls, 1);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_read_write),
		cmocka_unit_test(test_watch_removed_in_callback),
		cmocka_unit_test(test_watch_added_in_callback),
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_repeat_and_cancel_from_callback),
		cmocka_unit_test(test_cancel_other_from_callback),
		cmocka_unit_test(test_timer_reset),
		cmocka_unit_test(test_one_shot_cancel_and_reset_self),
		cmocka_unit_test(test_run_and_stop),
		cmocka_unit_test(test_wait_bounded_by_timer),
		cmocka_unit_test(test_signals_through_the_loop),
		cmocka_unit_test(test_signals_released_before_free),
		cmocka_unit_test(test_signals_again_after_free),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
