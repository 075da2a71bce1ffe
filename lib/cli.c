/* Small helpers for our command-line programs.  See cli.h. */

#include <config.h>
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
cli_usage_error(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    fprintf(stderr, "%s: ", program_name);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\nTry '%s --help' for more information.\n",
            program_name);
    exit(2);
}

void
cli_print_version(void)
{
    printf("%s (cutover) %s\n", program_name, PACKAGE_VERSION);
    exit(0);
}

uint64_t
cli_parse_uint(const char *option, const char *arg, uint64_t min,
               uint64_t max)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(arg, &end, 0);
    if (!*arg || *end || errno || arg[0] == '-' || v < min || v > max) {
        cli_usage_error("%s: '%s' is not an integer from %"PRIu64" to %"PRIu64,
                        option, arg, min, max);
    }
    return v;
}

char *
cli_unix_target(const char *path)
{
    char *abs_path = abs_file_name(NULL, path);
    char *target = xasprintf("unix:%s", abs_path ? abs_path : path);

    free(abs_path);
    return target;
}

char *
cli_stream_target(const char *arg)
{
    return strchr(arg, ':') ? xstrdup(arg) : cli_unix_target(arg);
}
