#include "config.h"

#include "message.h"

#include <stdio.h>
#include <stdlib.h>

struct message {
	char text[512];
	enum message_prio prio;
	bool error;
	const void *owner;
	uint64_t at_ms;
};

struct message_line {
	struct loop *loop;
	void (*changed)(void *ud);
	void *ud;
	struct message shown, waiting;
	struct loop_timer *fade, *due;
};

struct message_line *message_line_new(struct loop *loop, void (*changed)(void *ud), void *ud)
{
	struct message_line *m = xcalloc(1, sizeof(*m));

	m->loop = loop;
	m->changed = changed;
	m->ud = ud;
	return m;
}

void message_line_free(struct message_line *m)
{
	if (!m)
		return;
	loop_timer_cancel(m->fade);
	loop_timer_cancel(m->due);
	free(m);
}

static void faded(struct loop *loop, void *ud)
{
	struct message_line *m = ud;

	(void)loop;
	m->fade = NULL;
	m->shown.text[0] = '\0';
	m->changed(m->ud);
}

static void show(struct message_line *m, const struct message *msg)
{
	m->shown = *msg;
	m->shown.at_ms = loop_now_ms();
	loop_timer_cancel(m->fade);
	m->fade = msg->prio == MESSAGE_INFO ? loop_timer_add(m->loop, MESSAGE_FADE_MS, 0, faded, m)
					    : NULL;
}

static void drop_waiting(struct message_line *m)
{
	m->waiting.text[0] = '\0';
	loop_timer_cancel(m->due);
	m->due = NULL;
}

static void waited(struct loop *loop, void *ud)
{
	struct message_line *m = ud;

	(void)loop;
	m->due = NULL;
	if (!m->waiting.text[0])
		return;
	show(m, &m->waiting);
	m->waiting.text[0] = '\0';
	m->changed(m->ud);
}

void message_post(struct message_line *m, enum message_prio prio, bool error, const void *owner,
		  const char *fmt, va_list ap)
{
	struct message msg = {.prio = prio, .error = error, .owner = owner};
	uint64_t age = loop_now_ms() - m->shown.at_ms;

	vsnprintf(msg.text, sizeof(msg.text), fmt, ap);
	if (m->shown.text[0] && prio < m->shown.prio && age < MESSAGE_HOLD_MS) {
		if (m->waiting.text[0] && prio < m->waiting.prio)
			return; /* what waits is more important */
		m->waiting = msg;
		if (!m->due)
			m->due = loop_timer_add(m->loop, MESSAGE_HOLD_MS - age, 0, waited, m);
		return;
	}
	if (m->waiting.text[0] && m->waiting.prio <= prio)
		drop_waiting(m);
	show(m, &msg);
}

void message_note_end(struct message_line *m, const void *owner)
{
	if (m->waiting.text[0] && m->waiting.prio == MESSAGE_NOTE && m->waiting.owner == owner)
		drop_waiting(m);
	if (m->shown.text[0] && m->shown.prio == MESSAGE_NOTE && m->shown.owner == owner)
		m->shown.text[0] = '\0';
}

void message_clear(struct message_line *m)
{
	loop_timer_cancel(m->fade);
	m->fade = NULL;
	m->shown.text[0] = '\0';
}

const char *message_text(const struct message_line *m)
{
	return m->shown.text;
}

bool message_is_error(const struct message_line *m)
{
	return m->shown.text[0] && m->shown.error;
}
