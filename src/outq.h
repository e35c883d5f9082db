/* An output queue: a thread of its own writes buffers to a file
 * descriptor, so that the thread that builds them (an event loop) does not
 * wait on the system's copy of its output, nor on a slow reader, until
 * the queue is full.
 *
 * Contract:
 *  - One producer thread calls every function but outq_error_fd's reader.
 *  - Bytes reach the descriptor in the order they were handed over, with
 *    write(2): whoever else writes to the descriptor (a FILE on it) drains
 *    the queue first, and the FILE is flushed before the queue starts.
 *  - At most depth buffers wait: a hand-over to a full queue waits for the
 *    writer to finish one.
 *  - The first failed write (EPIPE, ENOSPC...) ends the writing: it is kept,
 *    said on outq_error_fd, and what is queued or handed over later is
 *    dropped. SIGPIPE is not blocked on the writer's thread: its default
 *    action ends the process as a write on the producer's thread would. */
#ifndef OPSDECK_SRC_OUTQ_H
#define OPSDECK_SRC_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "util.h"

struct outq;

/* Starts the writer on fd (left open at the end: the caller's); NULL with
 * err set if there is no thread or pipe for it. depth: at least 1. */
struct outq *outq_new(int fd, size_t depth, struct err *err);
/* Hands b's bytes to the writer and leaves b empty: its storage is swapped
 * with a written buffer's, nothing is copied. Waits while depth buffers are
 * queued. False, and b emptied, once a write has failed. */
bool outq_push(struct outq *q, struct buf *b);
enum outq_push { OUTQ_TAKEN, OUTQ_GAVE_WAY, OUTQ_FAILED };
/* outq_push, but while the queue is full give_way(ud) is asked, at once and
 * then every few tens of milliseconds, and when it says true the wait ends:
 * OUTQ_GAVE_WAY, b left as it was (for a loop that must see a signal that
 * came). */
enum outq_push outq_push_or_give_way(struct outq *q, struct buf *b, bool (*give_way)(void *),
				     void *ud);
/* Waits until everything handed over is written; false if a write failed. */
bool outq_drain(struct outq *q);
/* outq_drain, asking give_way as outq_push_or_give_way does: OUTQ_TAKEN
 * once all is written, OUTQ_GAVE_WAY, or OUTQ_FAILED. */
enum outq_push outq_drain_or_give_way(struct outq *q, bool (*give_way)(void *), void *ud);
/* 0, or the errno of the write that failed. */
int outq_error(struct outq *q);
/* Readable once a write has failed (for a loop's watch); never read it. */
int outq_error_fd(const struct outq *q);
/* How many hand-overs found the queue full and waited. */
unsigned long outq_waits(struct outq *q);
/* Writes what is queued (unless a write failed), joins the thread and
 * frees q. NULL is fine. */
void outq_free(struct outq *q);

#endif
