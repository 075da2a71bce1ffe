/* A client of cutoverd's migration control API.
 *
 * cutoverd answers Open vSwitch unixctl-style JSON-RPC (the protocol of OVS
 * lib/unixctl.c, so 'ovs-appctl -t SOCKET migration/show' works too): a
 * request {"method": M, "params": [strings], "id": N} gets either
 * {"result": TEXT, "error": null, "id": N} or {"result": null, "error":
 * TEXT, "id": N}.  The methods are migration/prepare PORT HOST,
 * migration/switchover PORT, migration/activate PORT, migration/complete
 * PORT, migration/abort PORT and migration/show [PORT].
 *
 * Every call is bounded: connecting and waiting for the answer together
 * take at most the client's timeout, whatever the server does.  The client
 * keeps its connection between calls (a switchover should not pay for a TLS
 * handshake while the VM is paused) and opens a new one when it finds the
 * old one closed.
 *
 * Several servers may be given, comma-separated (an active cutoverd and its
 * standbys, docs/ha.md): a call goes to the one that answered last; one
 * that cannot be reached, does not answer, answers as a standby or is still
 * recovering the migration after a takeover passes the call to the next, in turn, until one takes it or the call's time is
 * up (each connection attempt then takes at most 2 s). */

#ifndef MIGRATION_CLIENT_H
#define MIGRATION_CLIENT_H 1

#include <stdbool.h>
#include <stddef.h>

struct migration_client;

/* The default control socket of cutoverd. */
#define MIGRATION_CLIENT_DEFAULT_SERVER "unix:/var/run/cutover/cutoverd.ctl"

/* Turns what a user gave as the server, an OVS active stream name
 * ("unix:FILE", "tcp:IP:PORT", "ssl:IP:PORT") or the file name of a Unix
 * socket (taken relative to the current directory), or several of them
 * separated by commas, into stream names separated by commas.  Returns NULL
 * and stores them (to free) in '*targetp', or returns an error message (to
 * free) naming the one that is wrong. */
char *migration_client_parse_target(const char *arg, char **targetp);

/* A client of the server at stream name 'target' (see
 * migration_client_parse_target()); no connection is made yet.  Every call
 * takes at most 'timeout_ms' milliseconds. */
struct migration_client *migration_client_create(const char *target,
                                                 long long int timeout_ms);
void migration_client_destroy(struct migration_client *);

const char *migration_client_target(const struct migration_client *);

/* Changes the bound of every later call to 'timeout_ms' milliseconds and
 * returns the bound it replaces (so that a caller can give one call a
 * bound of its own and restore the old one after). */
long long int migration_client_set_timeout(struct migration_client *,
                                           long long int timeout_ms);

/* Connects now, if not connected, within the timeout.  Returns 0, or a
 * positive errno value with a message (to free) in '*errorp' naming the
 * server and what happened. */
int migration_client_connect(struct migration_client *, char **errorp);

/* Calls 'method' with string parameters 'params[0..n_params-1]'.
 *
 * Returns 0 when the server answered: '*refusedp' is false and '*textp'
 * its reply if it confirmed, '*refusedp' true and '*textp' its error if it
 * refused (without final new lines).  Returns a positive errno value when it did not answer (cannot
 * connect, connection lost, ETIMEDOUT when no answer came within the
 * timeout): '*textp' then says what happened, naming the server.  '*textp'
 * is always set, to free. */
int migration_client_call(struct migration_client *, const char *method,
                          const char *const params[], size_t n_params,
                          bool *refusedp, char **textp);

#endif /* migration-client.h */
