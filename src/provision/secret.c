#include "config.h"

#include "provision/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void secret_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

/* Fills buf with n bytes from /dev/urandom (which never blocks once the
 * kernel's pool is seeded, and never returns short of an error). */
static bool random_bytes(unsigned char *buf, size_t n, struct err *err)
{
	int fd, e;
	size_t got = 0;

	do
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		err_set(err, "cannot open /dev/urandom: %s", strerror(errno));
		return false;
	}
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : 0;
			close(fd);
			err_set(err, "cannot read /dev/urandom: %s",
				e ? strerror(e) : "end of file");
			return false;
		}
		got += (size_t)r;
	}
	close(fd);
	return true;
}

bool secret_generate(char *out, size_t outsz, size_t n, struct err *err)
{
	static const char alphabet[] = SECRET_ALPHABET;
	const size_t k = sizeof(alphabet) - 1; /* 62 */
	/* The largest multiple of k that fits in a byte: bytes at or above it
	 * are dropped, so every character is equally likely. */
	const unsigned limit = (unsigned)(256 / k * k); /* 248 */
	unsigned char pool[64];
	size_t have = 0, used = 0, i = 0;

	if (!out || n < SECRET_MIN_LEN || n >= outsz) {
		if (out && outsz)
			secret_wipe(out, outsz);
		err_set(err, "a generated secret is at least %d characters and must fit its buffer",
			SECRET_MIN_LEN);
		return false;
	}
	while (i < n) {
		if (used == have) {
			if (!random_bytes(pool, sizeof(pool), err)) {
				secret_wipe(pool, sizeof(pool));
				secret_wipe(out, outsz);
				return false;
			}
			have = sizeof(pool);
			used = 0;
		}
		if (pool[used] < limit)
			out[i++] = alphabet[pool[used] % k];
		used++;
	}
	out[n] = '\0';
	secret_wipe(pool, sizeof(pool));
	return true;
}
