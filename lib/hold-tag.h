/* The hold tag: how a host's switch tells its DPDK daemon which hold a
 * frame is for and of what kind, and how the daemon tells the switch what a
 * frame it sends back is (docs/hold.md).  The pipeline (datapath/pipeline.c)
 * pushes and pops it; the daemon (gratuitous/hold.c, announcer-hold.c)
 * reads and writes it.
 *
 * An 802.1Q header after the MAC addresses: the VID is the hold's id (1 to
 * 4094, given by the controller per port and host), the PCP says what the
 * frame is.  The switch pushes the tag on frames it hands to the daemon
 * (PCP 1, 2, 3: a copy, a forwarded, a direct frame) and pops it from
 * frames the daemon sends (PCP 5: replayed, for the port's VM; PCP 6:
 * released on abort, for wherever the port lives now).  The frames the tag
 * rides on are untagged Ethernet frames to a VM's interface.
 *
 * PCP 4 is a copy of the VM's own first frames on the destination (its
 * RARP, which QEMU sends as the VM resumes there): the VM runs, and an
 * armed hold replays at once, without waiting for the VMM's word.
 *
 * PCP 7 is a marker (hold_marker_put()): a frame of the daemon's own that
 * the switch sends straight back to the daemon's port.  The switch takes
 * a port's frames in order, so when a marker comes back every frame the
 * daemon sent before it went through the switch: the daemon sends a
 * replay a window at a time, each behind the last one's marker, and never
 * overflows the switch's receive queue however slow the switch is. */

#ifndef HOLD_TAG_H
#define HOLD_TAG_H 1

#define HOLD_TAG_LEN 4
#define HOLD_ID_MIN 1
#define HOLD_ID_MAX 4094

#define HOLD_KIND_PCP_COPY 1
#define HOLD_KIND_PCP_FORWARDED 2
#define HOLD_KIND_PCP_DIRECT 3
#define HOLD_PCP_VM_RUNS 4
#define HOLD_PCP_REPLAY 5
#define HOLD_PCP_RELEASE 6
#define HOLD_PCP_MARKER 7

/* A marker's ethertype after its tag (IEEE 802 local experimental 1) and
 * length. */
#define HOLD_MARKER_ETHERTYPE 0x88b5
#define HOLD_MARKER_LEN 64

#endif /* hold-tag.h */
