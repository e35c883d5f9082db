#include "config.h"

#include "ssh/hostkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void hostkey_fingerprint(const unsigned char hash[32], char out[HOSTKEY_FP_SIZE])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	memcpy(out, "SHA256:", 7);
	o = 7;
	for (size_t i = 0; i < 32; i += 3) {
		unsigned v = (unsigned)hash[i] << 16;
		size_t n = 32 - i < 3 ? 32 - i : 3;

		if (n > 1)
			v |= (unsigned)hash[i + 1] << 8;
		if (n > 2)
			v |= hash[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (n > 1)
			out[o++] = b64[(v >> 6) & 63];
		if (n > 2)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
}

const char *hostkey_type_name(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return "ssh-rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return "ssh-dss";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return "ecdsa-sha2-nistp256";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return "ecdsa-sha2-nistp384";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return "ecdsa-sha2-nistp521";
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return "ssh-ed25519";
	default:
		return "unknown";
	}
}

static int knownhost_key_bits(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
}

/* Line by line, so that one entry libssh2 does not know (a security-key
 * type, @cert-authority) does not make the whole file unusable. A missing
 * file holds no keys. */
static bool read_known_hosts(LIBSSH2_KNOWNHOSTS *kh, const char *path, struct err *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		if (errno == ENOENT)
			return true;
		err_set(err, "cannot read known hosts file %s: %s", path, strerror(errno));
		return false;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[0] != '#' && line[0] != '@')
			(void)libssh2_knownhost_readline(kh, line, (size_t)n,
							 LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	}
	free(line);
	fclose(f);
	return true;
}

static bool record_key(LIBSSH2_KNOWNHOSTS *kh, const char *entry, const char *key, size_t len,
		       int bits, const char *path, struct err *err)
{
	struct libssh2_knownhost *node = NULL;
	char line[8192];
	size_t outlen = 0;
	int fd;
	char *dir, *slash;

	if (libssh2_knownhost_addc(
		kh, entry, NULL, key, len, NULL, 0,
		LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bits, &node) != 0 ||
	    libssh2_knownhost_writeline(kh, node, line, sizeof(line), &outlen,
					LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
		err_set(err, "cannot record the host key for %s", entry);
		return false;
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0700);
	}
	free(dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, outlen) != (ssize_t)outlen) {
		err_set(err, "cannot record the host key in %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

bool hostkey_check(LIBSSH2_SESSION *s, const char *host, int port, char *const *files,
		   size_t nfiles, enum hostkey_policy policy, struct hostkey_result *res,
		   struct err *err)
{
	size_t len = 0;
	int type = 0, bits, rc;
	const char *key = libssh2_session_hostkey(s, &len, &type);
	const char *hash = libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256);
	LIBSSH2_KNOWNHOSTS *kh;
	char entry[300];
	bool ok = false;

	memset(res, 0, sizeof(*res));
	if (!key || !hash) {
		err_set(err, "the server at %s:%d sent no host key", host, port);
		return false;
	}
	str_copy(res->type, sizeof(res->type), hostkey_type_name(type));
	hostkey_fingerprint((const unsigned char *)hash, res->fingerprint);
	bits = knownhost_key_bits(type);
	kh = libssh2_knownhost_init(s);
	if (!kh) {
		err_set(err, "cannot check host keys (out of memory)");
		return false;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (!read_known_hosts(kh, files[i], err))
			goto out;
	}
	rc = libssh2_knownhost_checkp(
	    kh, host, port, key, len,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bits, NULL);
	if (port == 22)
		snprintf(entry, sizeof(entry), "%s", host);
	else
		snprintf(entry, sizeof(entry), "[%s]:%d", host, port);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		ok = true;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		err_set(err,
			"host key mismatch: %s now presents %s key %s, which differs from the key "
			"known for it; refused (someone may be intercepting the connection, or the "
			"host key was changed)",
			entry, res->type, res->fingerprint);
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		if (policy == HOSTKEY_STRICT) {
			err_set(
			    err,
			    "unknown host key: %s presents %s key %s, which is in no known hosts "
			    "file; refused under the strict policy (add it to known_hosts after "
			    "checking it, or use host_key_policy: accept-new)",
			    entry, res->type, res->fingerprint);
			break;
		}
		if (nfiles == 0) {
			err_set(err, "no known hosts file to record the key of %s in", entry);
			break;
		}
		ok = record_key(kh, entry, key, len, bits, files[0], err);
		res->recorded = ok;
		break;
	default:
		err_set(err, "cannot check the host key of %s", entry);
		break;
	}
out:
	libssh2_knownhost_free(kh);
	return ok;
}
