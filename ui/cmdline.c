#include "config.h"

#include "cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "buf.h"
#include "lineedit.h"
#include "paths.h"
#include "util.h"

#define HISTORY_MAX 200

/* How the words after a command complete: COMPLETE_PANE completes the
 * pane's verbs, then what the pane offers for the verb's argument. */
enum complete_kind { COMPLETE_NONE, COMPLETE_THEME, COMPLETE_KEYMAP, COMPLETE_PANE };

/* Help lists each pane verb on its own line; this bounds them all. */
#define HELP_VERBS_MAX 32

struct command_def {
	struct cmdline_info info;
	enum complete_kind complete;
	void (*run)(struct app *app, const char *arg);
	enum pane_id pane; /* the pane it shows, or NO_PANE */
};

struct cmdline {
	char **history;
	size_t nhistory, caphistory;
	size_t hpos;	  /* browsing position; nhistory = the line being typed */
	char *typed;	  /* the line being typed, kept while browsing */
	/* Completion state: candidates for the word being completed. */
	char **cands;
	size_t ncands, cand_next;
	char *cand_base; /* the text before the word */
};

static void run_theme(struct app *app, const char *arg)
{
	if (!arg) {
		app_error(app, "usage: :theme NAME (Tab lists the themes)");
		return;
	}
	if (app_set_theme(app, arg))
		app_info(app, "Theme %s", arg);
}

static void run_keymap(struct app *app, const char *arg)
{
	if (!arg) {
		app_error(app, "usage: :keymap NAME (Tab lists the key maps)");
		return;
	}
	if (app_set_keymap(app, arg))
		app_info(app, "Key map %s", arg);
}

static void run_help(struct app *app, const char *arg)
{
	(void)arg;
	app_open_help(app);
}

static void run_quit(struct app *app, const char *arg)
{
	(void)arg;
	app_quit(app, false);
}

static void run_quit_force(struct app *app, const char *arg)
{
	(void)arg;
	app_quit(app, true);
}

#define NO_PANE PANE_COUNT

/* A command without run shows its pane with the rest of the line. */
static const struct command_def commands[] = {
	{ { "catalog", "[VERB ...]", "Show the Catalog pane; its verbs follow" }, COMPLETE_PANE,
	  NULL, PANE_CATALOG },
	{ { "projects", "[VERB ...]", "Show the Projects pane; its verbs follow" }, COMPLETE_PANE,
	  NULL, PANE_PROJECTS },
	{ { "stores", "[VERB ...|FILTER]", "Show the Stores pane, filtered by a word; its verbs follow" },
	  COMPLETE_PANE, NULL, PANE_STORES },
	{ { "queues", "", "Show the Queues pane" }, COMPLETE_NONE, NULL, PANE_QUEUES },
	{ { "logs", "[STORE]", "Show the Logs pane, optionally for a store" }, COMPLETE_NONE, NULL,
	  PANE_LOGS },
	{ { "events", "[FILTER]", "Show the audit trail, newest first, live" },
	  COMPLETE_NONE, NULL, PANE_EVENTS },
	{ { "reconcile", "[FILTER]",
	    "Show the latest reconcile pass's findings (orphans, drift, stuck); R runs one" },
	  COMPLETE_NONE, NULL, PANE_RECONCILE },
	{ { "theme", "NAME", "Switch the colour theme" }, COMPLETE_THEME, run_theme, NO_PANE },
	{ { "keymap", "NAME", "Switch the key map" }, COMPLETE_KEYMAP, run_keymap, NO_PANE },
	{ { "help", "", "Show the keys and commands" }, COMPLETE_NONE, run_help, NO_PANE },
	{ { "quit", "", "Quit (asks first if work is running)" }, COMPLETE_NONE, run_quit, NO_PANE },
	{ { "q", "", "Quit (asks first if work is running)" }, COMPLETE_NONE, run_quit, NO_PANE },
	{ { "q!", "", "Quit without asking" }, COMPLETE_NONE, run_quit_force, NO_PANE },
};

size_t cmdline_list(const struct cmdline_info **out)
{
	static struct cmdline_info infos[ARRAY_LEN(commands) + HELP_VERBS_MAX];
	static char names[HELP_VERBS_MAX][48];
	size_t n = 0, nv = 0;

	for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
		const struct pane_ops *ops;

		infos[n++] = commands[i].info;
		if (commands[i].complete != COMPLETE_PANE)
			continue;
		/* Then `:catalog pause [OFFERING]` and its siblings, one each. */
		ops = app_pane_ops(commands[i].pane);
		for (size_t j = 0; j < ops->nverbs && nv < HELP_VERBS_MAX; j++, nv++) {
			snprintf(names[nv], sizeof(names[nv]), "%s %s", commands[i].info.name,
				 ops->verbs[j].name);
			infos[n].name = names[nv];
			infos[n].args = ops->verbs[j].args;
			infos[n].help = ops->verbs[j].help;
			n++;
		}
	}
	*out = infos;
	return n;
}

const struct pane_verb *cmdline_pane_verb(struct app *app, const struct pane_ops *ops,
					  const char *arg, char *word, size_t wordsz)
{
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
		if (strlen(ops->verbs[i].name) == vlen && strncmp(ops->verbs[i].name, vb, vlen) == 0)
			v = &ops->verbs[i];
	}
	if (!v) {
		struct buf b = BUF_INIT;

		for (size_t i = 0; i < ops->nverbs; i++)
			buf_printf(&b, "%s%s", i ? "|" : "", ops->verbs[i].name);
		app_error(app, "%s: unknown '%.*s' (try :%s %s; Tab completes)", ops->command,
			  (int)(vlen > 40 ? 40 : vlen), vb, ops->command, buf_str(&b));
		buf_free(&b);
		return NULL;
	}
	if (*s || (wlen > 0 && !*v->args)) {
		app_error(app, "usage: :%s %s%s%s", ops->command, v->name, *v->args ? " " : "",
			  v->args);
		return NULL;
	}
	if (wlen >= wordsz) {
		app_error(app, "%s %s: '%.*s…' is too long", ops->command, v->name, 40, w);
		return NULL;
	}
	memcpy(word, w, wlen);
	word[wlen] = '\0';
	return v;
}

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

struct cmdline *cmdline_new(void)
{
	struct cmdline *cl = xcalloc(1, sizeof(*cl));

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

static const struct command_def *command_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
		if (strcmp(commands[i].info.name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

void cmdline_run(struct cmdline *cl, struct app *app, const char *line)
{
	char *copy = xstrdup(line);
	char *name = copy, *arg;
	const struct command_def *c;

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
	if (cl)
		history_add(cl, line);
	c = command_find(name);
	if (!c)
		app_error(app, "Unknown command :%s (Tab completes, :help lists the commands)", name);
	else if (c->run)
		c->run(app, *arg ? arg : NULL);
	else
		app_show_pane(app, c->pane, *arg ? arg : NULL);
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
static size_t pane_candidates(struct app *app, enum pane_id id, const char *text, size_t nwords,
			      const char *word, char ***out)
{
	const struct pane_ops *ops = app_pane_ops(id);
	size_t n = 0, cap = 0;

	*out = NULL;
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
				return app_pane_complete(app, id, v, word, out);
		}
	}
	return 0;
}

/* Candidates for the word under completion: the command name while there is
 * no space yet, else the argument (the text after the last space). */
static void completion_start(struct cmdline *cl, struct app *app, const char *text)
{
	const char *last_space = strrchr(text, ' ');
	char **list = NULL;
	size_t n = 0, cap = 0;

	completion_reset(cl);
	while (*text == ' ')
		text++;
	if (!strchr(text, ' ')) {
		for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
			if (str_has_prefix(commands[i].info.name, text))
				add_candidate(&list, &n, &cap, xstrdup(commands[i].info.name));
		}
		cl->cand_base = xstrdup("");
	} else {
		const char *word = last_space + 1;
		char *name = xstrndup(text, strcspn(text, " "));
		const struct command_def *c = command_find(name);
		char **all = NULL;
		size_t nall = 0;

		free(name);
		if (c && c->complete == COMPLETE_THEME) {
			nall = paths_list_data("themes", &all);
		} else if (c && c->complete == COMPLETE_KEYMAP) {
			nall = paths_list_data("keymaps", &all);
		} else if (c && c->complete == COMPLETE_PANE) {
			size_t nwords = 0;

			/* Words before the one being completed. */
			for (const char *s = text; s < word;) {
				s += strspn(s, " ");
				if (s >= word)
					break;
				nwords++;
				s += strcspn(s, " ");
			}
			nall = pane_candidates(app, c->pane, text, nwords, word, &all);
		}
		for (size_t i = 0; i < nall; i++) {
			if (str_has_prefix(all[i], word)) {
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

static size_t common_prefix(char **list, size_t n)
{
	size_t len = strlen(list[0]);

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
static void complete(struct cmdline *cl, struct app *app, struct lineedit *le)
{
	struct buf b = BUF_INIT;

	if (!cl->cands) {
		completion_start(cl, app, lineedit_text(le));
		if (cl->ncands == 0) {
			app_error(app, "No completion");
			completion_reset(cl);
			return;
		}
		if (cl->ncands == 1) {
			buf_printf(&b, "%s%s ", cl->cand_base, cl->cands[0]);
			lineedit_set(le, buf_str(&b));
			completion_reset(cl);
		} else {
			char *prefix = xstrndup(cl->cands[0], common_prefix(cl->cands, cl->ncands));
			struct buf list = BUF_INIT;

			buf_printf(&b, "%s%s", cl->cand_base, prefix);
			lineedit_set(le, buf_str(&b));
			for (size_t i = 0; i < cl->ncands; i++)
				buf_printf(&list, "%s%s", i ? "  " : "", cl->cands[i]);
			app_info(app, "%s", buf_str(&list));
			buf_free(&list);
			free(prefix);
		}
		buf_free(&b);
		return;
	}
	buf_printf(&b, "%s%s", cl->cand_base, cl->cands[cl->cand_next]);
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

static bool prompt_key(struct app *app, struct lineedit *le, keycode k, void *ud)
{
	struct cmdline *cl = ud;

	if (k == KC_TAB) {
		complete(cl, app, le);
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

static void prompt_done(struct app *app, const char *text, void *ud)
{
	struct cmdline *cl = ud;

	completion_reset(cl);
	x_free(&cl->typed);
	if (text)
		cmdline_run(cl, app, text);
}

static const struct app_prompt_ops cmdline_prompt_ops = {
	.on_key = prompt_key,
	.on_done = prompt_done,
};

void cmdline_open(struct cmdline *cl, struct app *app)
{
	cl->hpos = cl->nhistory;
	completion_reset(cl);
	app_prompt(app, ":", "", &cmdline_prompt_ops, cl);
}
