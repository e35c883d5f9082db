/* Just enough of the protobuf wire format to read what kubectl's typed
 * clients send (Content-Type: application/vnd.kubernetes.protobuf): the
 * "k8s\0" envelope, a runtime.Unknown holding the type and the raw object,
 * and a field reader for the object itself. kubesim answers in JSON, which
 * those clients accept too, so nothing here encodes. */
#ifndef OPSDECK_KUBESIM_PBUF_H
#define OPSDECK_KUBESIM_PBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PB_MEDIA_TYPE "application/vnd.kubernetes.protobuf"

enum pb_wire { PB_VARINT = 0, PB_FIXED64 = 1, PB_BYTES = 2, PB_FIXED32 = 5 };

/* A message being read: the bytes left. */
struct pb_reader {
	const unsigned char *p, *end;
};

struct pb_field {
	uint32_t num;
	enum pb_wire wire;
	uint64_t varint;	   /* PB_VARINT */
	const unsigned char *data; /* PB_BYTES: the bytes, not terminated */
	size_t len;
};

void pb_reader_init(struct pb_reader *rd, const void *data, size_t len);
/* The next field: 1, 0 at the end of the message, -1 (err set) for bytes
 * that are not a well-formed message. Fixed-width fields are skipped over
 * but still returned (without their value). */
int pb_next(struct pb_reader *rd, struct pb_field *f, struct err *err);

/* The object inside a Kubernetes protobuf body: its TypeMeta and raw
 * bytes (pointing into body). */
struct pb_object {
	char api_version[128];
	char kind[128];
	const unsigned char *raw;
	size_t raw_len;
};
bool pb_unwrap(const void *body, size_t len, struct pb_object *out, struct err *err);

#endif
