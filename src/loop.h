/* The event loop: one poll() over registered file descriptors, monotonic
 * timers and signals delivered through a self-pipe.
 *
 * Contract:
 *  - Callbacks run on the loop's thread, one at a time. Any callback may add
 *    or remove watchers and timers, including the one running.
 *  - Timers fire no earlier than their deadline, in deadline order; a timer
 *    with a repeat interval is re-armed before its callback runs. A one-shot
 *    timer is freed after its callback unless the callback re-armed it with
 *    loop_timer_reset(); a callback may cancel or reset its own timer.
 *  - Signals are caught by a handler that only writes the signal number to a
 *    pipe; callbacks run later from the loop, where any code is safe. Only one
 *    loop per process may own signals.
 *  - Nothing here blocks except poll() itself, bounded by the next timer. */
#ifndef OPSDECK_SRC_LOOP_H
#define OPSDECK_SRC_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_watch;
struct loop_timer;

enum {
	LOOP_READ = 1 << 0,
	LOOP_WRITE = 1 << 1,
	LOOP_ERROR = 1 << 2, /* POLLERR/POLLHUP/POLLNVAL: reported, never requested */
};

typedef void (*loop_fd_fn)(struct loop *loop, int fd, unsigned events, void *ud);
typedef void (*loop_timer_fn)(struct loop *loop, void *ud);
typedef void (*loop_signal_fn)(struct loop *loop, int signo, void *ud);

struct loop *loop_new(void);
/* Frees the loop, its watchers and timers, and restores signal dispositions. */
void loop_free(struct loop *loop);

struct loop_watch *loop_watch_fd(struct loop *loop, int fd, unsigned events, loop_fd_fn fn,
				 void *ud);
void loop_watch_set_events(struct loop_watch *w, unsigned events);
void loop_watch_remove(struct loop_watch *w);

/* Runs fn after delay_ms, then every repeat_ms if that is non-zero. */
struct loop_timer *loop_timer_add(struct loop *loop, uint64_t delay_ms, uint64_t repeat_ms,
				  loop_timer_fn fn, void *ud);
/* Moves a pending timer's deadline to now + delay_ms. */
void loop_timer_reset(struct loop_timer *t, uint64_t delay_ms);
void loop_timer_cancel(struct loop_timer *t);

/* Routes signo to fn; returns false if the signal could not be hooked. */
bool loop_signal(struct loop *loop, int signo, loop_signal_fn fn, void *ud);
/* A routed signal came that the loop has not run yet: for a callback that
 * waits on something else (a full output queue) and must give way to it. */
bool loop_signal_pending(const struct loop *loop);
/* Gives every signal routed to the loop its disposition from before, now
 * rather than at loop_free: for what runs after the loop that a second
 * Ctrl-C must be able to end. */
void loop_signals_release(struct loop *loop);

/* Milliseconds on the monotonic clock. */
uint64_t loop_now_ms(void);

/* Waits at most max_wait_ms (-1: until the next timer or event) and runs
 * whatever is ready. Returns the number of callbacks run, -1 on a poll error. */
int loop_run_once(struct loop *loop, int max_wait_ms);
/* Runs until loop_stop(). */
void loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
bool loop_stopped(const struct loop *loop);

#endif
