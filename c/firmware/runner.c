/* The conformance vectors against the C library: decode cases in several chunkings,
 * encode cases byte for byte, and the session cases that need no clock. Uses no C
 * library beyond <string.h>, so the same file runs on the host and on the board. */
#include "runner.h"

#include <string.h>

#include "framewire.h"
#include "vector_table.h"

/* Enough for every vector: a case's payload bytes never exceed its input (or, for the
 * session output, a HELLO, PONGs and ERRORs). A smaller buffer than the limits ask for is
 * allowed by the API (internal-error at the first byte that does not fit). */
#define RX_SIZE 8192u
#define TX_SIZE 4096u
#define OUT_SIZE 8192u

static uint8_t rx[RX_SIZE];

static void out_uint(unsigned long value)
{
    char digits[24];
    char *cursor = digits + sizeof digits - 1;
    *cursor = '\0';
    do {
        *--cursor = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    runner_out(cursor);
}

static int same_bytes(const uint8_t *data, uint32_t len, const struct vt_bytes *want)
{
    return len == want->size && (len == 0u || memcmp(data, want->data, len) == 0);
}

/* Compares each reported event with the next expected one. */
struct checker {
    const struct vt_event *want;
    uint16_t count;
    uint16_t seen;
    int ok;
};

static void expect_event(struct checker *c, const fw_event *ev, int with_pieces)
{
    const struct vt_event *w;
    if (c->seen >= c->count) {
        c->ok = 0;
        return;
    }
    w = &c->want[c->seen++];
    switch (ev->kind) {
    case FW_EVENT_MESSAGE:
        c->ok &= w->kind == VT_MESSAGE && ev->type == w->type && ev->flags == w->flags &&
                 same_bytes(ev->data, ev->len, &w->payload);
        break;
    case FW_EVENT_PIECE:
        c->ok &= with_pieces && w->kind == VT_PIECE && ev->type == w->type &&
                 ev->flags == w->flags && same_bytes(ev->data, ev->len, &w->payload) &&
                 ((ev->piece & FW_PIECE_FIRST) != 0u) == (w->first != 0u) &&
                 ((ev->piece & FW_PIECE_LAST) != 0u) == (w->last != 0u);
        break;
    case FW_EVENT_ERROR:
        c->ok &= w->kind == VT_ERROR && ev->code == w->code;
        break;
    default:
        c->ok = 0;
    }
}

/* A deterministic split: chunk sizes from a small linear congruential sequence. */
static uint32_t next_split(uint32_t *seed, uint32_t most)
{
    *seed = *seed * 1103515245u + 12345u;
    return 1u + (*seed >> 16) % most;
}

enum chunking { WHOLE, GIVEN, BYTES, RANDOM_SMALL, RANDOM_LARGE, CHUNKINGS };

static int decode_once(const struct vt_decode_case *t, enum chunking how)
{
    fw_decoder dec;
    fw_event ev;
    struct checker c = {t->events, t->event_count, 0, 1};
    uint32_t at = 0, seed = (uint32_t)how, chunk_index = 0;
    int fatal = 0;
    unsigned options = (t->hunting ? FW_DECODE_HUNTING : 0u) | (t->assemble ? 0u : FW_DECODE_STREAM);
    if (fw_decoder_init(&dec, (fw_framing)t->framing, t->max_frame_size, t->max_message_size,
                        options, rx, RX_SIZE) != FW_STATUS_OK) {
        return 0;
    }
    while (at < t->input.size && !fatal) {
        uint32_t left = t->input.size - at, n;
        switch (how) {
        case GIVEN:
            n = chunk_index < t->chunk_count ? t->chunks[chunk_index++] : left;
            break;
        case BYTES:
            n = 1u;
            break;
        case RANDOM_SMALL:
            n = next_split(&seed, 7u);
            break;
        case RANDOM_LARGE:
            n = next_split(&seed, 300u);
            break;
        default:
            n = left;
        }
        if (n > left) {
            n = left;
        }
        const uint8_t *p = t->input.data + at;
        at += n;
        for (;;) { /* until nothing more is reported: one call may report without using a byte */
            size_t used = fw_decoder_feed(&dec, p, n, &ev);
            if (used > n) {
                return 0;
            }
            p += used;
            n -= (uint32_t)used;
            if (ev.kind == FW_EVENT_FATAL) {
                fatal = 1;
                break;
            }
            if (ev.kind == FW_EVENT_NONE) {
                if (n != 0u) {
                    return 0; /* the API promises every byte is used when nothing is reported */
                }
                break;
            }
            expect_event(&c, &ev, !t->assemble);
        }
    }
    if (c.seen != c.count || !c.ok) {
        return 0;
    }
    if (fatal) {
        return t->end.kind == VT_END_ERROR && ev.code == t->end.code;
    }
    if (!t->eof) {
        return t->end.kind == VT_END_OPEN;
    }
    fw_decoder_end(&dec, &ev);
    if (ev.kind == FW_EVENT_END) {
        return t->end.kind == VT_END_CLEAN;
    }
    return ev.kind == FW_EVENT_FATAL && t->end.kind == VT_END_ERROR && ev.code == t->end.code;
}

static int decode_case(const struct vt_decode_case *t)
{
    int how;
    for (how = WHOLE; how < CHUNKINGS; ++how) {
        if (how == GIVEN && t->chunk_count == 0u) {
            continue;
        }
        if (!decode_once(t, (enum chunking)how)) {
            return 0;
        }
    }
    return 1;
}

static int encode_case(const struct vt_encode_case *t)
{
    static uint8_t buf[OUT_SIZE];
    size_t bound = fw_encode_bound((fw_framing)t->framing, t->payload.size, t->max_frame_size);
    size_t n;
    if (bound == 0u || bound > sizeof buf) {
        return 0;
    }
    n = fw_encode_message(buf, bound, (fw_framing)t->framing, t->type, t->flags, t->payload.data,
                          t->payload.size, t->max_frame_size, t->checksum != 0u);
    return n != 0u && same_bytes(buf, (uint32_t)n, &t->output);
}

#ifndef FW_NO_SESSION

static uint8_t tx[TX_SIZE];
static uint8_t captured[OUT_SIZE];
static uint8_t check_rx[RX_SIZE];

static const uint8_t preface[FW_PREFACE_SIZE] = {0x89, 0x46, 0x57, 0x31, 0, 0x0D, 0x0A, 0x1A};

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The HELLO announces exactly the case's limits (FW-HEL-2: an omitted setting is its
 * default). */
static int hello_matches(const fw_event *ev, const struct vt_session_case *t)
{
    uint32_t frame = FW_DEFAULT_MAX_FRAME_SIZE, message = FW_DEFAULT_MAX_MESSAGE_SIZE, at;
    if (ev->kind != FW_EVENT_MESSAGE || ev->type != FW_TYPE_HELLO || ev->len % 6u != 0u) {
        return 0;
    }
    for (at = 0; at < ev->len; at += 6u) {
        unsigned id = ((unsigned)ev->data[at] << 8) | ev->data[at + 1u];
        if (id == 1u) {
            frame = be32(ev->data + at + 2u);
        } else if (id == 2u) {
            message = be32(ev->data + at + 2u);
        }
    }
    return frame == t->max_frame_size && message == t->max_message_size;
}

/* What the session sent: preface, its HELLO, then exactly the expected PONGs and ERRORs. */
static int output_matches(const struct vt_session_case *t, const uint8_t *out, size_t n)
{
    fw_decoder dec;
    fw_event ev;
    uint16_t sent = 0;
    int frames = 0;
    if (n < FW_PREFACE_SIZE || memcmp(out, preface, 4) != 0 ||
        out[4] != (t->framing == VT_DELIMITED ? 0x44u : 0x4Cu) || memcmp(out + 5, preface + 5, 3) != 0) {
        return 0;
    }
    out += FW_PREFACE_SIZE;
    n -= FW_PREFACE_SIZE;
    if (t->hello_frame.size != 0u && (n < t->hello_frame.size ||
                                      memcmp(out, t->hello_frame.data, t->hello_frame.size) != 0)) {
        return 0;
    }
    if (fw_decoder_init(&dec, (fw_framing)t->framing, FW_DEFAULT_MAX_FRAME_SIZE,
                        FW_DEFAULT_MAX_MESSAGE_SIZE, 0u, check_rx, RX_SIZE) != FW_STATUS_OK) {
        return 0;
    }
    while (n > 0u) {
        size_t used = fw_decoder_feed(&dec, out, n, &ev);
        out += used;
        n -= used;
        if (ev.kind == FW_EVENT_NONE) {
            continue;
        }
        if (ev.kind != FW_EVENT_MESSAGE) {
            return 0;
        }
        if (frames++ == 0) {
            if (!hello_matches(&ev, t)) {
                return 0;
            }
            continue;
        }
        if (sent >= t->sent_count) {
            return 0;
        }
        const struct vt_sent *want = &t->sent[sent++];
        if (want->is_error) {
            if (ev.type != FW_TYPE_ERROR || ev.len < 2u ||
                (((unsigned)ev.data[0] << 8) | ev.data[1]) != want->code) {
                return 0;
            }
        } else if (ev.type != FW_TYPE_PONG || ev.len != 8u || memcmp(ev.data, want->pong, 8) != 0) {
            return 0;
        }
    }
    fw_decoder_end(&dec, &ev);
    return ev.kind == FW_EVENT_END && frames >= 1 && sent == t->sent_count;
}

static size_t drain(fw_session *s, size_t have)
{
    size_t n;
    const uint8_t *queued = fw_session_output(s, &n);
    if (have + n > OUT_SIZE) {
        n = OUT_SIZE - have;
    }
    memcpy(captured + have, queued, n);
    fw_session_output_done(s, n);
    return have + n;
}

static int session_case(const struct vt_session_case *t)
{
    fw_session s;
    fw_session_config cfg;
    fw_event ev;
    struct checker c = {t->events, t->event_count, 0, 1};
    const uint8_t *p = t->input.data;
    size_t n = t->input.size, have = 0;
    int ended = 0;
    fw_session_config_default(&cfg);
    cfg.framing = (fw_framing)t->framing;
    cfg.max_frame_size = t->max_frame_size;
    cfg.max_message_size = t->max_message_size;
    cfg.handshake_ms = 0;
    cfg.frame_ms = 0;
    cfg.pong_ms = 0;
    if (fw_session_init(&s, &cfg, rx, RX_SIZE, tx, TX_SIZE, 0) != FW_STATUS_OK) {
        return 0;
    }
    ev.kind = FW_EVENT_NONE;
    while (n > 0u && !ended) {
        size_t before = have, used = fw_session_feed(&s, p, n, 0, &ev);
        p += used;
        n -= used;
        have = drain(&s, have);
        if (used == 0u && ev.kind == FW_EVENT_NONE && have == before) {
            return 0; /* no progress: the session would wait forever */
        }
        switch (ev.kind) {
        case FW_EVENT_NONE:
        case FW_EVENT_OPEN:
            break;
        case FW_EVENT_FATAL:
        case FW_EVENT_PEER_ERROR:
            ended = 1;
            break;
        default:
            expect_event(&c, &ev, 0);
        }
    }
    if (!ended && t->eof) {
        fw_session_end_of_input(&s, &ev);
    }
    have = drain(&s, have);
    if (c.seen != c.count || !c.ok || !output_matches(t, captured, have)) {
        return 0;
    }
    switch (t->end.kind) {
    case VT_END_CLEAN:
        return t->eof && ev.kind == FW_EVENT_END;
    case VT_END_OPEN:
        return !t->eof && !ended;
    case VT_END_ERROR:
        return ev.kind == FW_EVENT_FATAL && ev.code == t->end.code;
    default:
        return ev.kind == FW_EVENT_PEER_ERROR && ev.code == t->end.code &&
               same_bytes(ev.data, ev.len, &t->end.reason);
    }
}

#endif /* FW_NO_SESSION */

static void record(struct runner_totals *totals, int ok, const char *id, int must)
{
    size_t depth = runner_stack_end();
    if (depth > totals->stack_max) {
        totals->stack_max = depth;
    }
    if (ok) {
        ++totals->passed;
        return;
    }
    ++totals->failed;
    if (!must) {
        ++totals->failed_should;
    }
    runner_out("FAIL ");
    runner_out(id);
    runner_out(must ? "\n" : " (SHOULD)\n");
}

void runner_run(struct runner_totals *totals)
{
    size_t i;
    memset(totals, 0, sizeof *totals);
    for (i = 0; i < vt_decode_case_count; ++i) {
        runner_stack_begin();
        record(totals, decode_case(&vt_decode_cases[i]), vt_decode_cases[i].id, vt_decode_cases[i].must);
    }
    for (i = 0; i < vt_encode_case_count; ++i) {
        runner_stack_begin();
        record(totals, encode_case(&vt_encode_cases[i]), vt_encode_cases[i].id, vt_encode_cases[i].must);
    }
#ifndef FW_NO_SESSION
    for (i = 0; i < vt_session_case_count; ++i) {
        runner_stack_begin();
        record(totals, session_case(&vt_session_cases[i]), vt_session_cases[i].id,
               vt_session_cases[i].must);
    }
#endif
}

void runner_print_totals(const char *label, const struct runner_totals *totals)
{
    runner_out(label);
    runner_out(": ");
    out_uint(totals->passed);
    runner_out(" passed, ");
    out_uint(totals->failed);
    runner_out(" failed\n");
    if (totals->failed_should != 0u) {
        out_uint(totals->failed_should);
        runner_out(" of the failures are SHOULD cases\n");
    }
    if (totals->stack_max != 0u) {
        runner_out("deepest stack of one case: ");
        out_uint(totals->stack_max);
        runner_out(" bytes\n");
    }
}
