/* The message line's content: what it says, how important that is, and
 * for how long. Errors stay until the operator acts (message_clear on a
 * key); information fades after MESSAGE_FADE_MS; a note lasts as long as
 * what it describes (a pass running, the completions of the prompt) and
 * goes with message_note_end. A message does not replace a more important
 * one (error > info > note) younger than MESSAGE_HOLD_MS: it waits, and
 * the newest one waiting is shown when that time is over. No curses. */
#ifndef OPSDECK_UI_MESSAGE_H
#define OPSDECK_UI_MESSAGE_H

#include <stdarg.h>
#include <stdbool.h>

#include "loop.h"
#include "util.h"

#define MESSAGE_FADE_MS 5000
#define MESSAGE_HOLD_MS 2000

enum message_prio { MESSAGE_NOTE, MESSAGE_INFO, MESSAGE_ERROR };

struct message_line;

/* changed(ud) runs when the text shown changes outside a call (a fade, a
 * message that waited). */
struct message_line *message_line_new(struct loop *loop, void (*changed)(void *ud), void *ud);
void message_line_free(struct message_line *m);

void message_post(struct message_line *m, enum message_prio prio, bool error, const void *owner,
		  const char *fmt, va_list ap) ATTR_FORMAT(5, 0);
/* Takes away owner's note, shown or waiting. */
void message_note_end(struct message_line *m, const void *owner);
/* Clears what is shown (a key after an error); a waiting one still comes. */
void message_clear(struct message_line *m);

/* What is shown ("" for nothing), and whether in the error colour. */
const char *message_text(const struct message_line *m);
bool message_is_error(const struct message_line *m);

#endif
