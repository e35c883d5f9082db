#include "config.h"

#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

void apierr_set(struct apierr *e, int code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->reason = reason;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void apierr_clear(struct apierr *e)
{
	json_decref(e->details);
	memset(e, 0, sizeof(*e));
}

static json_t *details_for(const struct restype *rt, const char *name)
{
	json_t *d = json_object();

	if (name)
		json_object_set_new(d, "name", json_string(name));
	if (rt->group[0])
		json_object_set_new(d, "group", json_string(rt->group));
	json_object_set_new(d, "kind", json_string(rt->plural));
	return d;
}

void apierr_not_found(struct apierr *e, const struct restype *rt, const char *name)
{
	char q[96];

	apierr_set(e, 404, "NotFound", "%s \"%s\" not found", restype_qualified(rt, q, sizeof(q)),
		   name);
	json_decref(e->details);
	e->details = details_for(rt, name);
}

void apierr_exists(struct apierr *e, const struct restype *rt, const char *name)
{
	char q[96];

	apierr_set(e, 409, "AlreadyExists", "%s \"%s\" already exists",
		   restype_qualified(rt, q, sizeof(q)), name);
	json_decref(e->details);
	e->details = details_for(rt, name);
}

void apierr_conflict(struct apierr *e, const struct restype *rt, const char *name)
{
	char q[96];

	apierr_set(e, 409, "Conflict",
		   "Operation cannot be fulfilled on %s \"%s\": the object has been modified; "
		   "please apply your changes to the latest version and try again",
		   restype_qualified(rt, q, sizeof(q)), name);
	json_decref(e->details);
	e->details = details_for(rt, name);
}

void apierr_bad_request(struct apierr *e, const char *fmt, ...)
{
	va_list ap;

	e->code = 400;
	e->reason = "BadRequest";
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void apierr_invalid_add(struct apierr *e, const char *reason, const char *field, const char *fmt,
			...)
{
	va_list ap;
	char msg[1024];
	json_t *causes;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!e->details)
		e->details = json_object();
	causes = json_object_get(e->details, "causes");
	if (!causes) {
		causes = json_array();
		json_object_set_new(e->details, "causes", causes);
	}
	json_array_append_new(
	    causes, json_pack("{s:s, s:s, s:s}", "reason", reason, "message", msg, "field", field));
}

bool apierr_invalid_finish(struct apierr *e, const struct restype *rt, const char *name)
{
	json_t *causes = e->details ? json_object_get(e->details, "causes") : NULL, *c;
	struct buf b = BUF_INIT;
	size_t i;

	if (!json_array_size(causes))
		return false;
	if (rt->group[0])
		buf_printf(&b, "%s.%s \"%s\" is invalid: ", rt->kind, rt->group, name);
	else
		buf_printf(&b, "%s \"%s\" is invalid: ", rt->kind, name);
	if (json_array_size(causes) > 1)
		buf_putc(&b, '[');
	json_array_foreach(causes, i, c)
	{
		buf_printf(&b, "%s%s: %s", i ? ", " : "",
			   json_string_value(json_object_get(c, "field")),
			   json_string_value(json_object_get(c, "message")));
	}
	if (json_array_size(causes) > 1)
		buf_putc(&b, ']');
	e->code = 422;
	e->reason = "Invalid";
	snprintf(e->msg, sizeof(e->msg), "%s", buf_str(&b));
	buf_free(&b);
	json_object_set_new(e->details, "name", json_string(name));
	if (rt->group[0])
		json_object_set_new(e->details, "group", json_string(rt->group));
	json_object_set_new(e->details, "kind", json_string(rt->kind));
	return true;
}

json_t *status_json(const struct apierr *e)
{
	json_t *st =
	    json_pack("{s:s, s:s, s:{}}", "kind", "Status", "apiVersion", "v1", "metadata");

	if (!e || !e->code) {
		json_object_set_new(st, "status", json_string("Success"));
		return st;
	}
	json_object_set_new(st, "status", json_string("Failure"));
	json_object_set_new(st, "message", json_string(e->msg));
	if (e->reason)
		json_object_set_new(st, "reason", json_string(e->reason));
	if (e->details)
		json_object_set(st, "details", e->details);
	json_object_set_new(st, "code", json_integer(e->code));
	return st;
}

json_t *status_success(const struct restype *rt, const char *name, const char *uid)
{
	json_t *st = json_pack("{s:s, s:s, s:{}, s:s, s:o}", "kind", "Status", "apiVersion", "v1",
			       "metadata", "status", "Success", "details", details_for(rt, name));

	if (uid)
		json_object_set_new(json_object_get(st, "details"), "uid", json_string(uid));
	return st;
}
