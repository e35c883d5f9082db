#include "config.h"

#include "jsonget.h"

const char *json_get_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

long json_get_count(const json_t *o, const char *key, long def)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!json_is_integer(v))
		return def;
	n = json_integer_value(v);
	if (n < 0)
		return 0;
	return n > JSON_GET_MAX ? JSON_GET_MAX : (long)n;
}
