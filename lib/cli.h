/* Small helpers for our command-line programs. */

#ifndef CLI_H
#define CLI_H 1

#include "compiler.h"

/* Prints "PROGRAM: MESSAGE" and a pointer to --help on stderr, and exits
 * with status 2 (a usage error). */
void cli_usage_error(const char *format, ...)
    OVS_NO_RETURN OVS_PRINTF_FORMAT(1, 2);

#endif /* cli.h */
