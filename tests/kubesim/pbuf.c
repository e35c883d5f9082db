#include "config.h"

#include "pbuf.h"

#include <string.h>

/* The four bytes every Kubernetes protobuf body starts with. */
static const unsigned char k8s_magic[4] = {'k', '8', 's', 0};

void pb_reader_init(struct pb_reader *rd, const void *data, size_t len)
{
	rd->p = data;
	rd->end = rd->p + len;
}

static bool read_varint(struct pb_reader *rd, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (rd->p >= rd->end)
			return false;
		v |= (uint64_t)(*rd->p & 0x7f) << shift;
		if (!(*rd->p++ & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false; /* more than ten bytes */
}

int pb_next(struct pb_reader *rd, struct pb_field *f, struct err *err)
{
	uint64_t key, len;
	size_t width;

	memset(f, 0, sizeof(*f));
	if (rd->p >= rd->end)
		return 0;
	if (!read_varint(rd, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX) {
		err_set(err, "protobuf: bad field key");
		return -1;
	}
	f->num = (uint32_t)(key >> 3);
	f->wire = (enum pb_wire)(key & 7);
	switch (f->wire) {
	case PB_VARINT:
		if (!read_varint(rd, &f->varint)) {
			err_set(err, "protobuf: field %u: bad varint", f->num);
			return -1;
		}
		return 1;
	case PB_BYTES:
		if (!read_varint(rd, &len) || len > (uint64_t)(rd->end - rd->p)) {
			err_set(err, "protobuf: field %u: length beyond the message", f->num);
			return -1;
		}
		f->data = rd->p;
		f->len = (size_t)len;
		rd->p += len;
		return 1;
	case PB_FIXED64:
	case PB_FIXED32:
		width = f->wire == PB_FIXED64 ? 8 : 4;
		if ((size_t)(rd->end - rd->p) < width) {
			err_set(err, "protobuf: field %u: truncated", f->num);
			return -1;
		}
		rd->p += width;
		return 1;
	}
	err_set(err, "protobuf: field %u: unsupported wire type %d", f->num, (int)f->wire);
	return -1;
}

/* Copies a string field; false if it does not fit or holds a NUL. */
static bool field_str(const struct pb_field *f, char *dst, size_t dstsz)
{
	if (f->wire != PB_BYTES || f->len >= dstsz || memchr(f->data, 0, f->len))
		return false;
	memcpy(dst, f->data, f->len);
	dst[f->len] = '\0';
	return true;
}

/* runtime.Unknown: 1 TypeMeta {1 apiVersion, 2 kind}, 2 raw,
 * 3 contentEncoding, 4 contentType. */
bool pb_unwrap(const void *body, size_t len, struct pb_object *out, struct err *err)
{
	struct pb_reader rd, tm;
	struct pb_field f, g;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(k8s_magic) || memcmp(body, k8s_magic, sizeof(k8s_magic)) != 0) {
		err_set(err, "protobuf: the body does not start with the k8s envelope");
		return false;
	}
	pb_reader_init(&rd, (const unsigned char *)body + sizeof(k8s_magic),
		       len - sizeof(k8s_magic));
	while ((rc = pb_next(&rd, &f, err)) > 0) {
		if (f.num == 1 && f.wire == PB_BYTES) {
			pb_reader_init(&tm, f.data, f.len);
			while ((rc = pb_next(&tm, &g, err)) > 0) {
				if ((g.num == 1 &&
				     !field_str(&g, out->api_version, sizeof(out->api_version))) ||
				    (g.num == 2 && !field_str(&g, out->kind, sizeof(out->kind)))) {
					err_set(err, "protobuf: bad TypeMeta");
					return false;
				}
			}
			if (rc < 0)
				return false;
		} else if (f.num == 2 && f.wire == PB_BYTES) {
			out->raw = f.data;
			out->raw_len = f.len;
		} else if (f.num == 3 && f.wire == PB_BYTES && f.len > 0) {
			err_set(err, "protobuf: content encodings are not supported");
			return false;
		}
	}
	if (rc < 0)
		return false;
	if (!out->kind[0] || !out->raw) {
		err_set(err, "protobuf: the envelope has no kind or no object");
		return false;
	}
	return true;
}
