/* cutover-libvirt's side of libvirt: the connection to libvirtd, the
 * thread that runs libvirt's event loop, the callbacks that queue domain
 * events for the main thread, and the lookup of a domain's port.
 *
 * Threads: libvirt's event loop (virEventRunDefaultImpl()) runs in a
 * thread of its own, which also connects, registers the callbacks and
 * reconnects when the connection closes.  Its callbacks only copy each
 * event (the domain's name, what happened, QEMU's timestamp and the
 * event's details) into a queue under a mutex and wake the main thread
 * (an OVS seq, so poll_block() wakes); they never call cutoverd.  The main
 * thread takes the events in order (libvirt_events_take()) and looks up
 * ports on the same connection (libvirt's connections are thread-safe). */

#ifndef LIBVIRT_EVENTS_H
#define LIBVIRT_EVENTS_H 1

#include <stdbool.h>

#include "libvirt-follower.h"

struct ds;
struct libvirt_events;

/* Starts following the domains of the libvirtd at 'uri' (connecting in
 * the background, and again whenever the connection closes). */
struct libvirt_events *libvirt_events_create(const char *uri);
void libvirt_events_destroy(struct libvirt_events *);

/* An event taken from the queue: 'ev' with its domain name in 'domain'
 * (owned here). */
struct libvirt_event {
    struct lvf_event ev;
    char *domain;
};

/* Call once per main loop iteration before taking events, so that
 * libvirt_events_wait() wakes for any event queued after. */
void libvirt_events_run(struct libvirt_events *);

/* Takes the oldest queued event the follower has a use for into '*e' and
 * returns true (free it with libvirt_event_destroy()), or returns false if
 * none is queued. */
bool libvirt_events_take(struct libvirt_events *, struct libvirt_event *);
void libvirt_event_destroy(struct libvirt_event *);

void libvirt_events_wait(struct libvirt_events *);

/* Looks up the port of domain 'name' (domain-port.h).  Returns 0 and the
 * port (to free) in '*portp', NULL if the domain has none; or a positive
 * errno value and what happened (to free) in '*errorp'. */
int libvirt_events_lookup_port(struct libvirt_events *, const char *name,
                               char **portp, char **errorp);

/* Says how the connection is, for libvirt/show. */
void libvirt_events_format(struct libvirt_events *, struct ds *);

#endif /* libvirt-events.h */
