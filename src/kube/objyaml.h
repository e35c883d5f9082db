/* A Kubernetes object as `kubectl get -o yaml` shows it, for the console's
 * drill into a store's objects, and an object's events as its drill lists
 * them. Pure code: no I/O.
 *
 *  - objyaml_render writes keys sorted, sequences under a key not indented
 *    (as kubectl's YAML does), metadata.managedFields left out (as kubectl
 *    does by default) and strings quoted whenever YAML would read them as
 *    something else. Control characters never reach the text: they are
 *    escaped in double quotes.
 *  - Of a Secret, every value of data and stringData is replaced by a
 *    placeholder, "<hidden: 24 bytes>", and so is the last-applied
 *    annotation (it holds the same values): reading values is the audited
 *    reveal's job, never a view's.
 *  - objevents_read takes an EventList and gives its events oldest first,
 *    so that the newest is last, next to where the eye ends. */
#ifndef OPSDECK_KUBE_OBJYAML_H
#define OPSDECK_KUBE_OBJYAML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "util.h"

/* Appends the YAML of obj (any JSON value) to out. */
void objyaml_render(const json_t *obj, struct buf *out);
/* The same from JSON text; false with err set if it is not JSON. */
bool objyaml_render_text(const char *json, size_t len, struct buf *out, struct err *err);

struct objevent {
	time_t at;	       /* last seen; 0 if the event has no time */
	unsigned long long rv; /* its resourceVersion as a number, 0 if none */
	long count;
	bool warning;
	char *type;   /* "Normal", "Warning" */
	char *reason; /* "Scheduled" */
	char *message;
};

struct objevent_list {
	struct objevent *v; /* oldest first */
	size_t n;
};

/* The items of an EventList (a JSON object with "items", or an array of
 * events); anything that is not an event is skipped. */
void objevents_read(const json_t *list, struct objevent_list *out);
void objevents_free(struct objevent_list *l);

#endif
