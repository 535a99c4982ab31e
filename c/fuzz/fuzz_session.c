/* libFuzzer harness for the session: the input's first bytes choose the framing, limits,
 * checksum, streaming, deadlines and a chunking (fuzz_common.h); the rest is what the
 * peer sends. Run whole and in chunks without a clock, the events and the bytes sent must
 * be equal; everything the session sends must decode as valid frames (it never puts a
 * bad frame on the wire); a third run with deadlines and time advancing per chunk
 * exercises the timers. */
#include "fuzz_common.h"

#define TX_CAP 4096u

struct run {
    struct fz_log events;
    struct fz_log sent;
};

static void drain(fw_session *s, struct run *r)
{
    size_t n;
    const uint8_t *out = fw_session_output(s, &n);
    fz_log_put(&r->sent, out, n);
    fw_session_output_done(s, n);
}

static void run_session(const struct fz_settings *set, const uint8_t *data, size_t size,
                        uint8_t chunk_seed, int timed, struct run *r)
{
    fw_session s;
    fw_session_config cfg;
    fw_event ev;
    struct fz_chunker chunks = {size, chunk_seed};
    uint8_t tx[TX_CAP];
    size_t cap = fz_buffer_size(set);
    uint8_t *rx = (uint8_t *)malloc(cap);
    uint32_t now = 0;
    int done = 0;
    if (rx == NULL) {
        abort();
    }
    fw_session_config_default(&cfg);
    cfg.framing = (set->flags & FZ_DELIMITED) ? FW_DELIMITED : FW_LENGTH_PREFIXED;
    cfg.max_frame_size = set->max_frame;
    cfg.max_message_size = set->max_message;
    cfg.checksum = (set->flags & FZ_CHECKSUM) != 0u;
    cfg.stream = (set->flags & FZ_STREAMING) != 0u;
    cfg.handshake_ms = timed ? 50u : 0u;
    cfg.frame_ms = timed ? 20u : 0u;
    cfg.pong_ms = timed ? 30u : 0u;
    if (fw_session_init(&s, &cfg, rx, (uint32_t)cap, tx, TX_CAP, now) != FW_STATUS_OK) {
        free(rx);
        return;
    }
    drain(&s, r);
    while (size > 0u && !done) {
        size_t n = fz_next_chunk(&chunks, size);
        const uint8_t *p = data;
        data += n;
        size -= n;
        if (timed) {
            now += n;
            fw_session_tick(&s, now, &ev);
            drain(&s, r);
            if (ev.kind == FW_EVENT_FATAL) {
                break;
            }
            if (fw_session_get_state(&s) == FW_SESSION_OPEN && (n & 3u) == 0u) {
                static const uint8_t ping[8] = {1, 2, 3, 4, 5, 6, 7, 8};
                (void)fw_session_ping(&s, ping, now);
                (void)fw_session_send(&s, 0x40, 1, p, (uint32_t)n);
            }
        }
        while (n > 0u) {
            size_t used = fw_session_feed(&s, p, n, now, &ev);
            fz_check(used <= n, "used more than it was given");
            p += used;
            n -= used;
            drain(&s, r);
            if (ev.kind == FW_EVENT_NONE) {
                continue;
            }
            fz_log_event(&r->events, &ev);
            if (ev.kind == FW_EVENT_FATAL || ev.kind == FW_EVENT_PEER_ERROR) {
                done = 1;
                break;
            }
        }
    }
    if (!done && !(set->flags & FZ_NO_EOF)) {
        fw_session_end_of_input(&s, &ev);
        drain(&s, r);
        fz_log_event(&r->events, &ev);
    }
    free(rx);
}

/* Everything sent after the preface is a sequence of valid frames. */
static void check_sent(const struct fz_settings *set, const struct fz_log *sent)
{
    static uint8_t buf[FW_RX_BUFFER_SIZE(FZ_MAX_LIMIT, FZ_MAX_LIMIT)];
    fw_decoder dec;
    fw_event ev;
    const uint8_t *p = sent->bytes + FW_PREFACE_SIZE;
    size_t n = sent->len - FW_PREFACE_SIZE;
    fz_check(sent->len >= FW_PREFACE_SIZE, "no preface sent");
    fz_check(fw_decoder_init(&dec, (set->flags & FZ_DELIMITED) ? FW_DELIMITED : FW_LENGTH_PREFIXED,
                             FZ_MAX_LIMIT, FZ_MAX_LIMIT, 0u, buf, sizeof buf) == FW_STATUS_OK,
             "checking decoder");
    while (n > 0u) {
        size_t used = fw_decoder_feed(&dec, p, n, &ev);
        p += used;
        n -= used;
        fz_check(ev.kind == FW_EVENT_NONE || ev.kind == FW_EVENT_MESSAGE, "the session sent a bad frame");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_settings set;
    struct run whole = {{0}, {0}}, chunked = {{0}, {0}}, timed = {{0}, {0}};
    if (!fz_settings_read(&set, &data, &size)) {
        return 0;
    }
    run_session(&set, data, size, 0u, 0, &whole);
    run_session(&set, data, size, (uint8_t)(set.seed | 1u), 0, &chunked);
    fz_check(whole.events.len == chunked.events.len &&
                 (whole.events.len == 0u ||
                  memcmp(whole.events.bytes, chunked.events.bytes, whole.events.len) == 0),
             "whole and chunked input give different events");
    fz_check(whole.sent.len == chunked.sent.len &&
                 (whole.sent.len == 0u || memcmp(whole.sent.bytes, chunked.sent.bytes, whole.sent.len) == 0),
             "whole and chunked input make the session send different bytes");
    if (whole.sent.len != 0u) {
        check_sent(&set, &whole.sent);
    }
    if (set.flags & FZ_DEADLINES) {
        run_session(&set, data, size, (uint8_t)(set.seed | 1u), 1, &timed);
        if (timed.sent.len != 0u) {
            check_sent(&set, &timed.sent);
        }
    }
    free(whole.events.bytes);
    free(whole.sent.bytes);
    free(chunked.events.bytes);
    free(chunked.sent.bytes);
    free(timed.events.bytes);
    free(timed.sent.bytes);
    return 0;
}
