/* Base64 (RFC 4648, standard alphabet) for kubeconfig *-data fields and the
 * ExecCredential cluster info. Decoding accepts padded or unpadded input and
 * ignores line breaks, as kubeconfig files written by hand often wrap. */
#ifndef OPSDECK_KUBE_B64_H
#define OPSDECK_KUBE_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes text into a new NUL-terminated buffer (*out, *outlen without the
 * NUL). Returns false, leaving *out NULL, on a character outside the
 * alphabet or a bad length. */
bool b64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen);
/* Encodes data as a new NUL-terminated string; caller frees. */
char *b64_encode(const unsigned char *data, size_t len);

#endif
