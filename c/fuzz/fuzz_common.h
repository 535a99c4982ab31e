/* What the fuzz harnesses share: the settings prefix of each input (c/fuzz/seeds.py
 * writes it for the seed corpus), an event log to compare two runs, and a chunker. */
#ifndef FW_FUZZ_COMMON_H
#define FW_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framewire.h"

/* Byte 0 of an input. */
#define FZ_DELIMITED 0x01u
#define FZ_HUNTING 0x02u
#define FZ_STREAMING 0x04u
#define FZ_NO_EOF 0x08u
#define FZ_CHECKSUM 0x10u  /* session: a trailer on what it sends */
#define FZ_DEADLINES 0x20u /* session: short deadlines, time advancing per chunk */
/* Byte 9 (the chunk seed): its top bit asks for a receive buffer smaller than the limits. */
#define FZ_SMALL_BUFFER 0x80u
#define FZ_SMALL_BUFFER_SIZE 300u
#define FZ_PREFIX 10u
#define FZ_MAX_LIMIT 65536u /* keeps every buffer small enough for the fuzzer's pace */

struct fz_settings {
    uint8_t flags;
    uint32_t max_frame;
    uint32_t max_message;
    uint8_t seed;
};

static uint32_t fz_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint32_t fz_clamp(uint32_t value)
{
    return value < FW_MIN_LIMIT ? FW_MIN_LIMIT : value > FZ_MAX_LIMIT ? FZ_MAX_LIMIT : value;
}

/* Reads the prefix; returns 0 when the input is too short to hold one. */
static int fz_settings_read(struct fz_settings *s, const uint8_t **data, size_t *size)
{
    if (*size < FZ_PREFIX) {
        return 0;
    }
    s->flags = (*data)[0];
    s->max_frame = fz_clamp(fz_be32(*data + 1));
    s->max_message = fz_be32(*data + 5);
    s->max_message = s->max_message == 0u ? 0u : fz_clamp(s->max_message);
    s->seed = (*data)[9];
    *data += FZ_PREFIX;
    *size -= FZ_PREFIX;
    return 1;
}

static size_t fz_buffer_size(const struct fz_settings *s)
{
    if (s->seed & FZ_SMALL_BUFFER) {
        return FZ_SMALL_BUFFER_SIZE;
    }
    return (s->flags & FZ_STREAMING) || s->max_message == 0u
               ? FW_RX_STREAM_BUFFER_SIZE(s->max_frame) + s->max_frame
               : FW_RX_BUFFER_SIZE(s->max_frame, s->max_message);
}

/* Chunk sizes: seed 0 whole, 1 byte by byte, otherwise 1..seed bytes pseudo-randomly. */
struct fz_chunker {
    uint32_t state;
    uint8_t seed;
};

static size_t fz_next_chunk(struct fz_chunker *c, size_t left)
{
    size_t most = (size_t)(c->seed & 0x7Fu), n;
    if (most == 0u) {
        return left;
    }
    c->state = c->state * 1103515245u + 12345u;
    n = 1u + (c->state >> 16) % most;
    return n < left ? n : left;
}

/* An event log: the kind and code of every event and, for the events that carry them
 * (a message, a piece, a peer's ERROR), the other fields with the payload folded into a
 * hash. (An error event's other fields mean nothing, so they are not compared.) */
struct fz_log {
    uint8_t *bytes;
    size_t len;
    size_t cap;
};

static void fz_log_put(struct fz_log *log, const void *data, size_t n)
{
    if (n == 0u) {
        return;
    }
    if (log->len + n > log->cap) {
        log->cap = (log->len + n) * 2u + 64u;
        log->bytes = (uint8_t *)realloc(log->bytes, log->cap);
        if (log->bytes == NULL) {
            abort();
        }
    }
    memcpy(log->bytes + log->len, data, n);
    log->len += n;
}

static void fz_log_event(struct fz_log *log, const fw_event *ev)
{
    uint32_t hash = 2166136261u, i;
    uint8_t fields[4] = {ev->kind, ev->type, ev->flags, ev->piece};
    fz_log_put(log, &ev->kind, sizeof ev->kind);
    fz_log_put(log, &ev->code, sizeof ev->code);
    if (ev->kind != FW_EVENT_MESSAGE && ev->kind != FW_EVENT_PIECE &&
        ev->kind != FW_EVENT_PEER_ERROR) {
        return;
    }
    for (i = 0; i < ev->len; ++i) {
        hash = (hash ^ ev->data[i]) * 16777619u;
    }
    fz_log_put(log, fields, sizeof fields);
    fz_log_put(log, &ev->len, sizeof ev->len);
    fz_log_put(log, &hash, sizeof hash);
}

static void fz_check(int condition, const char *what)
{
    if (!condition) {
        (void)what; /* visible in the debugger and in the crash's stack trace */
        abort();
    }
}

#endif
