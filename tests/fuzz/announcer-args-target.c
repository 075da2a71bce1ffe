/* Fuzz target: the arguments of cutover-announcer's "announcer/register"
 * command (gratuitous/announcer-args.c), which the controller sends over
 * the network.
 *
 * The input is the command's arguments, one per line (at most 80).  What
 * announcer_parse_register() accepts must build its frames, and its
 * description (announcer_format_spec(), what "announcer/show" prints) must
 * parse again into the same registration. */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "announcer-args.h"
#include "fuzzer.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

#define MAX_ARGS 80

/* Splits 's' at spaces into 'argv' (room for MAX_ARGS) after 'argv[0]',
 * returns the number of arguments. */
static int
split_words(char *s, const char *argv[])
{
    int argc = 1;
    char *save = NULL;

    for (char *w = strtok_r(s, " ", &save); w && argc < MAX_ARGS;
         w = strtok_r(NULL, " ", &save)) {
        argv[argc++] = w;
    }
    return argc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = xmemdup0((const char *) data, size);
    const char *argv[MAX_ARGS];
    struct announcer_reg reg;
    int argc = 0;
    char *error;

    for (char *p = copy; argc < MAX_ARGS; ) {
        char *nl = strchr(p, '\n');

        argv[argc++] = p;
        if (!nl) {
            break;
        }
        *nl = '\0';
        p = nl + 1;
    }

    error = announcer_parse_register(argc, argv, &reg);
    if (error) {
        free(error);
        free(copy);
        return 0;
    }

    /* The frames build. */
    struct frame frames[ANNOUNCER_MAX_FRAMES];
    size_t n_frames;

    ovs_assert(!frames_build_all(&reg.spec, frames, ANNOUNCER_MAX_FRAMES,
                                 &n_frames));
    ovs_assert(n_frames == frames_count(&reg.spec));
    for (size_t i = 0; i < n_frames; i++) {
        struct ds s = DS_EMPTY_INITIALIZER;

        frames_format(frames[i].data, frames[i].len, &s);
        ds_destroy(&s);
    }

    /* The description parses again, into the same description. */
    struct ds desc = DS_EMPTY_INITIALIZER;
    struct ds again = DS_EMPTY_INITIALIZER;
    struct announcer_reg reg2;
    const char *argv2[MAX_ARGS];
    char *words;
    int argc2;

    announcer_format_spec(&reg.spec, &desc);
    schedule_format(&reg.sched, &again);
    ds_clear(&again);
    words = xstrdup(ds_cstr(&desc));
    argv2[0] = reg.port;
    argc2 = split_words(words, argv2);
    error = announcer_parse_register(argc2, argv2, &reg2);
    if (error) {
        ovs_abort(0, "'%s' does not parse again: %s", ds_cstr(&desc), error);
    }
    announcer_format_spec(&reg2.spec, &again);
    if (strcmp(ds_cstr(&desc), ds_cstr(&again))) {
        ovs_abort(0, "'%s' parses into '%s'", ds_cstr(&desc),
                  ds_cstr(&again));
    }
    free(words);
    ds_destroy(&desc);
    ds_destroy(&again);
    free(copy);
    return 0;
}
