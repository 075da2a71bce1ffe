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

/* Socket targets, the one way the tree makes them: "unix:" and the
 * absolute name of socket file 'path' (as given if it cannot be made
 * absolute); and for 'arg', a target as given if it has a colon (unix:FILE,
 * tcp:IP:PORT, ssl:IP:PORT), otherwise the socket file 'arg''s.  To
 * free. */
char *cli_unix_target(const char *path);
char *cli_stream_target(const char *arg);

#endif /* cli.h */
