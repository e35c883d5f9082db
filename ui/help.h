/* The help overlay: every action of the active key map with its keys, scope
 * and description, then the `:` commands (commands.h, each pane's verbs on
 * lines of their own), in a filterable table. Built from the key map each
 * time it opens, so it always tells the truth. */
#ifndef OPSDECK_UI_HELP_H
#define OPSDECK_UI_HELP_H

#include "draw.h"
#include "keymap.h"

struct help;
struct table;
struct pane_key_note;

struct help *help_new(const struct keymap *km);
/* Help opened in a pane (its label, "Logs", and its key scope): the pane's
 * own keys come first, then the shared keys its notes give a meaning of
 * their own there (their rows say it), the global ones, the list keys,
 * and last the other panes'; a note without a description leaves its
 * action out (its keys do nothing there). */
struct help *help_new_in(const struct keymap *km, const char *pane, enum action_scope scope,
			 const struct pane_key_note *notes, size_t nnotes);
void help_free(struct help *h);
struct table *help_table(struct help *h);
void help_draw(struct help *h, const struct rect *screen);

#endif
