/* Host keys of an SSH server checked against OpenSSH known_hosts files
 * (hashed `|1|` entries included), before any authentication. A known key
 * that differs is refused under every policy; an unknown key is refused
 * under strict and recorded in the first file under accept-new. Messages
 * name the key type and its SHA256 fingerprint in OpenSSH's form. */
#ifndef OPSDECK_SRC_SSH_HOSTKEY_H
#define OPSDECK_SRC_SSH_HOSTKEY_H

#include <libssh2.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum hostkey_policy { HOSTKEY_STRICT, HOSTKEY_ACCEPT_NEW };

/* "SHA256:" + unpadded base64 of the 32-byte hash, as `ssh-keygen -l`. */
#define HOSTKEY_FP_SIZE 64
void hostkey_fingerprint(const unsigned char hash[32], char out[HOSTKEY_FP_SIZE]);
/* OpenSSH's name of a libssh2 host key type: "ssh-ed25519", "ecdsa-sha2-nistp256"... */
const char *hostkey_type_name(int libssh2_type);

struct hostkey_result {
	char type[32];
	char fingerprint[HOSTKEY_FP_SIZE];
	bool recorded; /* accept-new wrote the key to known_hosts[0] */
};

/* Checks the session's host key for host:port against the files. Returns
 * false with the reason in words (unknown, changed, unreadable file). */
bool hostkey_check(LIBSSH2_SESSION *s, const char *host, int port, char *const *files,
		   size_t nfiles, enum hostkey_policy policy, struct hostkey_result *res,
		   struct err *err);

#endif
