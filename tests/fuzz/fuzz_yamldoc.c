/* libFuzzer target: the YAML document loader, both readings (one document;
 * the first document, as kubectl). Any input must either load into a tree
 * whose every node has a position, or fail with a message; never crash, leak
 * or recurse without bound. An input the strict reading accepts, the first-
 * document reading accepts as the same tree. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_node(const struct ynode *n)
{
	if (n->line == 0 || n->column == 0)
		abort();
	switch (n->type) {
	case YNODE_SCALAR:
		if (!n->scalar)
			abort();
		break;
	case YNODE_MAP:
		for (size_t i = 0; i < n->len; i++) {
			if (n->keys[i]->type != YNODE_SCALAR)
				abort();
			/* Keys are unique: the loader refuses duplicates. */
			if (ynode_get(n, n->keys[i]->scalar) != n->items[i])
				abort();
			check_node(n->items[i]);
		}
		break;
	case YNODE_SEQ:
		for (size_t i = 0; i < n->len; i++)
			check_node(n->items[i]);
		break;
	}
}

/* Same shape, text and positions. */
static void check_same(const struct ynode *a, const struct ynode *b)
{
	if (!a || !b) {
		if (a != b)
			abort();
		return;
	}
	if (a->type != b->type || a->line != b->line || a->column != b->column ||
	    a->len != b->len || a->quoted != b->quoted ||
	    (a->scalar && strcmp(a->scalar, b->scalar) != 0))
		abort();
	for (size_t i = 0; i < a->len; i++) {
		if (a->keys)
			check_same(a->keys[i], b->keys[i]);
		check_same(a->items[i], b->items[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = { "" }, ferr = { "" };
	struct ydoc *doc = ydoc_load_string("fuzz.yaml", (const char *)data, size, &err);
	/* kubectl's reading of the same input */
	struct ydoc *first = ydoc_load_first_string("fuzz.yaml", (const char *)data, size, &ferr);

	if (first && first->root)
		check_node(first->root);
	else if (!first && strncmp(ferr.msg, "fuzz.yaml:", 10) != 0)
		abort();
	if (!doc) {
		/* A failure always says where and why. */
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
			abort();
		ydoc_free(first);
		return 0;
	}
	if (doc->root)
		check_node(doc->root);
	/* A stream of one good document reads the same either way. */
	if (!first)
		abort();
	check_same(doc->root, first->root);
	ydoc_free(first);
	ydoc_free(doc);
	return 0;
}
