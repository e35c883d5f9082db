#include "config.h"

#include "form.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "lineedit.h"
#include "style.h"

struct form_slot {
	const struct form_field *def;
	struct lineedit le;
	const char *const *list; /* a choice field's choices now (def->choices or computed) */
	size_t choice;		 /* index into list */
	bool initial_pending;	 /* initial not yet found in a computed list */
};

struct form {
	char *title;
	struct form_slot *slots;
	size_t n, focus;
	form_submit_fn submit;
	void *ud;
	struct err err;
	size_t err_slot;    /* the field the error is about, or n for the form */
	form_ticket ticket; /* waiting for this submit's answer, or 0 */
	bool refused;	    /* the answer came during the submit: a refusal */
};

/* One form is open at a time: the one whose submit function runs, and the
 * one waiting for an answer (cleared when it is freed). */
static struct form *submitting, *waiting;
static form_ticket last_ticket;

static bool is_choice(const struct form_slot *s)
{
	return s->def->choices || s->def->choices_for;
}

static size_t nchoices(const struct form_slot *s)
{
	size_t n = 0;

	while (s->list && s->list[n])
		n++;
	return n;
}

static const char *slot_value(const struct form_slot *s)
{
	if (is_choice(s))
		return s->list && s->list[0] ? s->list[s->choice] : "";
	return lineedit_text(&s->le);
}

/* Puts a choice field on text if it is one of its choices. */
static bool choose(struct form_slot *s, const char *text)
{
	for (size_t c = 0; s->list && s->list[c]; c++) {
		if (strcmp(s->list[c], text) == 0) {
			s->choice = c;
			return true;
		}
	}
	return false;
}

/* Asks every computed choice field for its choices as the values stand. */
static void refresh_choices(struct form *f)
{
	const char **values = xcalloc(f->n, sizeof(*values));

	for (size_t i = 0; i < f->n; i++) {
		struct form_slot *s = &f->slots[i];

		if (!s->def->choices_for)
			continue;
		for (size_t j = 0; j < f->n; j++)
			values[j] = j == i ? "" : slot_value(&f->slots[j]);
		s->list = s->def->choices_for(values, i, f->ud);
		if (s->choice >= nchoices(s))
			s->choice = 0;
		if (s->initial_pending && nchoices(s) > 0) {
			choose(s, s->def->initial);
			s->initial_pending = false;
		}
	}
	free(values);
}

/* Field i changed: the fields that follow it (and those that follow them)
 * go back to their first choice. */
static void changed(struct form *f, size_t i, unsigned depth)
{
	if (i >= 32 || depth > f->n)
		return;
	for (size_t j = 0; j < f->n; j++) {
		struct form_slot *s = &f->slots[j];

		if (j != i && (s->def->follows & (1u << i))) {
			s->choice = 0;
			s->initial_pending = false;
			changed(f, j, depth + 1);
		}
	}
}

struct form *form_new(const char *title, const struct form_field *fields, size_t n,
		      form_submit_fn submit, void *ud)
{
	struct form *f = xcalloc(1, sizeof(*f));

	f->title = xstrdup(title);
	f->slots = xcalloc(n, sizeof(*f->slots));
	f->n = n;
	f->submit = submit;
	f->ud = ud;
	for (size_t i = 0; i < n; i++) {
		struct form_slot *s = &f->slots[i];

		s->def = &fields[i];
		lineedit_init(&s->le);
		/* Room for the longest text a field takes (2000 characters). */
		s->le.max_len = 8192;
		s->list = s->def->choices;
		if (s->def->choices_for)
			s->initial_pending = s->def->initial != NULL;
		else if (s->def->choices && s->def->initial)
			choose(s, s->def->initial);
		else if (s->def->initial)
			lineedit_set(&s->le, s->def->initial);
	}
	refresh_choices(f);
	return f;
}

void form_free(struct form *f)
{
	if (!f)
		return;
	if (waiting == f)
		waiting = NULL;
	for (size_t i = 0; i < f->n; i++)
		lineedit_free(&f->slots[i].le);
	free(f->slots);
	free(f->title);
	free(f);
}

/* Validates every field; on failure focuses the first bad one. */
static bool validate_all(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct form_slot *s = &f->slots[i];
		const char *v = slot_value(s);

		err_clear(&f->err);
		if (s->def->required && !*v) {
			err_set(&f->err, "%s is required", s->def->label);
		} else if (*v && s->def->validate && !s->def->validate(v, &f->err)) {
			if (!err_isset(&f->err))
				err_set(&f->err, "%s is not valid", s->def->label);
		}
		if (err_isset(&f->err)) {
			f->focus = i;
			f->err_slot = i;
			return false;
		}
	}
	return true;
}

static enum form_result try_submit(struct form *f, struct app *app)
{
	const char **values;
	bool ok;

	refresh_choices(f);
	if (!validate_all(f))
		return FORM_CONTINUE;
	values = xcalloc(f->n, sizeof(*values));
	for (size_t i = 0; i < f->n; i++)
		values[i] = slot_value(&f->slots[i]);
	err_clear(&f->err);
	f->ticket = 0;
	f->refused = false;
	submitting = f;
	ok = f->submit(app, values, f->ud, &f->err);
	submitting = NULL;
	free(values);
	if (!ok || f->refused) {
		f->ticket = 0;
		f->err_slot = f->n;
		if (!err_isset(&f->err))
			err_set(&f->err, "Not saved");
		return FORM_CONTINUE;
	}
	return f->ticket ? FORM_CONTINUE : FORM_DONE;
}

form_ticket form_wait(void)
{
	if (!submitting)
		return 0;
	submitting->ticket = ++last_ticket;
	waiting = submitting;
	return submitting->ticket;
}

bool form_answer(struct app *app, form_ticket ticket, bool ok, const char *msg)
{
	struct form *f = waiting;

	if (!ticket || !f || f->ticket != ticket)
		return false;
	waiting = NULL;
	f->ticket = 0;
	if (!ok) {
		err_set(&f->err, "%s", msg && *msg ? msg : "Not saved");
		f->err_slot = f->n;
		f->refused = f == submitting;
		app_redraw(app);
	} else if (f != submitting) {
		/* Only the open form can be waiting: this closes it. An answer
		 * during the submit leaves that to try_submit. */
		app_open_form(app, NULL);
	}
	return true;
}

enum form_result form_key(struct form *f, struct app *app, keycode k)
{
	struct form_slot *s = &f->slots[f->focus];
	char *before;

	refresh_choices(f);
	if (f->ticket && k != KC_ESC && k != KEY_CTRL('g'))
		return FORM_CONTINUE; /* nothing changes while the answer is awaited */
	switch (k) {
	case KC_ESC:
	case KEY_CTRL('g'):
		return FORM_CANCELLED;
	case KC_TAB:
	case KC_DOWN:
		f->focus = (f->focus + 1) % f->n;
		return FORM_CONTINUE;
	case KC_BACKTAB:
	case KC_UP:
		f->focus = (f->focus + f->n - 1) % f->n;
		return FORM_CONTINUE;
	case KC_ENTER:
		if (f->focus + 1 < f->n) {
			f->focus++;
			return FORM_CONTINUE;
		}
		return try_submit(f, app);
	default:
		break;
	}
	if (is_choice(s)) {
		size_t n = nchoices(s), was = s->choice;

		if (n && (k == KC_RIGHT || k == KC_SPACE))
			s->choice = (s->choice + 1) % n;
		else if (n && k == KC_LEFT)
			s->choice = (s->choice + n - 1) % n;
		if (s->choice != was) {
			changed(f, f->focus, 0);
			refresh_choices(f);
		}
		return FORM_CONTINUE;
	}
	before = xstrdup(lineedit_text(&s->le));
	if (lineedit_key(&s->le, k)) {
		if (f->err_slot == f->focus)
			err_clear(&f->err);
		/* A key that only moved the cursor changes nothing. */
		if (strcmp(before, lineedit_text(&s->le)) != 0) {
			changed(f, f->focus, 0);
			refresh_choices(f);
		}
	}
	free(before);
	return FORM_CONTINUE;
}

void form_draw(struct form *f, const struct rect *screen, int *cursor_y, int *cursor_x)
{
	int label_w = 0, w = screen->w - 8, h = (int)f->n * 2 + 5;
	struct rect box;
	attr_t fill = style_attr(ROLE_DIALOG);

	refresh_choices(f);
	if (w > 90)
		w = 90;
	if (h > screen->h)
		h = screen->h;
	box = (struct rect){ screen->y + (screen->h - h) / 2, screen->x + (screen->w - w) / 2, h, w };
	for (size_t i = 0; i < f->n; i++) {
		int lw = draw_width(f->slots[i].def->label);

		if (lw > label_w)
			label_w = lw;
	}
	label_w += 2;
	draw_box(&box, f->title, style_attr(ROLE_BORDER), fill);
	*cursor_y = *cursor_x = -1;
	for (size_t i = 0; i < f->n && (int)(2 + 2 * i) < h - 2; i++) {
		const struct form_slot *s = &f->slots[i];
		int y = box.y + 2 + 2 * (int)i, x = box.x + 2, fw = box.w - 4 - label_w;
		bool focused = i == f->focus;

		draw_text(y, x, label_w, s->def->label, fill | (focused ? A_BOLD : 0), 1);
		if (is_choice(s)) {
			char shown[256];

			/* An empty list (still being read, or none) shows as such. */
			snprintf(shown, sizeof(shown), "< %s >", nchoices(s) ? slot_value(s) : "-");
			draw_text(y, x + label_w, fw, shown,
				  focused ? style_attr(ROLE_SELECTION) : style_attr(ROLE_INPUT), 1);
		} else {
			int cx = lineedit_draw(&s->le, y, x + label_w, fw, style_attr(ROLE_INPUT));

			if (focused) {
				*cursor_y = y;
				*cursor_x = cx;
			}
		}
		if (err_isset(&f->err) && f->err_slot == i)
			draw_text(y + 1, x + label_w, fw, f->err.msg, style_attr(ROLE_MSG_ERROR), 1);
		else if (s->def->hint)
			draw_text(y + 1, x + label_w, fw, s->def->hint, style_attr(ROLE_DIM) | fill, 1);
	}
	if (f->ticket)
		draw_text(box.y + h - 2, box.x + 2, box.w - 4,
			  "Saving…  Esc closes the form (the answer then shows below it)",
			  fill | A_DIM, 1);
	else if (err_isset(&f->err) && f->err_slot == f->n)
		draw_text(box.y + h - 2, box.x + 2, box.w - 4, f->err.msg, style_attr(ROLE_MSG_ERROR), 1);
	else
		draw_text(box.y + h - 2, box.x + 2, box.w - 4,
			  "Enter next/save  Tab move  Esc cancel", fill | A_DIM, 1);
}

bool form_valid_dns_label(const char *v, struct err *err)
{
	size_t n = strlen(v);

	if (n == 0 || n > 63) {
		err_set(err, "must be 1 to 63 characters");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-')) {
			err_set(err, "only lowercase letters, digits and '-' are allowed");
			return false;
		}
	}
	if (v[0] == '-' || v[n - 1] == '-') {
		err_set(err, "must start and end with a letter or digit");
		return false;
	}
	return true;
}

bool form_valid_quota(const char *v, struct err *err)
{
	long q;

	if (!str_to_long(v, -1, INT_MAX, &q)) {
		err_set(err, "must be a whole number, or -1 for unlimited");
		return false;
	}
	return true;
}
