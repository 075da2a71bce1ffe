/* Emitter implementations: what each kind of emitter provides (emitter.h
 * is what its users see).  As OVS's netdev-provider.h: an implementation
 * embeds struct emitter at the start of its own state and fills in a class. */

#ifndef GRATUITOUS_EMITTER_PROVIDER_H
#define GRATUITOUS_EMITTER_PROVIDER_H 1

#include <stddef.h>

#include "emitter.h"

struct emitter {
    const struct emitter_class *class;
    char *target;               /* As given to emitter_open(). */
    char *error_detail;         /* emitter_error_detail(), malloc()ed. */
};

struct emitter_class {
    const char *type;           /* "af_packet", ... */

    /* Opens an emitter on 'target': allocates it, fills in everything but
     * the struct emitter at its start, stores it in '*emitterp' and returns
     * 0, or returns a positive errno. */
    int (*open)(const char *target, struct emitter **emitterp);

    /* As emitter_send().  May explain a failure in more words than an
     * errno with emitter_set_error_detail(). */
    int (*send)(struct emitter *, const struct frame *frames, size_t n,
                size_t *n_sent);

    /* Releases what 'open' took, and the emitter itself. */
    void (*close)(struct emitter *);
};

/* Sets what emitter_error_detail() returns until the next send to a
 * printf()-style message. */
void emitter_set_error_detail(struct emitter *, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

extern const struct emitter_class emitter_af_packet_class;
extern const struct emitter_class emitter_packet_out_class;

#endif /* emitter-provider.h */
