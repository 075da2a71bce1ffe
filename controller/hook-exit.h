/* What cutover-hook's commands return, the one-shot steps
 * (controller/hook-step.c, controller/hook.c) and the QEMU follower
 * (controller/qmp-follower.h) alike: docs/hook.md and cutover-hook(8) say
 * what a VMM's script should do with each. */

#ifndef HOOK_EXIT_H
#define HOOK_EXIT_H 1

/* cutover-hook's exit statuses. */
#define HOOK_EXIT_OK 0          /* Done: the controller confirmed. */
#define HOOK_EXIT_REFUSED 1     /* The controller refused, or the
                                 * migration failed and was rolled back. */
#define HOOK_EXIT_USAGE 2       /* Bad command line. */
#define HOOK_EXIT_UNREACHABLE 3 /* The controller did not answer. */
#define HOOK_EXIT_VMM 4         /* A QEMU could not be followed or a
                                 * bound passed; the VM runs on the source
                                 * and the cutover was aborted (the network
                                 * is consistent, the migration failed). */
#define HOOK_EXIT_UNSETTLED 5   /* The network may not be where the VM
                                 * runs: the message says what to run. */

/* A switchover's answer is awaited this much longer than the 'timeout=MS'
 * the controller was given, so that its own answer (undone at the
 * timeout) normally comes first. */
#define HOOK_SWITCHOVER_SLACK_MS 1000

#endif /* hook-exit.h */
