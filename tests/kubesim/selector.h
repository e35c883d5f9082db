/* Label selectors (the string form of ?labelSelector= and the LabelSelector
 * objects of workloads) and field selectors (?fieldSelector=), with the
 * grammar and the refusals of the real API server. */
#ifndef OPSDECK_KUBESIM_SELECTOR_H
#define OPSDECK_KUBESIM_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "restype.h"
#include "util.h"

enum sel_op { SEL_EQ, SEL_NE, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOTEXISTS, SEL_GT, SEL_LT };

struct sel_req {
	char *key;
	enum sel_op op;
	char **vals;
	size_t nvals;
};

struct selector {
	struct sel_req *reqs;
	size_t n;
	bool nothing; /* a LabelSelector that selects nothing (null) */
};

/* "app=web,tier in (a,b),!legacy"; empty selects everything. */
bool selector_parse(const char *s, struct selector *out, struct err *err);
/* A metav1.LabelSelector object (matchLabels, matchExpressions). A JSON null
 * or missing selector selects nothing; {} selects everything. */
bool selector_from_json(const json_t *ls, struct selector *out, struct err *err);
bool selector_match(const struct selector *sel, const json_t *labels);
void selector_free(struct selector *sel);
/* The string form of a LabelSelector object, as Scale.status.selector. */
char *selector_json_string(const json_t *ls);

struct field_term {
	char *field;
	bool neg;
	char *value;
};

struct fieldsel {
	struct field_term *terms;
	size_t n;
};

/* "metadata.name=x,status.phase!=Running"; rt decides which fields exist. */
bool fieldsel_parse(const char *s, const struct restype *rt, struct fieldsel *out, struct err *err);
/* fields: the flat map from store_fields_of. */
bool fieldsel_match(const struct fieldsel *fs, const json_t *fields);
void fieldsel_free(struct fieldsel *fs);

/* Validation shared with object validation: RFC 1123 label / subdomain,
 * label keys and values. Each returns NULL if fine, else the reason. */
const char *valid_dns_label(const char *s);
const char *valid_dns_subdomain(const char *s);
const char *valid_label_key(const char *s);
const char *valid_label_value(const char *s);

#endif
