/* Emitters: the table of implementations and the calls every user makes.
 * See emitter.h. */

#include <config.h>
#include "emitter.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "emitter-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(emitter);

/* Every emitter this build has.  The DPDK emitter goes here too (a -stub.c
 * twin where a build lacks what it needs). */
static const struct emitter_class *const classes[] = {
    &emitter_af_packet_class,
    &emitter_packet_out_class,
};

static const struct emitter_class *
lookup_class(const char *type)
{
    for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
        if (!strcmp(classes[i]->type, type)) {
            return classes[i];
        }
    }
    return NULL;
}

bool
emitter_has_type(const char *type)
{
    return lookup_class(type) != NULL;
}

void
emitter_format_types(struct ds *ds)
{
    for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
        ds_put_format(ds, "%s%s", i ? ", " : "", classes[i]->type);
    }
}

int
emitter_open(const char *type, const char *target, struct emitter **emitterp)
{
    const struct emitter_class *class = lookup_class(type);
    int error;

    *emitterp = NULL;
    if (!class) {
        return EAFNOSUPPORT;
    }
    error = class->open(target, emitterp);
    if (error) {
        VLOG_DBG("%s emitter on %s: %s", type, target, ovs_strerror(error));
        *emitterp = NULL;
        return error;
    }
    (*emitterp)->class = class;
    (*emitterp)->target = xstrdup(target);
    (*emitterp)->error_detail = NULL;
    return 0;
}

int
emitter_send(struct emitter *emitter, const struct frame *frames, size_t n,
             size_t *n_sent)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    int error;

    free(emitter->error_detail);
    emitter->error_detail = NULL;
    error = emitter->class->send(emitter, frames, n, n_sent);
    if (error) {
        VLOG_WARN_RL(&rl, "%s emitter on %s: sent %"PRIuSIZE" of %"PRIuSIZE
                     " frames: %s%s%s", emitter->class->type, emitter->target,
                     *n_sent, n, ovs_strerror(error),
                     emitter->error_detail ? ": " : "",
                     emitter->error_detail ? emitter->error_detail : "");
    }
    return error;
}

const char *
emitter_error_detail(const struct emitter *emitter)
{
    return emitter->error_detail;
}

void
emitter_set_error_detail(struct emitter *emitter, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    free(emitter->error_detail);
    emitter->error_detail = xvasprintf(format, args);
    va_end(args);
}

void
emitter_close(struct emitter *emitter)
{
    if (emitter) {
        char *target = emitter->target;
        char *detail = emitter->error_detail;

        emitter->class->close(emitter);
        free(target);
        free(detail);
    }
}

const char *
emitter_type(const struct emitter *emitter)
{
    return emitter->class->type;
}

const char *
emitter_target(const struct emitter *emitter)
{
    return emitter->target;
}
