/* The loss meter's packets and logs.
 *
 * A probe packet (UDP payload, network byte order):
 *
 *    0       4       8      12      16              24
 *    +-------+-------+-------+-------+---------------+---- padding ---
 *    | magic |version| stream|  seq  |     tx_ns     |
 *    +-------+-------+-------+-------+---------------+-----------------
 *
 * A receiver log is binary: a header (magic, format version, the receiver's
 * label) then one fixed-size record per arrival, in host byte order.  It is
 * written as packets arrive, so it survives the receiver being killed (a
 * torn last record is ignored on reading).
 *
 * A sender log is one JSON object: stream, label, destination, rate, the
 * first (64-bit) sequence number sent, how many were sent, and when. */

#ifndef LOSSMETER_LOG_H
#define LOSSMETER_LOG_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "openvswitch/types.h"

#define LM_PACKET_MAGIC 0x43544c4d      /* "CTLM" */
#define LM_PACKET_VERSION 1

struct lm_packet {
    ovs_be32 magic;
    ovs_be32 version;
    ovs_be32 stream;
    ovs_be32 seq;
    ovs_be64 tx_ns;
};
#define LM_PACKET_MIN_SIZE 24

/* Reasons a received datagram is not a probe. */
enum lm_packet_error {
    LM_PACKET_OK,
    LM_PACKET_SHORT,
    LM_PACKET_BAD_MAGIC,
    LM_PACKET_BAD_VERSION,
};

void lm_packet_build(void *buf, size_t size, uint32_t stream, uint32_t seq,
                     uint64_t tx_ns);
enum lm_packet_error lm_packet_parse(const void *buf, size_t size,
                                     uint32_t *stream, uint32_t *seq,
                                     uint64_t *tx_ns);
const char *lm_packet_error_to_string(enum lm_packet_error);

/* Receiver log. */
#define LM_RXLOG_MAGIC "CUTLMRX1"
#define LM_LABEL_MAX 32

struct lm_rxlog_record {
    uint32_t stream;
    uint32_t seq;
    uint64_t tx_ns;
    uint64_t rx_ns;
};

int lm_rxlog_write_header(FILE *, const char *label);

/* Sender log. */
struct lm_txlog {
    uint32_t stream;
    char *label;                /* Who sent (free-form), may be empty. */
    char *dest;                 /* Destination as given. */
    uint64_t rate;              /* Packets per second. */
    uint64_t first_seq;         /* 64-bit sequence number of the first. */
    uint64_t count;             /* Packets sent. */
    uint64_t send_errors;       /* send() failures (the packet is counted as
                                 * sent: it left the schedule). */
    uint64_t resyncs;           /* Times the schedule was restarted because
                                 * the sender had fallen far behind (e.g. it
                                 * was stopped). */
    uint64_t start_ns, end_ns;  /* First and last send, CLOCK_REALTIME. */
};

int lm_txlog_write(const char *file_name, const struct lm_txlog *);
void lm_txlog_destroy(struct lm_txlog *);

/* Reading any log.  lm_log_read() tells the kind of 'file_name' by its first
 * bytes and fills either '*tx' or calls 'arrival' for every record.  Returns
 * 0 or an errno value, with a message for the user in '*errorp' (free it). */
enum lm_log_kind { LM_LOG_SENDER, LM_LOG_RECEIVER };

struct lm_log {
    enum lm_log_kind kind;
    char *file_name;
    char *label;                /* Receiver's label (receiver logs). */
    struct lm_txlog tx;         /* Sender logs. */
    struct lm_rxlog_record *records;    /* Receiver logs. */
    size_t n_records;
    bool truncated;             /* A torn last record was dropped. */
};

int lm_log_read(const char *file_name, struct lm_log *, char **errorp);
void lm_log_destroy(struct lm_log *);

#endif /* lossmeter-log.h */
