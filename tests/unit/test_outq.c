/* The output queue: bytes come out in the order they went in, across
 * many buffers and through a slow reader; a full queue holds the producer
 * until the reader takes some; a failed write is said and what comes later
 * is dropped; an empty queue drains and ends at once. The descriptors are
 * pipes read by a thread of the test, and /dev/full. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "outq.h"

/* Generous: every wait ends as soon as its condition holds. */
#define DEADLINE_MS 30000

static void pause_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

/* Reads fd to its end into got, chunk bytes at a time, pausing between
 * reads when slow. */
struct reader {
	int fd;
	size_t chunk;
	long pause_us;
	struct buf got;
	pthread_t thread;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char *block = malloc(r->chunk);

	for (;;) {
		ssize_t n = read(r->fd, block, r->chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(&r->got, block, (size_t)n);
		if (r->pause_us)
			pause_us(r->pause_us);
	}
	free(block);
	return NULL;
}

static void reader_start(struct reader *r, int fd, size_t chunk, long pause)
{
	r->fd = fd;
	r->chunk = chunk;
	r->pause_us = pause;
	assert_int_equal(pthread_create(&r->thread, NULL, reader_main, r), 0);
}

static void reader_join(struct reader *r)
{
	assert_int_equal(pthread_join(r->thread, NULL), 0);
	close(r->fd);
}

/* Buffer i's text: numbered lines, some buffers much larger than a pipe. */
static void fill(struct buf *b, unsigned i)
{
	unsigned lines = i % 7 == 0 ? 2000 : 1 + i % 13;

	for (unsigned k = 0; k < lines; k++)
		buf_printf(b, "buffer %u line %u\n", i, k);
}

/* Pushes n numbered buffers through q, keeping what they held in want. */
static void push_numbered(struct outq *q, unsigned n, struct buf *want)
{
	struct buf b = BUF_INIT;

	for (unsigned i = 0; i < n; i++) {
		fill(&b, i);
		buf_append(want, b.data, b.len);
		assert_true(outq_push(q, &b));
		assert_int_equal(b.len, 0);
	}
	buf_free(&b);
}

static void assert_same(const struct buf *got, const struct buf *want)
{
	assert_int_equal(got->len, want->len);
	assert_memory_equal(buf_str(got), buf_str(want), want->len);
}

static struct outq *queue_on(int fd, size_t depth)
{
	struct err err = {{0}};
	struct outq *q = outq_new(fd, depth, &err);

	if (!q)
		fail_msg("%s", err.msg);
	return q;
}

/* Frees q (which writes what is queued), ends the pipe and checks that
 * its reader got want, to the byte. */
static void free_and_compare(struct outq *q, int wr, struct reader *r, struct buf *want)
{
	outq_free(q);
	close(wr);
	reader_join(r);
	assert_same(&r->got, want);
	buf_free(&r->got);
	buf_free(want);
}

/* n numbered buffers through a queue of depth to a pipe (of pipe_size
 * bytes; 0: the system's) read chunk bytes at a time with pause us
 * between reads: drained (or left for outq_free to write), every byte
 * arrives in order. */
static void numbered_through_pipe(size_t pipe_size, size_t chunk, long pause, size_t depth,
				  unsigned n, bool drain)
{
	int p[2];
	struct reader r = {.got = BUF_INIT};
	struct buf want = BUF_INIT;
	struct outq *q;

	assert_int_equal(pipe(p), 0);
	if (pipe_size)
		(void)fcntl(p[1], F_SETPIPE_SZ, (int)pipe_size);
	reader_start(&r, p[0], chunk, pause);
	q = queue_on(p[1], depth);
	push_numbered(q, n, &want);
	if (drain) {
		assert_true(outq_drain(q));
		assert_int_equal(outq_error(q), 0);
	}
	free_and_compare(q, p[1], &r, &want);
}

static void test_order_across_buffers(void **state)
{
	(void)state;
	numbered_through_pipe(0, 65536, 0, 3, 3000, true);
}

struct producer {
	struct outq *q;
	unsigned n;
	struct buf want;
	atomic_bool done;
	pthread_t thread;
};

static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	struct buf b = BUF_INIT;

	for (unsigned i = 0; i < pr->n; i++) {
		/* 64 KiB each: the first fills the pipe */
		while (b.len < 65536)
			buf_printf(&b, "buffer %u at %zu\n", i, b.len);
		buf_append(&pr->want, b.data, b.len);
		if (!outq_push(pr->q, &b))
			break;
	}
	buf_free(&b);
	atomic_store(&pr->done, true);
	return NULL;
}

static void test_full_queue_waits(void **state)
{
	int p[2];
	struct reader r = {.got = BUF_INIT};
	struct producer pr = {.n = 12, .want = BUF_INIT};
	int waited = 0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	/* 64 KiB, whatever the page size makes a pipe's default */
	(void)fcntl(p[1], F_SETPIPE_SZ, 65536);
	pr.q = queue_on(p[1], 2);
	assert_int_equal(pthread_create(&pr.thread, NULL, producer_main, &pr), 0);
	/* nothing reads: the writer stops on the full pipe, two buffers queue,
	 * and the next hand-over waits */
	while (outq_waits(pr.q) == 0 && waited < DEADLINE_MS) {
		pause_us(1000);
		waited++;
	}
	assert_int_equal(outq_waits(pr.q), 1);
	assert_false(atomic_load(&pr.done));
	/* a reader makes room: the producer goes on to its end */
	reader_start(&r, p[0], 4096, 0);
	assert_int_equal(pthread_join(pr.thread, NULL), 0);
	assert_true(atomic_load(&pr.done));
	assert_true(outq_drain(pr.q));
	assert_true(outq_waits(pr.q) >= 1);
	free_and_compare(pr.q, p[1], &r, &pr.want);
}

static void wait_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1);
}

/* A write fails on fd: the failure is said, and later hand-overs are
 * refused with their bytes dropped. */
static void check_failure(int fd, int error)
{
	struct outq *q = queue_on(fd, 2);
	struct buf b = BUF_INIT;

	buf_puts(&b, "a line\n");
	assert_true(outq_push(q, &b));
	wait_readable(outq_error_fd(q));
	assert_int_equal(outq_error(q), error);
	buf_puts(&b, "another line\n");
	assert_false(outq_push(q, &b));
	assert_int_equal(b.len, 0);
	assert_false(outq_drain(q));
	/* refused many times over without waiting on the full queue */
	for (int i = 0; i < 10; i++) {
		buf_puts(&b, "more\n");
		assert_false(outq_push(q, &b));
	}
	assert_int_equal(outq_waits(q), 0);
	outq_free(q);
	buf_free(&b);
}

static void test_write_error_reader_gone(void **state)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	int p[2];

	(void)state;
	/* as under a parent that ignores SIGPIPE: the write says EPIPE */
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	check_failure(p[1], EPIPE);
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);
}

static void test_write_error_disk_full(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	check_failure(fd, ENOSPC);
	close(fd);
}

/* Queued buffers after a failure are dropped, not written; drain ends. */
static void test_error_drops_queued(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	struct outq *q;
	struct buf b = BUF_INIT;
	unsigned refused = 0;

	(void)state;
	assert_true(fd >= 0);
	q = queue_on(fd, 4);
	for (unsigned i = 0; i < 200; i++) {
		fill(&b, i);
		if (!outq_push(q, &b))
			refused++;
		assert_int_equal(b.len, 0);
	}
	assert_false(outq_drain(q));
	assert_int_equal(outq_error(q), ENOSPC);
	assert_true(refused > 0);
	outq_free(q);
	buf_free(&b);
	close(fd);
}

static void test_nothing_queued(void **state)
{
	int p[2];
	struct buf b = BUF_INIT;
	struct outq *q;
	struct pollfd pfd;
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	/* started and ended with nothing handed over */
	outq_free(queue_on(p[1], 1));
	outq_free(NULL);
	/* an empty hand-over and drains write nothing */
	q = queue_on(p[1], 1);
	assert_true(outq_drain(q));
	assert_true(outq_push(q, &b));
	assert_true(outq_drain(q));
	assert_true(outq_drain(q));
	assert_int_equal(outq_error(q), 0);
	outq_free(q);
	close(p[1]);
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1);
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
	buf_free(&b);
}

/* What is queued at the end is written before the queue is freed. */
static void test_free_writes_the_rest(void **state)
{
	(void)state;
	numbered_through_pipe(0, 1024, 0, 4, 50, false);
}

static bool give_way_third(void *ud)
{
	int *asked = ud;

	return ++*asked >= 3;
}

static bool never_give_way(void *ud)
{
	(void)ud;
	return false;
}

static bool always_give_way(void *ud)
{
	(void)ud;
	return true;
}

/* A full queue's wait asks whether to give way, and when told to, ends
 * with the buffer left as it was; handed over again later, it goes out in
 * its place. */
static void test_give_way(void **state)
{
	int p[2], asked = 0;
	struct reader r = {.got = BUF_INIT};
	struct buf b = BUF_INIT, want = BUF_INIT;
	struct outq *q;
	size_t len;

	(void)state;
	assert_int_equal(pipe(p), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	q = queue_on(p[1], 1);
	/* the first fills the pipe (a page or 64 KiB, as the system rounds it)
	 * and is still being written: the queue is full */
	for (int i = 0; i < 40; i++)
		fill(&b, 7);
	buf_append(&want, b.data, b.len);
	assert_int_equal(outq_push_or_give_way(q, &b, never_give_way, NULL), OUTQ_TAKEN);
	fill(&b, 14);
	len = b.len;
	assert_int_equal(outq_push_or_give_way(q, &b, give_way_third, &asked), OUTQ_GAVE_WAY);
	assert_int_equal(asked, 3);
	assert_int_equal(b.len, len);
	assert_int_equal(outq_waits(q), 1);
	/* so does a drain, the first still being written */
	assert_int_equal(outq_drain_or_give_way(q, always_give_way, NULL), OUTQ_GAVE_WAY);
	/* a reader comes: the same buffer goes out after the first */
	buf_append(&want, b.data, b.len);
	reader_start(&r, p[0], 4096, 0);
	assert_int_equal(outq_push_or_give_way(q, &b, never_give_way, NULL), OUTQ_TAKEN);
	assert_int_equal(b.len, 0);
	assert_int_equal(outq_drain_or_give_way(q, never_give_way, NULL), OUTQ_TAKEN);
	free_and_compare(q, p[1], &r, &want);
	buf_free(&b);
}

static void test_slow_reader_loses_nothing(void **state)
{
	(void)state;
	/* a small pipe, read a little at a time, with pauses */
	numbered_through_pipe(4096, 512, 100, 2, 60, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_across_buffers),
	    cmocka_unit_test(test_full_queue_waits),
	    cmocka_unit_test(test_write_error_reader_gone),
	    cmocka_unit_test(test_write_error_disk_full),
	    cmocka_unit_test(test_error_drops_queued),
	    cmocka_unit_test(test_nothing_queued),
	    cmocka_unit_test(test_free_writes_the_rest),
	    cmocka_unit_test(test_slow_reader_loses_nothing),
	    cmocka_unit_test(test_give_way),
	};

	return cmocka_run_group_tests_name("outq", tests, NULL, NULL);
}
