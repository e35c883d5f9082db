/* Base64 (RFC 4648, standard alphabet) for kubeconfig *-data fields, the
 * ExecCredential cluster info, Secrets and key files. Decoding accepts padded or unpadded input and
 * ignores line breaks, as kubeconfig files written by hand often wrap. */
#ifndef OPSDECK_SRC_B64_H
#define OPSDECK_SRC_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes text into a new NUL-terminated buffer (*out, *outlen without the
 * NUL). Returns false, leaving *out NULL, on a character outside the
 * alphabet or a bad length. */
bool b64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen);
/* Decodes the base64 digits at the start of text, line breaks skipped,
 * into out until a character outside the alphabet (padding, the end line
 * of a PEM block) or until cap bytes: the bytes written. For reading the
 * head of a block without decoding all of it. */
size_t b64_decode_prefix(const char *text, size_t len, unsigned char *out, size_t cap);
/* Encodes data as a new NUL-terminated string; caller frees. */
char *b64_encode(const unsigned char *data, size_t len);

#endif
