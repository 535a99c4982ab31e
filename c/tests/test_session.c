/*
 * The session through its public API: two sessions talking to each other through
 * their transmit buffers, deadlines from a clock the test moves, backpressure.
 */
#include "framewire.h"

#include "cmocka_prelude.h"

#include <string.h>

typedef struct peer {
    fw_session s;
    uint8_t rx[2048];
    uint8_t tx[2048];
} peer;

static peer a;
static peer b;

static void start(peer *p, fw_framing framing, uint32_t now)
{
    fw_session_config cfg;
    fw_session_config_default(&cfg);
    cfg.framing = framing;
    cfg.max_frame_size = 256;
    cfg.max_message_size = 1024;
    cfg.handshake_ms = 1000;
    cfg.frame_ms = 500;
    cfg.pong_ms = 200;
    cfg.checksum = framing == FW_DELIMITED;
    assert_int_equal(fw_session_init(&p->s, &cfg, p->rx, sizeof p->rx, p->tx, sizeof p->tx,
                                     now),
                     FW_STATUS_OK);
}

/* Move what `from` queued into `to`; the last event `to` reported goes to *last. */
static size_t pump(peer *from, peer *to, uint32_t now, fw_event *last)
{
    size_t n;
    const uint8_t *out = fw_session_output(&from->s, &n);
    uint8_t copy[2048];
    const uint8_t *p = copy;
    size_t left = n;
    size_t events = 0;
    memcpy(copy, out, n);
    fw_session_output_done(&from->s, n);
    memset(last, 0, sizeof *last);
    while (left > 0u) {
        fw_event ev;
        size_t used = fw_session_feed(&to->s, p, left, now, &ev);
        p += used;
        left -= used;
        if (ev.kind != FW_EVENT_NONE) {
            *last = ev;
            events++;
        }
    }
    return events;
}

static void handshake(fw_framing framing)
{
    fw_event ev;
    start(&a, framing, 0);
    start(&b, framing, 0);
    assert_int_equal(pump(&a, &b, 1, &ev), 1);
    assert_int_equal(ev.kind, FW_EVENT_OPEN);
    assert_int_equal(pump(&b, &a, 1, &ev), 1);
    assert_int_equal(ev.kind, FW_EVENT_OPEN);
    assert_int_equal(fw_session_get_state(&a.s), FW_SESSION_OPEN);
    assert_int_equal(fw_session_peer_max_frame(&a.s), 256);
    assert_int_equal(fw_session_peer_max_message(&a.s), 1024);
}

static void exchange_and_clean_end(void **state)
{
    int f;
    (void)state;
    for (f = 0; f < 2; f++) {
        uint8_t big[600];
        fw_event ev;
        handshake(f == 0 ? FW_LENGTH_PREFIXED : FW_DELIMITED);
        memset(big, 0x00, sizeof big);
        big[599] = 9;
        assert_int_equal(fw_session_send(&a.s, 0x40, 3, big, sizeof big), FW_STATUS_OK);
        assert_int_equal(pump(&a, &b, 2, &ev), 1);
        assert_int_equal(ev.kind, FW_EVENT_MESSAGE);
        assert_int_equal(ev.flags, 3);
        assert_int_equal(ev.len, 600);
        assert_memory_equal(ev.data, big, 600);
        /* a's direction ends: b reads a clean end and may still send */
        fw_session_end(&a.s);
        assert_int_equal(fw_session_send(&a.s, 0x40, 0, big, 1), FW_STATUS_BAD_STATE);
        fw_session_end_of_input(&b.s, &ev);
        assert_int_equal(ev.kind, FW_EVENT_END);
        assert_int_equal(fw_session_get_state(&b.s), FW_SESSION_PEER_DONE);
        assert_int_equal(fw_session_send(&b.s, 0x40, 0, big, 1), FW_STATUS_OK);
    }
}

/* FW-HEL-5: above the peer's MAX_MESSAGE_SIZE, refused locally; nothing queued. */
static void refuses_what_the_peer_does_not_accept(void **state)
{
    uint8_t big[1025];
    size_t before;
    size_t after;
    (void)state;
    handshake(FW_LENGTH_PREFIXED);
    memset(big, 1, sizeof big);
    (void)fw_session_output(&a.s, &before);
    assert_int_equal(fw_session_send(&a.s, 0x40, 0, big, sizeof big), FW_STATUS_TOO_LARGE);
    assert_int_equal(fw_session_send(&a.s, 0x03, 0, big, 8), FW_STATUS_BAD_ARGUMENT);
    (void)fw_session_output(&a.s, &after);
    assert_int_equal(before, after);
}

/* FW-SES-2: nothing before the peer's HELLO. */
static void nothing_sent_before_hello(void **state)
{
    (void)state;
    start(&a, FW_LENGTH_PREFIXED, 0);
    assert_int_equal(fw_session_send(&a.s, 0x40, 0, (const uint8_t *)"x", 1),
                     FW_STATUS_BAD_STATE);
    assert_int_equal(fw_session_ping(&a.s, (const uint8_t *)"12345678", 0),
                     FW_STATUS_BAD_STATE);
}

/* PING answered with PONG (FW-PNG-2); the PONG clears the pong deadline. */
static void ping_pong(void **state)
{
    fw_event ev;
    (void)state;
    handshake(FW_DELIMITED);
    assert_int_equal(fw_session_ping(&a.s, (const uint8_t *)"abcdefgh", 10), FW_STATUS_OK);
    assert_int_equal(fw_session_timeout(&a.s, 10), 200);
    assert_int_equal(pump(&a, &b, 20, &ev), 0);
    assert_int_equal(pump(&b, &a, 30, &ev), 0);
    assert_int_equal(fw_session_timeout(&a.s, 30), FW_NO_DEADLINE);
}

/* The handshake deadline: timeout, with an ERROR frame (FW-LIM-8). */
static void handshake_deadline(void **state)
{
    fw_event ev;
    size_t before;
    size_t after;
    (void)state;
    start(&a, FW_LENGTH_PREFIXED, 5000);
    assert_int_equal(fw_session_timeout(&a.s, 5400), 600);
    fw_session_tick(&a.s, 5999, &ev);
    assert_int_equal(ev.kind, FW_EVENT_NONE);
    (void)fw_session_output(&a.s, &before);
    fw_session_tick(&a.s, 6000, &ev);
    assert_int_equal(ev.kind, FW_EVENT_FATAL);
    assert_int_equal(ev.code, FW_ERR_TIMEOUT);
    (void)fw_session_output(&a.s, &after);
    assert_true(after > before);
    assert_int_equal(fw_session_error(&a.s), FW_ERR_TIMEOUT);
}

/* The frame deadline runs from a frame's first byte, and across the clock's wrap. */
static void frame_deadline(void **state)
{
    static const uint8_t part[] = {0x46, 0x57, 0x01};
    fw_event ev;
    uint32_t t0 = 0xFFFFFF00ul;
    (void)state;
    start(&a, FW_LENGTH_PREFIXED, t0);
    start(&b, FW_LENGTH_PREFIXED, t0);
    (void)pump(&a, &b, t0, &ev);
    assert_int_equal(fw_session_timeout(&b.s, t0), FW_NO_DEADLINE);
    assert_int_equal(fw_session_feed(&b.s, part, sizeof part, t0 + 10u, &ev), sizeof part);
    assert_int_equal(fw_session_timeout(&b.s, t0 + 10u), 500);
    fw_session_tick(&b.s, t0 + 509u, &ev);
    assert_int_equal(ev.kind, FW_EVENT_NONE);
    fw_session_tick(&b.s, t0 + 510u, &ev);
    assert_int_equal(ev.kind, FW_EVENT_FATAL);
    assert_int_equal(ev.code, FW_ERR_TIMEOUT);
}

/* FW-PRE-2: a wrong preface byte fails at once, with no ERROR frame. */
static void bad_preface(void **state)
{
    fw_event ev;
    size_t before;
    size_t after;
    (void)state;
    start(&a, FW_LENGTH_PREFIXED, 0);
    (void)fw_session_output(&a.s, &before);
    assert_int_equal(fw_session_feed(&a.s, (const uint8_t *)"\x89GET", 4, 0, &ev), 2);
    assert_int_equal(ev.kind, FW_EVENT_FATAL);
    assert_int_equal(ev.code, FW_ERR_BAD_PREFACE);
    (void)fw_session_output(&a.s, &after);
    assert_int_equal(before, after);
}

/* The peer's ERROR: reported with its code and reason; nothing more is sent. */
static void peer_error(void **state)
{
    fw_event ev;
    (void)state;
    handshake(FW_LENGTH_PREFIXED);
    fw_session_abort(&a.s);
    assert_int_equal(pump(&a, &b, 5, &ev), 1);
    assert_int_equal(ev.kind, FW_EVENT_PEER_ERROR);
    assert_int_equal(ev.code, FW_ERR_INTERNAL_ERROR);
    assert_int_equal(fw_session_get_state(&b.s), FW_SESSION_FAILED);
    assert_int_equal(fw_session_send(&b.s, 0x40, 0, (const uint8_t *)"x", 1),
                     FW_STATUS_BAD_STATE);
}

/*
 * PONGs that pile up hold the input back (the transmit buffer keeps room for a PONG and
 * an ERROR): the feed stops, and goes on once the output is taken. No PONG is lost.
 */
static void backpressure(void **state)
{
    static const uint8_t ping[] = {0x46, 0x57, 0x01, 0x00, 0x03, 0, 0, 0, 8,
                                   1, 2, 3, 4, 5, 6, 7, 8};
    static uint8_t pings[200 * sizeof ping];
    size_t used = 0;
    size_t pongs = 0;
    size_t stalls = 0;
    fw_event ev;
    size_t i;
    (void)state;
    handshake(FW_LENGTH_PREFIXED);
    for (i = 0; i < 200u; i++) {
        memcpy(pings + i * sizeof ping, ping, sizeof ping);
    }
    while (used < sizeof pings) {
        size_t n;
        size_t k = fw_session_feed(&b.s, pings + used, sizeof pings - used, 0, &ev);
        assert_int_equal(ev.kind, FW_EVENT_NONE);
        used += k;
        if (used < sizeof pings) {
            stalls++;
        }
        (void)fw_session_output(&b.s, &n);
        assert_true(n <= sizeof b.tx);
        pongs += n / sizeof ping;
        fw_session_output_done(&b.s, n);
    }
    assert_true(stalls > 0u);
    assert_int_equal(pongs, 200);
}

/* FW-HEL-10: more than 42 settings is malformed-control, even when the frame fits. */
static void hello_of_43_settings_is_malformed(void **state)
{
    uint8_t in[8 + 9 + 43 * 6];
    size_t i;
    fw_event ev;
    fw_session_config cfg;
    (void)state;
    fw_session_config_default(&cfg); /* 1 MiB frames: the HELLO of 258 bytes fits */
    assert_int_equal(fw_session_init(&a.s, &cfg, a.rx, sizeof a.rx, a.tx, sizeof a.tx, 0),
                     FW_STATUS_OK);
    memcpy(in, "\x89" "FW1L\r\n\x1a", 8);
    memcpy(in + 8, "\x46\x57\x01\x00\x01\x00\x00\x01\x02", 9);
    for (i = 0; i < 43u; i++) {
        uint8_t *setting = in + 17 + i * 6u;
        setting[0] = 0x10;
        setting[1] = (uint8_t)i; /* 43 unknown identifiers, all different */
        memset(setting + 2, 0, 4);
    }
    assert_int_equal(fw_session_feed(&a.s, in, 8 + 9 + 42 * 6, 0, &ev), 8 + 9 + 42 * 6);
    assert_int_equal(ev.kind, FW_EVENT_NONE);
    (void)fw_session_feed(&a.s, in + 8 + 9 + 42 * 6, 6, 0, &ev);
    assert_int_equal(ev.kind, FW_EVENT_FATAL);
    assert_int_equal(ev.code, FW_ERR_MALFORMED_CONTROL);
}

static const uint8_t ping_frame[] = {0x46, 0x57, 0x01, 0x00, 0x03, 0, 0, 0, 8,
                                     'p', 'i', 'n', 'g', 'p', 'o', 'n', 'g'};

/* FW-PNG-2: the PONG goes out before data queued but not started. */
static void pong_before_unsent_data(void **state)
{
    uint8_t data[300];
    fw_event ev;
    size_t n;
    const uint8_t *out;
    (void)state;
    handshake(FW_LENGTH_PREFIXED);
    memset(data, 0x5A, sizeof data);
    assert_int_equal(fw_session_send(&b.s, 0x40, 0, data, sizeof data), FW_STATUS_OK);
    fw_session_output_done(&b.s, 100); /* the first frame is started, not finished */
    assert_int_equal(fw_session_feed(&b.s, ping_frame, sizeof ping_frame, 0, &ev),
                     sizeof ping_frame);
    out = fw_session_output(&b.s, &n);
    /* the rest of the started frame (9 + 256 - 100 bytes), then the PONG, then the rest */
    assert_int_equal(n, (9 + 256 - 100) + 17 + (9 + 44));
    assert_int_equal(out[165 + 4], FW_TYPE_PONG);
    assert_memory_equal(out + 165 + 9, "pingpong", 8);
    assert_int_equal(out[165 + 17 + 4], 0x40);
    assert_int_equal(out[165 + 17 + 3], FW_FLAG_N);
    /* written in odd pieces, the queue keeps its frames whole */
    fw_session_output_done(&b.s, 170);
    out = fw_session_output(&b.s, &n);
    assert_int_equal(n, 12 + 53);
}

/* FW-ERR-3, FW-PNG-6: after the peer's ERROR, only the PONGs owed go out. */
static void peer_error_keeps_only_owed_pongs(void **state)
{
    uint8_t data[40];
    fw_event ev;
    size_t n;
    size_t used;
    const uint8_t *out;
    (void)state;
    handshake(FW_DELIMITED);
    memset(data, 1, sizeof data);
    assert_int_equal(fw_session_send(&b.s, 0x40, 0, data, sizeof data), FW_STATUS_OK);
    /* the peer's PING, then its ERROR, in delimited framing */
    {
        uint8_t wire[64];
        size_t w = fw_encode_frame(wire, sizeof wire, FW_DELIMITED, FW_TYPE_PING, 0,
                                   (const uint8_t *)"pingpong", 8);
        w += fw_encode_frame(wire + w, sizeof wire - w, FW_DELIMITED, FW_TYPE_ERROR, 0,
                             (const uint8_t *)"\x00\x00", 2);
        used = 0;
        while (used < w) {
            used += fw_session_feed(&b.s, wire + used, w - used, 0, &ev);
        }
    }
    assert_int_equal(ev.kind, FW_EVENT_PEER_ERROR);
    out = fw_session_output(&b.s, &n);
    assert_int_equal(out[n - 1], 0x00);
    assert_true(n < 30u); /* one PONG (with checksum), no data frame */
    assert_int_equal(fw_session_send(&b.s, 0x40, 0, data, 1), FW_STATUS_BAD_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exchange_and_clean_end),
        cmocka_unit_test(refuses_what_the_peer_does_not_accept),
        cmocka_unit_test(nothing_sent_before_hello),
        cmocka_unit_test(ping_pong),
        cmocka_unit_test(handshake_deadline),
        cmocka_unit_test(frame_deadline),
        cmocka_unit_test(bad_preface),
        cmocka_unit_test(peer_error),
        cmocka_unit_test(backpressure),
        cmocka_unit_test(hello_of_43_settings_is_malformed),
        cmocka_unit_test(pong_before_unsent_data),
        cmocka_unit_test(peer_error_keeps_only_owed_pongs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
