/* A passive OpenFlow target: where one switch connects to the controller.
 *
 * When a host's Host.openflow_target is passive (ptcp:PORT:IP, pssl:PORT:IP,
 * punix:FILE), the controller listens and the host's integration bridge
 * connects to it (its Controller is the matching active target).  One
 * listener per host, owned by the host's installer (installer.h), which
 * hands each connection it accepts to its rconn: everything after that
 * (resynchronisation, read-back, bundles, barriers) is what an active
 * connection gets.
 *
 * A listener that cannot be opened (a port in use, a directory that does
 * not exist, SSL without keys) says why (of_listener_format_status()) and
 * tries again every few seconds, as an active connection retries its
 * target. */

#ifndef OF_LISTENER_H
#define OF_LISTENER_H 1

#include <stdint.h>

struct ds;
struct vconn;

/* How long after a failed attempt to listen the next one is made. */
#define OF_LISTENER_RETRY_MSEC 5000

/* A listener on 'target' (a passive OpenFlow connection method) for the
 * switch of host 'name', accepting the OpenFlow versions in
 * 'allowed_versions' (a bitmap of 1 << OFPxx_VERSION).  The first attempt
 * to listen is made at once. */
struct of_listener *of_listener_create(const char *name, const char *target,
                                       uint32_t allowed_versions);
void of_listener_destroy(struct of_listener *);

/* Listens (again, if the last attempt failed and its time has come) and
 * accepts connections.  Returns the newest connection accepted, which the
 * caller takes (its OpenFlow handshake may not be done yet), or NULL if
 * none came.  Of several that came at once, the older ones are closed. */
struct vconn *of_listener_run(struct of_listener *);
void of_listener_wait(struct of_listener *);

const char *of_listener_target(const struct of_listener *);

/* 0 while listening, else the error (an errno value) of the last attempt
 * to listen. */
int of_listener_error(const struct of_listener *);

/* "listening on TARGET", or "cannot listen on TARGET (WHY)". */
void of_listener_format_status(const struct of_listener *, struct ds *);

#endif /* of-listener.h */
