#include "config.h"

#include "selector.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jutil.h"

static const char msg_label[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char msg_subdomain[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char msg_value[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
static const char msg_name[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

const char *valid_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n > 63)
		return "must be no more than 63 characters";
	return label_ok(s, n) ? NULL : msg_label;
}

const char *valid_dns_subdomain(const char *s)
{
	size_t n = strlen(s);
	const char *p = s;

	if (n > 253)
		return "must be no more than 253 characters";
	if (n == 0)
		return msg_subdomain;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!label_ok(p, len))
			return msg_subdomain;
		if (!dot)
			return NULL;
		p = dot + 1;
	}
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!name_char(s[i]))
			return false;
	}
	return true;
}

const char *valid_label_key(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash) {
		char prefix[256];
		size_t pn = (size_t)(slash - s);

		if (pn == 0 || pn >= sizeof(prefix))
			return "prefix part must be non-empty and at most 253 characters";
		memcpy(prefix, s, pn);
		prefix[pn] = '\0';
		if (valid_dns_subdomain(prefix))
			return "prefix part a lowercase RFC 1123 subdomain must consist of lower "
			       "case "
			       "alphanumeric characters, '-' or '.', and must start and end with "
			       "an "
			       "alphanumeric character";
		s = slash + 1;
	}
	if (strlen(s) > 63)
		return "name part must be no more than 63 characters";
	return name_ok(s, strlen(s)) ? NULL : msg_name;
}

const char *valid_label_value(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return NULL;
	if (n > 63)
		return "must be no more than 63 characters";
	return name_ok(s, n) ? NULL : msg_value;
}

static void req_free(struct sel_req *r)
{
	free(r->key);
	for (size_t i = 0; i < r->nvals; i++)
		free(r->vals[i]);
	free(r->vals);
}

void selector_free(struct selector *sel)
{
	for (size_t i = 0; i < sel->n; i++)
		req_free(&sel->reqs[i]);
	free(sel->reqs);
	memset(sel, 0, sizeof(*sel));
}

static void sel_push(struct selector *sel, struct sel_req *r)
{
	sel->reqs = xrealloc(sel->reqs, (sel->n + 1) * sizeof(*sel->reqs));
	sel->reqs[sel->n++] = *r;
}

static void req_add_val(struct sel_req *r, const char *v, size_t n)
{
	r->vals = xrealloc(r->vals, (r->nvals + 1) * sizeof(*r->vals));
	r->vals[r->nvals++] = xstrndup(v, n);
}

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A key or value token: everything up to a delimiter. */
static size_t token_len(const char *p)
{
	size_t n = 0;

	while (p[n] && !strchr(" \t,=!()<>", p[n]))
		n++;
	return n;
}

static bool parse_values(const char **pp, struct sel_req *r, struct err *err)
{
	const char *p = *pp;

	skip_ws(&p);
	if (*p != '(') {
		err_set(err, "unable to parse requirement: found '%s', expected: '('", p);
		return false;
	}
	p++;
	for (;;) {
		size_t n;

		skip_ws(&p);
		n = token_len(p);
		/* "(a,)" holds an empty value; "()" holds none. */
		if (n || *p == ',' || (*p == ')' && r->nvals))
			req_add_val(r, p, n);
		p += n;
		skip_ws(&p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ')') {
			p++;
			break;
		}
		err_set(err, "unable to parse requirement: found '%s', expected: ',' or ')'",
			*p ? p : "EOF");
		return false;
	}
	*pp = p;
	return true;
}

static bool check_req(const struct sel_req *r, struct err *err)
{
	const char *why = valid_label_key(r->key);

	if (why) {
		err_set(err, "unable to parse requirement: key: Invalid value: \"%s\": %s", r->key,
			why);
		return false;
	}
	for (size_t i = 0; i < r->nvals; i++) {
		if (r->op == SEL_GT || r->op == SEL_LT) {
			long v;

			if (!str_to_long(r->vals[i], -2147483647L, 2147483647L, &v)) {
				err_set(err,
					"unable to parse requirement: values[0]: Invalid value: "
					"\"%s\": for 'Gt', 'Lt' operators, the value must be an "
					"integer",
					r->vals[i]);
				return false;
			}
			continue;
		}
		why = valid_label_value(r->vals[i]);
		if (why) {
			err_set(
			    err,
			    "unable to parse requirement: values[%zu][%s]: Invalid value: \"%s\": "
			    "%s",
			    i, r->key, r->vals[i], why);
			return false;
		}
	}
	if ((r->op == SEL_IN || r->op == SEL_NOTIN) && r->nvals == 0) {
		err_set(err, "unable to parse requirement: for 'in', 'notin' operators, values set "
			     "can't be empty");
		return false;
	}
	return true;
}

bool selector_parse(const char *s, struct selector *out, struct err *err)
{
	const char *p = s ? s : "";

	memset(out, 0, sizeof(*out));
	for (;;) {
		struct sel_req r;
		size_t n;

		memset(&r, 0, sizeof(r));
		skip_ws(&p);
		if (!*p)
			break;
		if (*p == '!') {
			p++;
			skip_ws(&p);
			r.op = SEL_NOTEXISTS;
		} else {
			r.op = SEL_EXISTS;
		}
		n = token_len(p);
		if (n == 0) {
			err_set(err,
				"unable to parse requirement: found '%s', expected: identifier",
				*p ? p : "EOF");
			goto fail;
		}
		r.key = xstrndup(p, n);
		p += n;
		skip_ws(&p);
		if (r.op == SEL_EXISTS) {
			if (p[0] == '=' && p[1] == '=') {
				r.op = SEL_EQ;
				p += 2;
			} else if (p[0] == '=') {
				r.op = SEL_EQ;
				p++;
			} else if (p[0] == '!' && p[1] == '=') {
				r.op = SEL_NE;
				p += 2;
			} else if (p[0] == '>' || p[0] == '<') {
				r.op = p[0] == '>' ? SEL_GT : SEL_LT;
				p++;
			} else if (strncmp(p, "in", 2) == 0 && (p[2] == ' ' || p[2] == '(')) {
				r.op = SEL_IN;
				p += 2;
				if (!parse_values(&p, &r, err))
					goto fail_req;
			} else if (strncmp(p, "notin", 5) == 0 && (p[5] == ' ' || p[5] == '(')) {
				r.op = SEL_NOTIN;
				p += 5;
				if (!parse_values(&p, &r, err))
					goto fail_req;
			} else if (*p && *p != ',') {
				err_set(
				    err,
				    "unable to parse requirement: found '%s', expected: in, notin, "
				    "=, ==, !=, gt, lt",
				    p);
				goto fail_req;
			}
			if (r.op == SEL_EQ || r.op == SEL_NE || r.op == SEL_GT || r.op == SEL_LT) {
				skip_ws(&p);
				n = token_len(p);
				req_add_val(&r, p, n);
				p += n;
			}
		}
		if (!check_req(&r, err))
			goto fail_req;
		sel_push(out, &r);
		skip_ws(&p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p) {
			err_set(err, "found '%s', expected: ',' or 'end of string'", p);
			goto fail;
		}
		break;
	fail_req:
		req_free(&r);
		goto fail;
	}
	return true;
fail:
	selector_free(out);
	return false;
}

bool selector_from_json(const json_t *ls, struct selector *out, struct err *err)
{
	const char *k;
	json_t *v, *exprs;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!ls || json_is_null(ls)) {
		out->nothing = true;
		return true;
	}
	if (!json_is_object(ls)) {
		err_set(err, "selector: must be an object");
		return false;
	}
	json_object_foreach((json_t *)json_object_get(ls, "matchLabels"), k, v)
	{
		struct sel_req r = {xstrdup(k), SEL_EQ, NULL, 0};

		req_add_val(&r, json_is_string(v) ? json_string_value(v) : "",
			    strlen(json_is_string(v) ? json_string_value(v) : ""));
		if (!json_is_string(v) || !check_req(&r, err)) {
			if (!err_isset(err))
				err_set(err, "selector.matchLabels: values must be strings");
			req_free(&r);
			goto fail;
		}
		sel_push(out, &r);
	}
	exprs = json_object_get(ls, "matchExpressions");
	json_array_foreach(exprs, i, v)
	{
		const char *key = jstr(v, "key", NULL), *op = jstr(v, "operator", "");
		json_t *vals = json_object_get(v, "values"), *x;
		struct sel_req r;
		size_t j;

		memset(&r, 0, sizeof(r));
		if (!key) {
			err_set(err, "selector.matchExpressions[%zu].key: Required value", i);
			goto fail;
		}
		if (str_eq(op, "In"))
			r.op = SEL_IN;
		else if (str_eq(op, "NotIn"))
			r.op = SEL_NOTIN;
		else if (str_eq(op, "Exists"))
			r.op = SEL_EXISTS;
		else if (str_eq(op, "DoesNotExist"))
			r.op = SEL_NOTEXISTS;
		else {
			err_set(err,
				"selector.matchExpressions[%zu].operator: Invalid value: \"%s\": "
				"not a valid selector operator",
				i, op);
			goto fail;
		}
		r.key = xstrdup(key);
		json_array_foreach(vals, j, x)
		{
			if (json_is_string(x))
				req_add_val(&r, json_string_value(x), json_string_length(x));
		}
		if (!check_req(&r, err)) {
			req_free(&r);
			goto fail;
		}
		sel_push(out, &r);
	}
	return true;
fail:
	selector_free(out);
	return false;
}

static bool has_val(const struct sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvals; i++) {
		if (strcmp(r->vals[i], v) == 0)
			return true;
	}
	return false;
}

bool selector_match(const struct selector *sel, const json_t *labels)
{
	if (sel->nothing)
		return false;
	for (size_t i = 0; i < sel->n; i++) {
		const struct sel_req *r = &sel->reqs[i];
		json_t *v = json_is_object(labels) ? json_object_get(labels, r->key) : NULL;
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		long a, b;

		switch (r->op) {
		case SEL_EQ:
		case SEL_IN:
			if (!s || !has_val(r, s))
				return false;
			break;
		case SEL_NE:
		case SEL_NOTIN:
			if (s && has_val(r, s))
				return false;
			break;
		case SEL_EXISTS:
			if (!s)
				return false;
			break;
		case SEL_NOTEXISTS:
			if (s)
				return false;
			break;
		case SEL_GT:
		case SEL_LT:
			if (!s || !str_to_long(s, -2147483647L, 2147483647L, &a) ||
			    !str_to_long(r->vals[0], -2147483647L, 2147483647L, &b))
				return false;
			if (r->op == SEL_GT ? !(a > b) : !(a < b))
				return false;
			break;
		}
	}
	return true;
}

char *selector_json_string(const json_t *ls)
{
	struct buf b = BUF_INIT;
	char *ml = jlabels_string(json_object_get(ls, "matchLabels"));
	json_t *exprs = json_object_get(ls, "matchExpressions"), *e;
	size_t i;

	buf_puts(&b, ml);
	free(ml);
	json_array_foreach(exprs, i, e)
	{
		const char *op = jstr(e, "operator", "");
		json_t *vals = json_object_get(e, "values"), *x;
		size_t j;

		if (b.len)
			buf_putc(&b, ',');
		if (str_eq(op, "Exists")) {
			buf_puts(&b, jstr(e, "key", ""));
			continue;
		}
		if (str_eq(op, "DoesNotExist")) {
			buf_printf(&b, "!%s", jstr(e, "key", ""));
			continue;
		}
		buf_printf(&b, "%s %s (", jstr(e, "key", ""), str_eq(op, "In") ? "in" : "notin");
		json_array_foreach(vals, j, x) buf_printf(
		    &b, "%s%s", j ? "," : "", json_string_value(x) ? json_string_value(x) : "");
		buf_putc(&b, ')');
	}
	return buf_steal(&b);
}

/* Field selector values may escape ',', '=' and '\' with a backslash. */
static char *unescape_until(const char **pp, const char *stops, struct err *err)
{
	struct buf b = BUF_INIT;
	const char *p = *pp;

	while (*p && !strchr(stops, *p)) {
		if (*p == '\\') {
			if (p[1] != ',' && p[1] != '=' && p[1] != '\\') {
				err_set(err, "invalid field selector: invalid escape sequence");
				buf_free(&b);
				return NULL;
			}
			p++;
		}
		buf_putc(&b, *p++);
	}
	*pp = p;
	return buf_steal(&b);
}

void fieldsel_free(struct fieldsel *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->terms[i].field);
		free(fs->terms[i].value);
	}
	free(fs->terms);
	memset(fs, 0, sizeof(*fs));
}

bool fieldsel_parse(const char *s, const struct restype *rt, struct fieldsel *out, struct err *err)
{
	const char *p = s ? s : "";

	memset(out, 0, sizeof(*out));
	while (*p) {
		struct field_term t = {NULL, false, NULL};
		const char *start = p;
		size_t fl;

		while (*p && *p != '=' && *p != '!' && *p != ',')
			p++;
		fl = (size_t)(p - start);
		while (fl && start[fl - 1] == ' ')
			fl--;
		if (p[0] == '!' && p[1] == '=') {
			t.neg = true;
			p += 2;
		} else if (p[0] == '=' && p[1] == '=') {
			p += 2;
		} else if (p[0] == '=') {
			p++;
		} else {
			err_set(err, "invalid selector: '%s'; can't understand '%.*s'", s,
				(int)(p - start), start);
			goto fail;
		}
		while (fl && *start == ' ') {
			start++;
			fl--;
		}
		t.field = xstrndup(start, fl);
		if (!restype_field_ok(rt, t.field)) {
			err_set(err, "field label not supported: %s", t.field);
			free(t.field);
			goto fail;
		}
		t.value = unescape_until(&p, ",", err);
		if (!t.value) {
			free(t.field);
			goto fail;
		}
		out->terms = xrealloc(out->terms, (out->n + 1) * sizeof(*out->terms));
		out->terms[out->n++] = t;
		if (*p == ',')
			p++;
	}
	return true;
fail:
	fieldsel_free(out);
	return false;
}

bool fieldsel_match(const struct fieldsel *fs, const json_t *fields)
{
	for (size_t i = 0; i < fs->n; i++) {
		json_t *x = json_object_get(fields, fs->terms[i].field);
		const char *v = json_is_string(x) ? json_string_value(x) : "";

		if ((strcmp(v, fs->terms[i].value) == 0) == fs->terms[i].neg)
			return false;
	}
	return true;
}
