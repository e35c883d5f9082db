#include "config.h"

#include "outq.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct outq {
	int fd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t queued; /* for the writer: a buffer handed over, or the end */
	pthread_cond_t room;   /* for the producer: a buffer written (or dropped) */
	/* slots[head] is being written, the count - 1 after it wait; the other
	 * slots are empty buffers that keep their storage for the next swap */
	struct buf *slots;
	size_t depth, head, count;
	bool closing;
	int error;	   /* errno of the write that failed; 0 */
	int error_pipe[2]; /* a byte once error is set */
	unsigned long waits;
};

/* All of p to fd; false with *error set. A descriptor left non-blocking by
 * whoever shares it is waited on rather than taken for a failure. */
static bool write_all(int fd, const char *p, size_t len, int *error)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				*error = errno;
				return false;
			}
			continue;
		}
		if (n <= 0) {
			*error = n < 0 ? errno : EIO;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void *writer_main(void *arg)
{
	struct outq *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct buf *b;
		int error = 0;

		while (!q->count && !q->closing)
			pthread_cond_wait(&q->queued, &q->lock);
		if (!q->count)
			break;
		/* the producer leaves slots[head] alone while it is counted */
		b = &q->slots[q->head];
		if (!q->error) {
			pthread_mutex_unlock(&q->lock);
			write_all(q->fd, b->data, b->len, &error);
			pthread_mutex_lock(&q->lock);
		}
		if (error && !q->error) {
			ssize_t w;

			q->error = error;
			do
				w = write(q->error_pipe[1], "!", 1);
			while (w < 0 && errno == EINTR);
		}
		buf_reset(b);
		q->head = (q->head + 1) % q->depth;
		q->count--;
		pthread_cond_signal(&q->room);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct outq *outq_new(int fd, size_t depth, struct err *err)
{
	struct outq *q = xcalloc(1, sizeof(*q));
	sigset_t quiet, old;
	pthread_condattr_t attr;
	int rc;

	q->fd = fd;
	q->depth = depth ? depth : 1;
	q->slots = xcalloc(q->depth, sizeof(*q->slots));
	if (pipe2(q->error_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		err_set(err, "output queue: pipe: %s", strerror(errno));
		free(q->slots);
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->queued, NULL);
	/* timed waits for room count on the monotonic clock */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->room, &attr);
	pthread_condattr_destroy(&attr);
	/* Signals are the producer's thread's to take (its loop's handlers,
	 * and no EINTR here); those a write raises (a pipe without a reader, a
	 * file past its size limit, a background job's terminal) and a fault's
	 * stay as they are: they act as on a write of the producer's. */
	sigfillset(&quiet);
	sigdelset(&quiet, SIGPIPE);
	sigdelset(&quiet, SIGXFSZ);
	sigdelset(&quiet, SIGTTOU);
	sigdelset(&quiet, SIGSEGV);
	sigdelset(&quiet, SIGBUS);
	sigdelset(&quiet, SIGFPE);
	sigdelset(&quiet, SIGILL);
	sigdelset(&quiet, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &quiet, &old);
	rc = pthread_create(&q->thread, NULL, writer_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		err_set(err, "output queue: no thread: %s", strerror(rc));
		pthread_cond_destroy(&q->room);
		pthread_cond_destroy(&q->queued);
		pthread_mutex_destroy(&q->lock);
		close(q->error_pipe[0]);
		close(q->error_pipe[1]);
		free(q->slots);
		free(q);
		return NULL;
	}
	return q;
}

/* How often a wait for the writer asks whether to give way. */
#define GIVE_WAY_MS 50

/* Waits until at most most buffers are queued (or a write failed), asking
 * give_way first and then every GIVE_WAY_MS; false if it said to stop
 * waiting. The lock is held but while waiting and asking. */
static bool wait_for_writer(struct outq *q, size_t most, bool (*give_way)(void *), void *ud)
{
	while (q->count > most && !q->error) {
		struct timespec until;
		bool stop;

		if (!give_way) {
			pthread_cond_wait(&q->room, &q->lock);
			continue;
		}
		pthread_mutex_unlock(&q->lock);
		stop = give_way(ud);
		pthread_mutex_lock(&q->lock);
		if (stop)
			return q->count <= most || q->error;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += GIVE_WAY_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&q->room, &q->lock, &until);
	}
	return true;
}

enum outq_push outq_push_or_give_way(struct outq *q, struct buf *b, bool (*give_way)(void *),
				     void *ud)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	if (b->len && q->count == q->depth && !q->error) {
		q->waits++;
		if (!wait_for_writer(q, q->depth - 1, give_way, ud)) {
			pthread_mutex_unlock(&q->lock);
			return OUTQ_GAVE_WAY;
		}
	}
	ok = !q->error;
	if (ok && b->len) {
		struct buf *slot = &q->slots[(q->head + q->count) % q->depth];
		struct buf written = *slot;

		*slot = *b;
		*b = written;
		q->count++;
		pthread_cond_signal(&q->queued);
	}
	pthread_mutex_unlock(&q->lock);
	buf_reset(b);
	return ok ? OUTQ_TAKEN : OUTQ_FAILED;
}

bool outq_push(struct outq *q, struct buf *b)
{
	return outq_push_or_give_way(q, b, NULL, NULL) == OUTQ_TAKEN;
}

enum outq_push outq_drain_or_give_way(struct outq *q, bool (*give_way)(void *), void *ud)
{
	enum outq_push res;

	pthread_mutex_lock(&q->lock);
	if (!wait_for_writer(q, 0, give_way, ud))
		res = OUTQ_GAVE_WAY;
	else
		res = q->error ? OUTQ_FAILED : OUTQ_TAKEN;
	pthread_mutex_unlock(&q->lock);
	return res;
}

bool outq_drain(struct outq *q)
{
	return outq_drain_or_give_way(q, NULL, NULL) == OUTQ_TAKEN;
}

int outq_error(struct outq *q)
{
	int error;

	pthread_mutex_lock(&q->lock);
	error = q->error;
	pthread_mutex_unlock(&q->lock);
	return error;
}

int outq_error_fd(const struct outq *q)
{
	return q->error_pipe[0];
}

unsigned long outq_waits(struct outq *q)
{
	unsigned long n;

	pthread_mutex_lock(&q->lock);
	n = q->waits;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void outq_free(struct outq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->closing = true;
	pthread_cond_signal(&q->queued);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->queued);
	pthread_mutex_destroy(&q->lock);
	close(q->error_pipe[0]);
	close(q->error_pipe[1]);
	for (size_t i = 0; i < q->depth; i++)
		buf_free(&q->slots[i]);
	free(q->slots);
	free(q);
}
