/* cutover-announcer's holds: the frames of ports migrating to this host,
 * kept until the VM runs here and then replayed through the daemon's DPDK
 * port (hold.h says what is kept and in which order; docs/hold.md the
 * whole design).
 *
 * The host's switch hands the daemon a port's frames with a hold tag
 * (hold.h): the copies the source sends from prepare on, and after the
 * switchover the frames for the port, instead of delivering them to the
 * VM's interface.  A hold is in one of three states:
 *
 *   holding    frames are kept (hold_push()).
 *   passing    after hold/replay: the kept frames went out tagged
 *              "replayed"; frames still arriving for the hold follow at
 *              once, the same way (the switch delivers them to the VM);
 *              copies are dropped.
 *   releasing  after hold/release (abort): the held frames went out tagged
 *              "released" (the switch sends them wherever the port lives
 *              now), and so do frames still arriving; copies are dropped.
 *
 * The rx queue is read only while there is a hold, every millisecond from
 * the poll loop (no core busy-polling): a frame's arrival time is when the
 * daemon read it, up to about a millisecond after the switch sent it.
 *
 * Control commands (ovs-appctl): hold/start, hold/replay, hold/release,
 * hold/stop, hold/show: see cutover-announcer(8). */

#ifndef GRATUITOUS_ANNOUNCER_HOLD_H
#define GRATUITOUS_ANNOUNCER_HOLD_H 1

#include "hold.h"

struct ds;
struct announcer_holds;

/* A replay or release has at most 'replay_window' frames in the switch at
 * once (docs/hold.md). */
#define ANNOUNCER_HOLDS_DEFAULT_WINDOW 64
#define ANNOUNCER_HOLDS_MAX_WINDOW 4096

/* Creates the holds, with 'limits' as every hold's default and
 * 'replay_window' for replays and releases, and registers their control
 * commands. */
struct announcer_holds *announcer_holds_create(const struct hold_limits *,
                                               unsigned int replay_window);
void announcer_holds_destroy(struct announcer_holds *);

/* Reads what the rx queue has and sorts it into the holds. */
void announcer_holds_run(struct announcer_holds *);
void announcer_holds_wait(const struct announcer_holds *);

/* Appends a line of totals to 'ds'. */
void announcer_holds_format(const struct announcer_holds *, struct ds *);

#endif /* announcer-hold.h */
