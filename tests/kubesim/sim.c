#include "config.h"

#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

void sim_init(struct sim *s, const struct sim_opts *opt)
{
	pthread_condattr_t ca;

	memset(s, 0, sizeof(*s));
	s->opt = *opt;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	/* Timed waits measure monotonic time so a wall-clock step cannot stall streams. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->changed, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&s->stopping, false);
	s->rng = opt->seed ? opt->seed : 0x9e3779b97f4a7c15ULL;
	s->speed = opt->speed > 0 ? opt->speed : 1.0;
	s->base_mono_ms = sim_mono_ms();
	s->base_sim_ms = 1000; /* never 0: 0 means "no due time" to the controllers */
	s->faults.error_code = 500;
	s->faults.error_count = -1;
	snprintf(s->faults.path_prefix, sizeof(s->faults.path_prefix), "/api");
	s->ip_next = 2;
}

void sim_destroy(struct sim *s)
{
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
}

int64_t sim_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t sim_wall_ms(void)
{
	return sim_wall_ns() / 1000000LL;
}

int64_t sim_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000LL;
}

int64_t sim_clock_ms(const struct sim *s)
{
	return s->base_sim_ms + (int64_t)((double)(sim_mono_ms() - s->base_mono_ms) * s->speed);
}

void sim_set_speed(struct sim *s, double factor)
{
	int64_t now = sim_clock_ms(s);

	s->base_sim_ms = now;
	s->base_mono_ms = sim_mono_ms();
	s->speed = factor;
	sim_broadcast(s);
}

/* splitmix64: small, fast, and good enough for simulated names and faults. */
uint64_t sim_rand(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double sim_rand01(struct sim *s)
{
	return (double)(sim_rand(s) >> 11) / 9007199254740992.0;
}

void sim_uid(struct sim *s, char out[37])
{
	uint64_t a = sim_rand(s), b = sim_rand(s);

	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a >> 16) & 0xffffu, (unsigned)a & 0xfffu,
		 0x8000u | ((unsigned)(b >> 48) & 0x3fffu),
		 (unsigned long long)(b & 0xffffffffffffULL));
}

void sim_suffix(struct sim *s, char *out, size_t n)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[sim_rand(s) % (sizeof(alphabet) - 1)];
	out[n] = '\0';
}

void sim_fmt_time(int64_t wall_ms, char out[32])
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sim_fmt_time_ns(int64_t wall_ns, char out[40])
{
	time_t t = (time_t)(wall_ns / 1000000000LL);
	struct tm tm;
	char base[24];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%09lldZ", base, (long long)(wall_ns % 1000000000LL));
}

static bool parse_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Go's time.Parse(time.RFC3339, ...), which is what the API server reads
 * times with: a 4-digit year, an upper-case T and Z, an hour of one or two
 * digits, a date that exists, seconds below 60, a fraction after '.' or ','
 * of any length, an offset of at most 24 hours and 60 minutes. Years 0000 to
 * 9999 reach beyond what int64 nanoseconds hold (1677 to 2262): those
 * saturate rather than wrap. */
bool sim_parse_time(const char *s, int64_t *wall_ns)
{
	/* Whole seconds that keep secs * 1e9 + 999999999 inside int64. */
	const int64_t max_secs = INT64_MAX / 1000000000LL - 1;
	int y, mo, d, h, mi, sec;
	long long frac = 0;
	int frac_digits = 0;
	int64_t offset = 0, secs;

	if (!parse_digits(&s, 4, &y) || *s++ != '-' || !parse_digits(&s, 2, &mo) || *s++ != '-' ||
	    !parse_digits(&s, 2, &d) || *s++ != 'T')
		return false;
	/* Go reads the hour ("15") as one or two digits. */
	if (!parse_digits(&s, 2, &h) && !parse_digits(&s, 1, &h))
		return false;
	if (*s++ != ':' || !parse_digits(&s, 2, &mi) || *s++ != ':' || !parse_digits(&s, 2, &sec))
		return false;
	if ((*s == '.' || *s == ',') && s[1] >= '0' && s[1] <= '9') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (frac_digits < 9) {
				frac = frac * 10 + (*s - '0');
				frac_digits++;
			}
			s++;
		}
		while (frac_digits < 9) {
			frac *= 10;
			frac_digits++;
		}
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int oh, om;
		int sign = *s == '-' ? -1 : 1;

		s++;
		if (!parse_digits(&s, 2, &oh) || *s++ != ':' || !parse_digits(&s, 2, &om))
			return false;
		/* Go tests these with > rather than >=: +24:00 and +01:60 pass. */
		if (oh > 24 || om > 60)
			return false;
		offset = sign * (oh * 3600L + om * 60L);
	} else {
		return false;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return false;
	secs = days_from_civil(y, mo, d) * 86400 + h * 3600L + mi * 60L + sec - offset;
	if (secs > max_secs)
		secs = max_secs;
	else if (secs < -max_secs)
		secs = -max_secs;
	*wall_ns = secs * 1000000000LL + frac;
	return true;
}

void sim_wait(struct sim *s, long ms)
{
	struct timespec ts;

	if (ms < 0)
		ms = 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->changed, &s->lock, &ts);
}

void sim_broadcast(struct sim *s)
{
	pthread_cond_broadcast(&s->changed);
}

uint32_t sim_fnv32(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}
