/* What a private key file is, read without decrypting it: its key type and
 * whether a passphrase protects it, so that authentication can ask for a
 * passphrase only when one is needed and explain a refused RSA key. */
#ifndef OPSDECK_SRC_SSH_KEYFILE_H
#define OPSDECK_SRC_SSH_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

struct keyfile_info {
	bool readable;
	bool encrypted;
	char type[32]; /* "ssh-ed25519", "ssh-rsa"...; "" when unknown */
};

/* Inspects the private key at path (and path.pub for its type). */
void keyfile_inspect(const char *path, struct keyfile_info *info);
/* The same for the text of a private key file (a fuzz target's entry). */
void keyfile_inspect_text(const char *text, size_t len, struct keyfile_info *info);

#endif
