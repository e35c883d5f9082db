#include "config.h"

#include "cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "lineedit.h"
#include "paths.h"
#include "util.h"

#define HISTORY_MAX 200

struct cmdline {
	struct cmdline_host host;
	char **history;
	size_t nhistory, caphistory;
	size_t hpos;	  /* browsing position; nhistory = the line being typed */
	char *typed;	  /* the line being typed, kept while browsing */
	/* Completion state: candidates for the word being completed. */
	char **cands;
	size_t ncands, cand_next;
	char *cand_base; /* the text before the word */
};

/* ---- history ---- */

static char *history_path(void)
{
	char *dir = paths_state_dir();
	char *p = xasprintf("%s/history", dir);

	free(dir);
	return p;
}

static void history_add(struct cmdline *cl, const char *line)
{
	if (!*line)
		return;
	/* A repeat of the last entry is not worth a second line. */
	if (cl->nhistory && strcmp(cl->history[cl->nhistory - 1], line) == 0)
		return;
	if (cl->nhistory == HISTORY_MAX) {
		free(cl->history[0]);
		memmove(cl->history, cl->history + 1, (HISTORY_MAX - 1) * sizeof(*cl->history));
		cl->nhistory--;
	}
	cl->history = xgrow(cl->history, &cl->caphistory, cl->nhistory + 1, sizeof(*cl->history));
	cl->history[cl->nhistory++] = xstrdup(line);
}

static void history_load(struct cmdline *cl)
{
	char *path = history_path();
	FILE *f = fopen(path, "r");
	char line[1024];

	free(path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		bool printable = true;

		line[n] = '\0';
		for (size_t i = 0; i < n; i++)
			printable = printable && (unsigned char)line[i] >= 0x20;
		if (printable)
			history_add(cl, line);
	}
	fclose(f);
}

static bool mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	bool ok = true;

	for (char *s = p + 1; *s && ok; s++) {
		if (*s == '/') {
			*s = '\0';
			ok = mkdir(p, 0700) == 0 || errno == EEXIST;
			*s = '/';
		}
	}
	ok = ok && (mkdir(p, 0700) == 0 || errno == EEXIST);
	free(p);
	return ok;
}

static void history_save(const struct cmdline *cl)
{
	char *dir = paths_state_dir();
	char *path = history_path();
	struct buf b = BUF_INIT;

	if (cl->nhistory && mkdir_p(dir)) {
		for (size_t i = 0; i < cl->nhistory; i++)
			buf_printf(&b, "%s\n", cl->history[i]);
		paths_write_atomic(path, buf_str(&b), b.len);
	}
	buf_free(&b);
	free(path);
	free(dir);
}

struct cmdline *cmdline_new(const struct cmdline_host *host)
{
	struct cmdline *cl = xcalloc(1, sizeof(*cl));

	cl->host = *host;
	history_load(cl);
	return cl;
}

static void completion_reset(struct cmdline *cl)
{
	paths_free_list(cl->cands, cl->ncands);
	cl->cands = NULL;
	cl->ncands = cl->cand_next = 0;
	x_free(&cl->cand_base);
}

void cmdline_free(struct cmdline *cl)
{
	if (!cl)
		return;
	history_save(cl);
	for (size_t i = 0; i < cl->nhistory; i++)
		free(cl->history[i]);
	free(cl->history);
	free(cl->typed);
	completion_reset(cl);
	free(cl);
}

/* ---- running ---- */

static void run_line(struct cmdline *cl, const char *line)
{
	char *copy = xstrdup(line);
	char *name = copy, *arg;
	const struct command_info *c;

	while (*name == ' ')
		name++;
	arg = name + strcspn(name, " ");
	if (*arg) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
		for (size_t n = strlen(arg); n > 0 && arg[n - 1] == ' '; n--)
			arg[n - 1] = '\0';
	}
	if (!*name) {
		free(copy);
		return;
	}
	history_add(cl, line);
	c = commands_find(name);
	if (c) {
		cl->host.run(cl->host.ud, c, arg);
	} else {
		char msg[512];

		snprintf(msg, sizeof(msg),
			 "Unknown command :%s (Tab completes, :help lists the commands)", name);
		cl->host.say(cl->host.ud, true, msg);
	}
	free(copy);
}

/* ---- completion ---- */

static void add_candidate(char ***list, size_t *n, size_t *cap, char *s)
{
	*list = xgrow(*list, cap, *n + 1, sizeof(**list));
	(*list)[(*n)++] = s;
}

/* A pane command's words: the verb first, then what the pane offers for
 * the verb's argument. nwords counts the words before the one completed. */
static size_t pane_candidates(struct cmdline *cl, enum pane_id id, const char *text,
			      size_t nwords, const char *word, char ***out)
{
	const struct pane_ops *ops = pane_info(id)->ops;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (nwords == 1 && ops->nverbs == 0) /* the pane's own argument */
		return cl->host.complete(cl->host.ud, id, NULL, word, out);
	if (nwords == 1) {
		for (size_t i = 0; i < ops->nverbs; i++) {
			if (!str_has_prefix(ops->verbs[i].name, word))
				continue;
			*out = xgrow(*out, &cap, n + 1, sizeof(**out));
			(*out)[n++] = xstrdup(ops->verbs[i].name);
		}
		return n;
	}
	if (nwords == 2) {
		const char *vb = text + strcspn(text, " ");
		size_t vlen;

		vb += strspn(vb, " ");
		vlen = strcspn(vb, " ");
		for (size_t i = 0; i < ops->nverbs; i++) {
			const struct pane_verb *v = &ops->verbs[i];

			if (strlen(v->name) == vlen && strncmp(v->name, vb, vlen) == 0 && *v->args)
				return cl->host.complete(cl->host.ud, id, v, word, out);
		}
	}
	return 0;
}

/* Candidates for the word under completion: the command name while there is
 * no space yet, else the argument (the text after the last space). */
static void completion_start(struct cmdline *cl, const char *text)
{
	const char *last_space = strrchr(text, ' ');
	const struct command_info *cmds;
	size_t ncmds = commands_list(&cmds);
	char **list = NULL;
	size_t n = 0, cap = 0;

	completion_reset(cl);
	while (*text == ' ')
		text++;
	if (!strchr(text, ' ')) {
		for (size_t i = 0; i < ncmds; i++) {
			if (str_has_prefix(cmds[i].name, text))
				add_candidate(&list, &n, &cap, xstrdup(cmds[i].name));
		}
		cl->cand_base = xstrdup("");
	} else {
		const char *word = last_space + 1;
		char *name = xstrndup(text, strcspn(text, " "));
		const struct command_info *c = commands_find(name);
		char **all = NULL;
		size_t nall = 0;

		free(name);
		if (c && c->kind == COMMAND_THEME) {
			nall = paths_list_data("themes", &all);
		} else if (c && c->kind == COMMAND_KEYMAP) {
			nall = paths_list_data("keymaps", &all);
		} else if (c && c->kind == COMMAND_PANE) {
			size_t nwords = 0;

			/* Words before the one being completed. */
			for (const char *s = text; s < word;) {
				s += strspn(s, " ");
				if (s >= word)
					break;
				nwords++;
				s += strcspn(s, " ");
			}
			nall = pane_candidates(cl, c->pane, text, nwords, word, &all);
		}
		for (size_t i = 0; i < nall; i++) {
			/* a pane's candidates are its own choice (a store's
			 * PROJECT/NAME answers to the start of its name) */
			if ((c && c->kind == COMMAND_PANE) || str_has_prefix(all[i], word)) {
				add_candidate(&list, &n, &cap, all[i]);
				all[i] = NULL;
			}
		}
		paths_free_list(all, nall);
		cl->cand_base = xstrndup(text, (size_t)(word - text));
	}
	cl->cands = list;
	cl->ncands = n;
}

/* A candidate's word: what goes on the line (a note may follow a tab). */
static int word_len(const char *cand) { return (int)strcspn(cand, "\t"); }

static size_t common_prefix(char **list, size_t n)
{
	size_t len = (size_t)word_len(list[0]);

	for (size_t i = 1; i < n; i++) {
		size_t k = 0;

		while (k < len && list[i][k] == list[0][k])
			k++;
		len = k;
	}
	return len;
}

/* First Tab: complete to the longest common prefix and list the candidates;
 * further Tabs cycle through them. */
static void complete(struct cmdline *cl, struct lineedit *le)
{
	struct buf b = BUF_INIT;

	if (!cl->cands) {
		completion_start(cl, lineedit_text(le));
		if (cl->ncands == 0) {
			cl->host.say(cl->host.ud, true, "No completion");
			completion_reset(cl);
			return;
		}
		if (cl->ncands == 1) {
			buf_printf(&b, "%s%.*s ", cl->cand_base, word_len(cl->cands[0]),
				   cl->cands[0]);
			lineedit_set(le, buf_str(&b));
			completion_reset(cl);
		} else {
			char *prefix = xstrndup(cl->cands[0], common_prefix(cl->cands, cl->ncands));
			struct buf list = BUF_INIT;
			const char *typed = lineedit_text(le) + strlen(cl->cand_base);

			/* never shorter than what was typed */
			if (str_has_prefix(prefix, typed)) {
				buf_printf(&b, "%s%s", cl->cand_base, prefix);
				lineedit_set(le, buf_str(&b));
			}
			for (size_t i = 0; i < cl->ncands; i++) {
				const char *c = cl->cands[i];
				int w = word_len(c);

				buf_printf(&list, "%s%.*s", i ? "  " : "", w, c);
				if (c[w])
					buf_printf(&list, " (%s)", c + w + 1);
			}
			cl->host.say(cl->host.ud, false, buf_str(&list));
			buf_free(&list);
			free(prefix);
		}
		buf_free(&b);
		return;
	}
	buf_printf(&b, "%s%.*s", cl->cand_base, word_len(cl->cands[cl->cand_next]),
		   cl->cands[cl->cand_next]);
	lineedit_set(le, buf_str(&b));
	cl->cand_next = (cl->cand_next + 1) % cl->ncands;
	buf_free(&b);
}

/* ---- the prompt ---- */

static void history_move(struct cmdline *cl, struct lineedit *le, int dir)
{
	if (cl->nhistory == 0)
		return;
	if (cl->hpos == cl->nhistory) {
		free(cl->typed);
		cl->typed = xstrdup(lineedit_text(le));
	}
	if (dir < 0 && cl->hpos > 0)
		cl->hpos--;
	else if (dir > 0 && cl->hpos < cl->nhistory)
		cl->hpos++;
	lineedit_set(le, cl->hpos == cl->nhistory ? (cl->typed ? cl->typed : "")
						   : cl->history[cl->hpos]);
}

bool cmdline_key(struct cmdline *cl, struct lineedit *le, keycode k)
{
	if (k == KC_TAB) {
		complete(cl, le);
		return true;
	}
	completion_reset(cl);
	if (k == KC_UP || k == KEY_CTRL('p')) {
		history_move(cl, le, -1);
		return true;
	}
	if (k == KC_DOWN || k == KEY_CTRL('n')) {
		history_move(cl, le, 1);
		return true;
	}
	return false;
}

void cmdline_done(struct cmdline *cl, const char *line)
{
	completion_reset(cl);
	x_free(&cl->typed);
	if (line)
		run_line(cl, line);
}

void cmdline_begin(struct cmdline *cl)
{
	cl->hpos = cl->nhistory;
	completion_reset(cl);
}
