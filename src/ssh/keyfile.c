#include "config.h"

#include "ssh/keyfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "util.h"

#define KEYFILE_MAX (64 * 1024)

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* openssh-key-v1: magic, cipher name, kdf name, kdf options, key count, then
 * the first public key whose first string is its type. */
static void inspect_openssh(const unsigned char *b, size_t n, struct keyfile_info *info)
{
	static const char magic[] = "openssh-key-v1";
	size_t off = sizeof(magic);
	uint32_t len;

	if (n < off || memcmp(b, magic, sizeof(magic)) != 0)
		return;
	for (int field = 0; field < 3; field++) {
		if (off + 4 > n)
			return;
		len = be32(b + off);
		off += 4;
		if (len > n - off)
			return;
		if (field == 0)
			info->encrypted = !(len == 4 && memcmp(b + off, "none", 4) == 0);
		off += len;
	}
	/* key count, then the public key blob's length and its type string */
	if (off + 12 > n)
		return;
	off += 8;
	len = be32(b + off);
	off += 4;
	if (len > 0 && len < sizeof(info->type) && len <= n - off) {
		memcpy(info->type, b + off, len);
		info->type[len] = '\0';
		for (char *p = info->type; *p; p++) {
			if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
				*p = '?';
		}
	}
}

void keyfile_inspect_text(const char *text, size_t len, struct keyfile_info *info)
{
	static const char oss[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	const char *body;

	memset(info, 0, sizeof(*info));
	info->readable = true;
	if (len >= sizeof(oss) - 1 && memcmp(text, oss, sizeof(oss) - 1) == 0) {
		unsigned char blob[512];
		size_t n;

		body = text + sizeof(oss) - 1;
		n = b64_decode_prefix(body, len - (size_t)(body - text), blob, sizeof(blob));
		inspect_openssh(blob, n, info);
		/* an unencrypted key's private half starts within these bytes */
		explicit_bzero(blob, sizeof(blob));
		return;
	}
	if (len >= 31 && memcmp(text, "-----BEGIN RSA PRIVATE KEY-----", 31) == 0)
		str_copy(info->type, sizeof(info->type), "ssh-rsa");
	else if (len >= 30 && memcmp(text, "-----BEGIN EC PRIVATE KEY-----", 30) == 0)
		str_copy(info->type, sizeof(info->type), "ecdsa");
	else if (len >= 37 && memcmp(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37) == 0)
		info->encrypted = true;
	if (memmem(text, len, "Proc-Type: 4,ENCRYPTED", 22))
		info->encrypted = true;
}

void keyfile_inspect(const char *path, struct keyfile_info *info)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	memset(info, 0, sizeof(*info));
	if (!f)
		return;
	buf = xmalloc(KEYFILE_MAX);
	n = fread(buf, 1, KEYFILE_MAX, f);
	fclose(f);
	keyfile_inspect_text(buf, n, info);
	explicit_bzero(buf, n);
	free(buf);
	if (!info->type[0]) {
		char *pub = xasprintf("%s.pub", path);
		char word[32];

		f = fopen(pub, "r");
		free(pub);
		if (f) {
			if (fscanf(f, "%31s", word) == 1)
				str_copy(info->type, sizeof(info->type), word);
			fclose(f);
		}
	}
}
