/* Helpers shared by the cmocka unit tests (tests/unit/test-*.c). */

#ifndef UNIT_UTIL_H
#define UNIT_UTIL_H 1

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* Asserts that 'error', a malloc()ed message, says 'expected' (a
 * substring), and frees it. */
static inline void
refused(char *error, const char *expected)
{
    assert_non_null(error);
    if (!strstr(error, expected)) {
        fail_msg("error '%s' does not say '%s'", error, expected);
    }
    free(error);
}

#endif /* unit-util.h */
