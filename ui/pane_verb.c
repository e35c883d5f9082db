/* cmdline_pane_verb() (pane.h): the words after a pane's `:` command,
 * checked against the verbs the pane declares. */
#include "config.h"

#include <string.h>

#include "app.h"
#include "buf.h"
#include "panes.h"

const struct pane_verb *cmdline_pane_verb(struct app *app, const struct pane_ops *ops,
					  const char *arg, char *word, size_t wordsz)
{
	const char *command = pane_info(pane_by_ops(ops))->command;
	const struct pane_verb *v = NULL;
	const char *s = arg, *vb, *w;
	size_t vlen, wlen;

	word[0] = '\0';
	while (*s == ' ')
		s++;
	vb = s;
	vlen = strcspn(s, " ");
	s += vlen;
	while (*s == ' ')
		s++;
	w = s;
	wlen = strcspn(s, " ");
	s += wlen;
	while (*s == ' ')
		s++;
	for (size_t i = 0; i < ops->nverbs && !v; i++) {
		if (strlen(ops->verbs[i].name) == vlen &&
		    strncmp(ops->verbs[i].name, vb, vlen) == 0)
			v = &ops->verbs[i];
	}
	if (!v) {
		struct buf b = BUF_INIT;

		for (size_t i = 0; i < ops->nverbs; i++)
			buf_printf(&b, "%s%s", i ? "|" : "", ops->verbs[i].name);
		app_error(app, "%s: unknown '%.*s' (try :%s %s; Tab completes)", command,
			  (int)(vlen > 40 ? 40 : vlen), vb, command, buf_str(&b));
		buf_free(&b);
		return NULL;
	}
	if (*s || (wlen > 0 && !*v->args)) {
		app_error(app, "usage: :%s %s%s%s", command, v->name, *v->args ? " " : "", v->args);
		return NULL;
	}
	if (wlen >= wordsz) {
		app_error(app, "%s %s: '%.*s…' is too long", command, v->name, 40, w);
		return NULL;
	}
	memcpy(word, w, wlen);
	word[wlen] = '\0';
	return v;
}
