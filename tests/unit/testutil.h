/* Helpers shared by the unit tests: a private temporary directory that
 * stands in for $XDG_CONFIG_HOME, small files written into it, and the
 * shipped data directory. */
#ifndef OPSDECK_TESTS_UNIT_TESTUTIL_H
#define OPSDECK_TESTS_UNIT_TESTUTIL_H

#include <stdbool.h>

/* Makes a fresh directory, points XDG_CONFIG_HOME at it and makes sure
 * OPSDECK_DATADIR names the source tree. Returns its path (static storage). */
const char *testutil_setup_home(void);
/* Removes the directory made by testutil_setup_home() and everything in it. */
void testutil_teardown_home(void);
/* Writes text to <home>/<rel>, creating directories; returns the full path
 * (caller frees). Aborts the test program on failure. */
char *testutil_write(const char *rel, const char *text);
/* Removes <home>/<rel> if it exists. */
void testutil_remove(const char *rel);
/* True if s starts with prefix. */
bool testutil_prefix(const char *s, const char *prefix);

#endif
