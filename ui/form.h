/* Forms: a dialog of labelled fields for creating and editing things
 * (customers, projects, quotas, store orders). Each field may validate its
 * value; the form validates every field before it submits, puts the cursor
 * on the first bad one and says what is wrong, so a bad value changes
 * nothing.
 *
 * A choice field's choices are either fixed (choices) or follow the values
 * of other fields (choices_for: a store's plans follow its offering): the
 * form asks for them whenever it draws, takes a key or submits, and when a
 * field it follows changes, the field goes back to its first choice. The
 * form knows nothing of what the choices mean.
 *
 * Keys: Tab/Down next field, S-Tab/Up previous, Enter next field or submit
 * on the last one, Left/Right/Space cycle a choice field, Esc cancels.
 * Editing keys are those of lineedit.h. */
#ifndef OPSDECK_UI_FORM_H
#define OPSDECK_UI_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "draw.h"
#include "keymap.h"
#include "util.h"

struct app;

struct form_field {
	const char *label;
	const char *initial;	  /* NULL: empty (or the first choice) */
	const char *hint;	  /* shown beside the field, e.g. "1-100 or -1 for unlimited" */
	bool required;
	/* NULL accepts anything; otherwise false with err set rejects value. */
	bool (*validate)(const char *value, struct err *err);
	const char *const *choices; /* NULL-terminated; the field cycles through them */
	/* Choices computed from the current values of every field (its own
	 * entry is ""), with the form's ud and this field's index: a
	 * NULL-terminated list the caller owns and keeps valid until its next
	 * call for this field; NULL or empty while there is none (the value is
	 * then ""). initial is chosen once it appears in a list. */
	const char *const *(*choices_for)(const char *const *values, size_t field, void *ud);
	/* Fields this one follows, bit i for field i (the first 32 fields):
	 * when one changes, this one goes back to its first choice. */
	unsigned follows;
};

/* Called with one value per field (choices: the chosen text). Returning false
 * keeps the form open with err shown (e.g. a name already taken). A submit
 * that sends a request whose answer comes later calls form_wait() before
 * returning true: see below. */
typedef bool (*form_submit_fn)(struct app *app, const char *const *values, void *ud,
			       struct err *err);

struct form;

struct form *form_new(const char *title, const struct form_field *fields, size_t n,
		      form_submit_fn submit, void *ud);
void form_free(struct form *f);
void form_draw(struct form *f, const struct rect *screen, int *cursor_y, int *cursor_x);

enum form_result { FORM_CONTINUE, FORM_DONE, FORM_CANCELLED };
enum form_result form_key(struct form *f, struct app *app, keycode k);

/* Waiting for the answer to a submit. A submit function that sends a
 * request (to the database) calls form_wait() and returns true: the form
 * stays open with the operator's values, says it is saving, and takes no
 * key but Esc (which closes it; the answer then goes to the status line).
 * The request's answer goes to form_answer() with the ticket: if the form
 * is still open and waiting, a success closes it and a refusal is shown in
 * it, with every value as it was, and it takes keys again; true then.
 * False: the form was closed meanwhile (or ticket is 0); the caller says
 * the outcome elsewhere. form_wait() outside a submit function returns 0. */
typedef unsigned long form_ticket;
form_ticket form_wait(void);
bool form_answer(struct app *app, form_ticket ticket, bool ok, const char *msg);

/* Validators for common fields. */
bool form_valid_dns_label(const char *value, struct err *err);
bool form_valid_quota(const char *value, struct err *err); /* -1 (unlimited) or 0.. */

#endif
