#include "config.h"

#include "db/storeref.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"

static bool is_deleted(const struct store *s)
{
	return strcmp(s->status, "Deleted") == 0;
}

/* A reference that can be the start of an id: lower-case hex, long enough
 * not to be a guess. */
static bool hex_prefix(const char *ref)
{
	size_t n = strspn(ref, "0123456789abcdef");

	return ref[n] == '\0' && n >= STORE_REF_MIN_PREFIX && n <= STORE_ID_LEN;
}

/* Hex too short to be an id prefix, as git takes abbreviations of at
 * least 4. */
static bool short_hex(const char *ref)
{
	size_t n = strspn(ref, "0123456789abcdef");

	return ref[n] == '\0' && n < STORE_REF_MIN_PREFIX;
}

/* ref split at its one '/': project slug and store name (project "" when
 * there is no slash). False when it has more than one slash, or nothing
 * before it ("/web" is no name of any project's). */
static bool split_ref(const char *ref, char *project, size_t psz, const char **name)
{
	const char *slash = strchr(ref, '/');

	project[0] = '\0';
	*name = ref;
	if (!slash)
		return true;
	if (strchr(slash + 1, '/') || slash == ref)
		return false;
	if ((size_t)(slash - ref) >= psz)
		return false;
	memcpy(project, ref, (size_t)(slash - ref));
	project[slash - ref] = '\0';
	*name = slash + 1;
	return true;
}

static bool by_name(const struct store *s, const char *project, const char *name)
{
	return !is_deleted(s) && strcmp(s->name, name) == 0 &&
	       (!project[0] || strcmp(s->project, project) == 0);
}

static bool by_prefix(const struct store *s, const char *ref)
{
	return !is_deleted(s) && hex_prefix(ref) && str_has_prefix(s->id, ref);
}

/* A deleted store that would answer to ref by name or id prefix if it
 * were live. */
static bool deleted_answers(const struct store *s, const char *project, const char *name,
			    const char *ref)
{
	return is_deleted(s) && ((strcmp(s->name, name) == 0 &&
				  (!project[0] || strcmp(s->project, project) == 0)) ||
				 (!project[0] && hex_prefix(ref) && str_has_prefix(s->id, ref)));
}

/* The deleted store ref names, or NULL with *n how many answer: the one
 * deleted last when all that answer are one PROJECT/NAME (a name reused
 * after each deletion), else none (*n > 1 then). */
static const struct store *deleted_pick(const struct store_list *l, const char *project,
					const char *name, const char *ref, size_t *n)
{
	const struct store *last = NULL;
	bool one_name = true;

	*n = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct store *s = &l->v[i];

		if (!deleted_answers(s, project, name, ref))
			continue;
		(*n)++;
		if (last && (strcmp(last->name, s->name) != 0 ||
			     strcmp(last->project, s->project) != 0))
			one_name = false;
		/* ISO 8601 UTC text: its order is the time's */
		if (!last || strcmp(s->updated_at, last->updated_at) > 0)
			last = s;
	}
	return one_name ? last : NULL;
}

void store_deleted_on(const struct store *s, char *buf, size_t bufsz)
{
	/* "2026-12-04T03:12:45Z" -> "2026-12-04 03:12 UTC" */
	if (strlen(s->updated_at) >= 16 && s->updated_at[10] == 'T')
		snprintf(buf, bufsz, "%.10s %.5s UTC", s->updated_at, s->updated_at + 11);
	else
		snprintf(buf, bufsz, "%s", s->updated_at[0] ? s->updated_at : "an unknown date");
}

bool store_ref_matches(const struct store *s, const char *ref)
{
	char project[128];
	const char *name;

	if (strcmp(s->id, ref) == 0)
		return true;
	if (!split_ref(ref, project, sizeof(project), &name))
		return false;
	return by_name(s, project, name) || (!project[0] && by_prefix(s, ref));
}

static void ambiguous(const struct store_list *l, const char *shown, bool names,
		      const char *project, const char *ref, size_t n, struct err *err)
{
	struct buf b = BUF_INIT;
	size_t listed = 0;

	buf_printf(&b, "\"%s\" names %zu stores: ", shown, n);
	for (size_t i = 0; i < l->n && listed < 5; i++) {
		const struct store *s = &l->v[i];

		if (names ? !by_name(s, project, ref) : !by_prefix(s, ref))
			continue;
		buf_printf(&b, "%s%s/%s (%s)", listed++ ? ", " : "", s->project, s->name, s->id);
	}
	if (n > listed)
		buf_printf(&b, " and %zu more", n - listed);
	buf_printf(&b, "; give %s", names ? "PROJECT/NAME or the id" : "more of the id");
	err_set(err, "%s", buf_str(&b));
	buf_free(&b);
}

/* No store has that name: the names that start with it, as git suggests
 * a command ("sh" for shop1 and shop2). */
static void not_found(const struct store_list *l, const char *shown, const char *project,
		      const char *name, const char *ref, struct err *err)
{
	struct buf b = BUF_INIT;
	size_t n = 0;

	buf_printf(&b, "no store \"%s\"", shown);
	/* it may have been meant as the start of an id: say why it is not one */
	if (!project[0] && *name && short_hex(name))
		buf_printf(&b, " (an id prefix takes at least %d characters)",
			   STORE_REF_MIN_PREFIX);
	for (size_t i = 0; i < l->n && *name; i++) {
		const struct store *s = &l->v[i];

		if (is_deleted(s) || !str_has_prefix(s->name, name) ||
		    (project[0] && strcmp(s->project, project) != 0))
			continue;
		if (n++ < 5)
			buf_printf(&b, "%s%s/%s", n == 1 ? "; did you mean " : ", ", s->project,
				   s->name);
	}
	if (n > 5)
		buf_printf(&b, " (or %zu more)", n - 5);
	if (n)
		buf_putc(&b, '?');
	if (!n && *name) {
		size_t nd;
		const struct store *d = deleted_pick(l, project, name, ref, &nd);
		char on[40];

		if (d) {
			store_deleted_on(d, on, sizeof(on));
			buf_printf(&b, ": %s/%s (%s) was deleted on %s", d->project, d->name, d->id,
				   on);
		} else if (nd) {
			buf_printf(&b, ": %zu deleted stores answer to it", nd);
		}
	}
	err_set(err, "%s", buf_str(&b));
	buf_free(&b);
}

const struct store *store_ref_pick(const struct store_list *l, const char *ref, struct err *err)
{
	char shown[80], project[128];
	const struct store *found = NULL;
	const char *name;
	size_t n = 0;

	str_copy_clean(shown, sizeof(shown), ref ? ref : "");
	if (!ref || !*ref) {
		err_set(err, "no store named: give its id, its name or PROJECT/NAME");
		return NULL;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].id, ref) == 0)
			return &l->v[i];
	}
	if (!split_ref(ref, project, sizeof(project), &name) || !*name) {
		err_set(err,
			"no store \"%s\": a store is named by its id, its name or PROJECT/NAME",
			shown);
		return NULL;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (by_name(&l->v[i], project, name) && n++ == 0)
			found = &l->v[i];
	}
	if (n > 1) {
		ambiguous(l, shown, true, project, name, n, err);
		return NULL;
	}
	if (n == 1)
		return found;
	for (size_t i = 0; i < l->n && !project[0]; i++) {
		if (by_prefix(&l->v[i], ref) && n++ == 0)
			found = &l->v[i];
	}
	if (n > 1) {
		ambiguous(l, shown, false, project, ref, n, err);
		return NULL;
	}
	if (n == 1)
		return found;
	not_found(l, shown, project, name, ref, err);
	return NULL;
}

const struct store *store_ref_pick_any(const struct store_list *l, const char *ref,
				       struct err *err)
{
	struct err live = {{0}};
	const struct store *s = store_ref_pick(l, ref, &live);
	char project[128];
	const char *name;
	size_t n;

	if (s || !ref || !*ref || !split_ref(ref, project, sizeof(project), &name) || !*name) {
		if (!s)
			err_set(err, "%s", live.msg);
		return s;
	}
	/* a live store that answers (even ambiguously) goes first */
	for (size_t i = 0; i < l->n; i++) {
		if (by_name(&l->v[i], project, name) || (!project[0] && by_prefix(&l->v[i], ref))) {
			err_set(err, "%s", live.msg);
			return NULL;
		}
	}
	s = deleted_pick(l, project, name, ref, &n);
	if (s)
		return s;
	if (n > 1) {
		struct buf b = BUF_INIT;
		char shown[80];
		size_t listed = 0;

		str_copy_clean(shown, sizeof(shown), ref);
		buf_printf(&b, "\"%s\" names %zu deleted stores: ", shown, n);
		for (size_t i = 0; i < l->n && listed < 5; i++) {
			const struct store *d = &l->v[i];

			if (deleted_answers(d, project, name, ref))
				buf_printf(&b, "%s%s/%s (%s)", listed++ ? ", " : "", d->project,
					   d->name, d->id);
		}
		if (n > listed)
			buf_printf(&b, " and %zu more", n - listed);
		buf_printf(&b, "; give PROJECT/NAME or the id");
		err_set(err, "%s", buf_str(&b));
		buf_free(&b);
		return NULL;
	}
	err_set(err, "%s", live.msg);
	return NULL;
}

void store_ref_short(const struct store_list *l, const struct store *s, char *buf, size_t bufsz)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct store *o = &l->v[i];

		if (o != s && !is_deleted(o) && strcmp(o->name, s->name) == 0) {
			snprintf(buf, bufsz, "%s/%s", s->project, s->name);
			return;
		}
	}
	snprintf(buf, bufsz, "%s", s->name);
}

size_t store_ref_complete(const struct store_list *l, const char *prefix, char ***out)
{
	size_t n = 0, cap = 0;
	char word[160];

	*out = NULL;
	for (size_t i = 0; l && i < l->n; i++) {
		const struct store *s = &l->v[i];
		char *cand;

		if (is_deleted(s))
			continue;
		store_ref_short(l, s, word, sizeof(word));
		if (!str_has_prefix(word, prefix) && strchr(prefix, '/'))
			snprintf(word, sizeof(word), "%s/%s", s->project, s->name);
		if (str_has_prefix(word, prefix) || str_has_prefix(s->name, prefix))
			cand = xasprintf("%s\t%s", word, s->id);
		else if (*prefix && str_has_prefix(s->id, prefix))
			cand = xasprintf("%s\t%s", s->id, word);
		else
			continue;
		*out = xgrow(*out, &cap, n + 1, sizeof(**out));
		(*out)[n++] = cand;
	}
	return n;
}
