/* Text from outside (a broker's payloads and names, a job's error) made
 * safe to show on a terminal. */
#ifndef OPSDECK_SRC_TEXTESC_H
#define OPSDECK_SRC_TEXTESC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends s (len bytes) to out with control characters escaped (\n, \t,
 * \r, \xNN, a backslash doubled), C1 controls and invalid UTF-8 bytes
 * as \xNN, cut at max bytes of output with "..." marking the cut; true if
 * it cut. What it writes reads back as one text only. */
bool text_escape(const char *s, size_t len, size_t max, struct buf *out);

#endif
