/* The controller's side of one host's agent (cutover-announcer, the DPDK
 * fast path of gratuitous/ and what must happen on the host itself): a
 * JSON-RPC session to its control socket, over the network (ssl:, tcp:)
 * or a unix socket where it is local.
 *
 * Registrations and tunnel neighbours are remembered and sent again
 * whenever the session reconnects (an agent that restarted has forgotten
 * them), so a
 * migration prepared before a restart can still be announced.  Other calls
 * (announcer/fire) are sent once: the caller learns the outcome with
 * announcer_client_result(). */

#ifndef ANNOUNCER_CLIENT_H
#define ANNOUNCER_CLIENT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds;
struct kernel_neigh;

/* 'target' is a stream name (unix:FILE, tcp:IP:PORT). */
struct announcer_client *announcer_client_create(const char *host,
                                                 const char *target);
void announcer_client_destroy(struct announcer_client *);
const char *announcer_client_target(const struct announcer_client *);

/* The generation of the controller this is part of (docs/ha.md): 0 while
 * it is a standby, which sends the agent nothing (calls return 0).  An
 * active controller's session begins with "controller/claim GENERATION",
 * then the registrations and neighbours; the agent obeys only the newest
 * claimant.  A new generation claims the agent again at once. */
void announcer_client_set_generation(struct announcer_client *,
                                     uint64_t generation);

void announcer_client_run(struct announcer_client *);
void announcer_client_wait(struct announcer_client *);
bool announcer_client_is_connected(const struct announcer_client *);

/* Registers port 'port''s frames ('args': "MAC ADDR... [option...]" as
 * announcer/register takes them after the port name), now and after every
 * reconnection.  Returns a token for the registration's outcome, or 0 if
 * the announcer is not connected (it is sent when it connects). */
uint64_t announcer_client_register(struct announcer_client *,
                                   const char *port, const char **args,
                                   size_t n);
/* Forgets 'port''s registration and asks the announcer to withdraw it. */
void announcer_client_withdraw(struct announcer_client *, const char *port);
/* Whether 'port''s registration was confirmed on the current session. */
bool announcer_client_is_registered(const struct announcer_client *,
                                    const char *port);

/* The host's tunnel peers, to set on its uplink bridge 'bridge'
 * ("neighbours/set BRIDGE IP=MAC...", see neighbours.h): sent now if they
 * changed, and again after every reconnection. */
void announcer_client_set_neighbours(struct announcer_client *,
                                     const char *bridge,
                                     const struct kernel_neigh *, size_t n);
/* Whether the agent confirmed the newest peers (its ovs-vswitchd and
 * kernel have them all): on the current session, or, while it is not
 * connected, when it last was (what it set stays on the host). */
bool announcer_client_neighbours_synced(const struct announcer_client *);

/* Sends "announcer/fire PORT..." for the 'n' registrations 'ports' (one
 * burst on the agent).  Returns a token, or 0 if not connected. */
uint64_t announcer_client_fire(struct announcer_client *,
                               const char **ports, size_t n);

/* Sends 'method' with the string arguments 'args' (the hold commands:
 * hold/start, hold/replay, hold/release, hold/stop, see cutover-announcer(8)).
 * Returns a token for announcer_client_result() if 'wanted', else nonzero,
 * or 0 if the announcer is not connected.  The call is not sent again
 * after a reconnection. */
uint64_t announcer_client_call(struct announcer_client *, const char *method,
                               const char **args, size_t n, bool wanted);

/* The announcer's session: it changes whenever the connection is lost or
 * made again; 0 while not connected.  What an announcer was told on an
 * earlier session (a hold) may be gone: it may have restarted. */
unsigned int announcer_client_session(const struct announcer_client *);

/* If the call with 'token' was answered (or lost with the session), stores
 * whether it succeeded and its text (to free) and returns true; the token
 * is then forgotten.  Returns false while it is pending. */
bool announcer_client_result(struct announcer_client *, uint64_t token,
                             bool *ok, char **text);

void announcer_client_format_status(const struct announcer_client *,
                                    struct ds *);

#endif /* announcer-client.h */
