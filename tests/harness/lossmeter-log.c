/* The loss meter's packets and logs.  See lossmeter-log.h. */

#include <config.h>
#include "lossmeter-log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byte-order.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "util.h"

void
lm_packet_build(void *buf, size_t size, uint32_t stream, uint32_t seq,
                uint64_t tx_ns)
{
    struct lm_packet p = {
        .magic = htonl(LM_PACKET_MAGIC),
        .version = htonl(LM_PACKET_VERSION),
        .stream = htonl(stream),
        .seq = htonl(seq),
        .tx_ns = htonll(tx_ns),
    };

    ovs_assert(size >= LM_PACKET_MIN_SIZE);
    memcpy(buf, &p, LM_PACKET_MIN_SIZE);
}

enum lm_packet_error
lm_packet_parse(const void *buf, size_t size, uint32_t *stream,
                uint32_t *seq, uint64_t *tx_ns)
{
    struct lm_packet p;

    if (size < LM_PACKET_MIN_SIZE) {
        return LM_PACKET_SHORT;
    }
    memcpy(&p, buf, LM_PACKET_MIN_SIZE);
    if (ntohl(p.magic) != LM_PACKET_MAGIC) {
        return LM_PACKET_BAD_MAGIC;
    }
    if (ntohl(p.version) != LM_PACKET_VERSION) {
        return LM_PACKET_BAD_VERSION;
    }
    *stream = ntohl(p.stream);
    *seq = ntohl(p.seq);
    *tx_ns = ntohll(p.tx_ns);
    return LM_PACKET_OK;
}

const char *
lm_packet_error_to_string(enum lm_packet_error error)
{
    switch (error) {
    case LM_PACKET_OK:
        return "ok";
    case LM_PACKET_SHORT:
        return "shorter than a probe header (24 bytes)";
    case LM_PACKET_BAD_MAGIC:
        return "not a loss meter probe (bad magic)";
    case LM_PACKET_BAD_VERSION:
        return "unsupported probe version";
    }
    return "unknown error";
}

int
lm_rxlog_write_header(FILE *stream, const char *label)
{
    char header[8 + LM_LABEL_MAX];

    memset(header, 0, sizeof header);
    memcpy(header, LM_RXLOG_MAGIC, 8);
    ovs_strlcpy(header + 8, label ? label : "", LM_LABEL_MAX);
    return fwrite(header, sizeof header, 1, stream) == 1 ? 0 : errno;
}

int
lm_txlog_write(const char *file_name, const struct lm_txlog *tx)
{
    struct json *json = json_object_create();
    char *tmp = xasprintf("%s.tmp", file_name);
    char *s;
    FILE *stream;
    int error = 0;

    json_object_put(json, "kind", json_string_create("cutover-lossmeter-sender"));
    json_object_put(json, "stream", json_integer_create(tx->stream));
    json_object_put(json, "label", json_string_create(tx->label ? tx->label : ""));
    json_object_put(json, "dest", json_string_create(tx->dest ? tx->dest : ""));
    json_object_put(json, "rate", json_integer_create(tx->rate));
    json_object_put(json, "first_seq", json_integer_create(tx->first_seq));
    json_object_put(json, "count", json_integer_create(tx->count));
    json_object_put(json, "next_seq",
                    json_integer_create(tx->first_seq + tx->count));
    json_object_put(json, "send_errors", json_integer_create(tx->send_errors));
    json_object_put(json, "resyncs", json_integer_create(tx->resyncs));
    json_object_put(json, "start_ns", json_integer_create(tx->start_ns));
    json_object_put(json, "end_ns", json_integer_create(tx->end_ns));
    s = json_to_string(json, JSSF_PRETTY | JSSF_SORT);
    json_destroy(json);

    /* Write a temporary file and rename it, so that a reader never sees half
     * a log. */
    stream = fopen(tmp, "w");
    if (!stream) {
        error = errno;
    } else {
        if (fprintf(stream, "%s\n", s) < 0) {
            error = errno;
        }
        if (fclose(stream) && !error) {
            error = errno;
        }
        if (!error && rename(tmp, file_name)) {
            error = errno;
        }
    }
    if (error) {
        unlink(tmp);
    }
    free(s);
    free(tmp);
    return error;
}

void
lm_txlog_destroy(struct lm_txlog *tx)
{
    free(tx->label);
    free(tx->dest);
    memset(tx, 0, sizeof *tx);
}

/* Reads integer member 'name' of 'obj' into '*value'. */
static bool
get_uint(const struct json *obj, const char *name, uint64_t *value)
{
    const struct json *m = shash_find_data(json_object(obj), name);

    if (!m || m->type != JSON_INTEGER || m->integer < 0) {
        return false;
    }
    *value = m->integer;
    return true;
}

static char *
get_string(const struct json *obj, const char *name)
{
    const struct json *m = shash_find_data(json_object(obj), name);

    return xstrdup(m && m->type == JSON_STRING ? json_string(m) : "");
}

static int
read_sender_log(const char *file_name, struct lm_log *log, char **errorp)
{
    struct json *json = json_from_file(file_name);
    struct lm_txlog *tx = &log->tx;
    static const char *members[] = {
        "stream", "rate", "first_seq", "count", "start_ns", "end_ns",
    };
    uint64_t *values[] = {
        NULL, &tx->rate, &tx->first_seq, &tx->count, &tx->start_ns,
        &tx->end_ns,
    };
    uint64_t stream;

    if (json->type == JSON_STRING) {
        *errorp = xasprintf("%s: not a loss meter log: %s", file_name,
                            json_string(json));
        json_destroy(json);
        return EINVAL;
    }
    if (json->type != JSON_OBJECT) {
        *errorp = xasprintf("%s: not a loss meter sender log (expected a "
                            "JSON object)", file_name);
        json_destroy(json);
        return EINVAL;
    }
    values[0] = &stream;
    for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
        if (!get_uint(json, members[i], values[i])) {
            *errorp = xasprintf("%s: sender log lacks a non-negative "
                                "integer \"%s\"", file_name, members[i]);
            json_destroy(json);
            return EINVAL;
        }
    }
    if (stream > UINT32_MAX) {
        *errorp = xasprintf("%s: stream %"PRIu64" out of range", file_name,
                            stream);
        json_destroy(json);
        return EINVAL;
    }
    tx->stream = stream;
    get_uint(json, "send_errors", &tx->send_errors);
    get_uint(json, "resyncs", &tx->resyncs);
    tx->label = get_string(json, "label");
    tx->dest = get_string(json, "dest");
    json_destroy(json);
    log->kind = LM_LOG_SENDER;
    return 0;
}

static int
read_receiver_log(const char *file_name, FILE *stream, struct lm_log *log,
                  char **errorp)
{
    char label[LM_LABEL_MAX + 1];
    size_t allocated = 0;

    if (fread(label, LM_LABEL_MAX, 1, stream) != 1) {
        *errorp = xasprintf("%s: receiver log header is truncated",
                            file_name);
        return EINVAL;
    }
    label[LM_LABEL_MAX] = '\0';
    log->label = xstrdup(label);
    log->kind = LM_LOG_RECEIVER;

    for (;;) {
        struct lm_rxlog_record rec;
        size_t n = fread(&rec, 1, sizeof rec, stream);

        if (n < sizeof rec) {
            log->truncated = n > 0;
            break;
        }
        if (log->n_records >= allocated) {
            log->records = x2nrealloc(log->records, &allocated,
                                      sizeof *log->records);
        }
        log->records[log->n_records++] = rec;
    }
    if (ferror(stream)) {
        *errorp = xasprintf("%s: read error (%s)", file_name,
                            ovs_strerror(errno));
        return EIO;
    }
    return 0;
}

int
lm_log_read(const char *file_name, struct lm_log *log, char **errorp)
{
    char magic[8];
    FILE *stream;
    int error;

    memset(log, 0, sizeof *log);
    log->file_name = xstrdup(file_name);
    *errorp = NULL;

    stream = fopen(file_name, "rb");
    if (!stream) {
        error = errno;
        *errorp = xasprintf("%s: cannot open (%s)", file_name,
                            ovs_strerror(error));
        return error;
    }
    if (fread(magic, sizeof magic, 1, stream) == 1
        && !memcmp(magic, LM_RXLOG_MAGIC, sizeof magic)) {
        error = read_receiver_log(file_name, stream, log, errorp);
        fclose(stream);
    } else {
        fclose(stream);
        error = read_sender_log(file_name, log, errorp);
    }
    return error;
}

void
lm_log_destroy(struct lm_log *log)
{
    free(log->file_name);
    free(log->label);
    free(log->records);
    lm_txlog_destroy(&log->tx);
    memset(log, 0, sizeof *log);
}
