/* libFuzzer target: the YAML document loader. Any input must either load
 * into a tree whose every node has a position, or fail with a message;
 * never crash, leak or recurse without bound. See README.md. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = { "" };
	struct ydoc *doc = ydoc_load_string("fuzz.yaml", (const char *)data, size, &err);

	if (!doc) {
		/* A failure always says where and why. */
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
			abort();
		return 0;
	}
	if (doc->root)
		check_node(doc->root);
	ydoc_free(doc);
	return 0;
}
