/* Small helpers for our command-line programs. */

#ifndef CLI_H
#define CLI_H 1

#include <stdint.h>

#include "compiler.h"

/* Prints "PROGRAM: MESSAGE" and a pointer to --help on stderr, and exits
 * with status 2 (a usage error). */
void cli_usage_error(const char *format, ...)
    OVS_NO_RETURN OVS_PRINTF_FORMAT(1, 2);

/* Prints "PROGRAM (cutover) VERSION" on stdout and exits with status 0. */
void cli_print_version(void) OVS_NO_RETURN;

/* Parses 'arg', the argument of command-line option 'option', as an
 * integer from 'min' to 'max' (decimal, or hex with 0x) and returns it;
 * exits through cli_usage_error() naming the option and the range if it is
 * not one. */
uint64_t cli_parse_uint(const char *option, const char *arg, uint64_t min,
                        uint64_t max);

#endif /* cli.h */
