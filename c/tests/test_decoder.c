/*
 * The decoder through its public API: splits, small buffers, recoverable and fatal
 * errors, hunting, streaming. (The vectors, through the adapter, cover every rule; these
 * tests cover what the vectors cannot see: the caller's buffer, the feed contract.)
 */
#include "framewire.h"

#include "cmocka_prelude.h"

#include <string.h>

typedef struct collected {
    fw_event events[16];
    uint8_t payloads[16][64];
    size_t count;
} collected;

static void keep(collected *c, const fw_event *ev)
{
    assert_true(c->count < 16u);
    c->events[c->count] = *ev;
    if (ev->len > 0u && ev->len <= 64u && ev->data != NULL) {
        memcpy(c->payloads[c->count], ev->data, ev->len);
    }
    c->count++;
}

/* Feed `in` in pieces of `step` bytes, as the feed contract says; then end if eof. */
static void feed_all(fw_decoder *d, const uint8_t *in, size_t n, size_t step, bool eof,
                     collected *c)
{
    fw_event ev;
    memset(c, 0, sizeof *c);
    while (n > 0u) {
        size_t piece = n < step ? n : step;
        const uint8_t *p = in;
        size_t left = piece;
        while (left > 0u) {
            size_t used = fw_decoder_feed(d, p, left, &ev);
            assert_true(used <= left);
            p += used;
            left -= used;
            if (ev.kind != FW_EVENT_NONE) {
                keep(c, &ev);
            } else {
                assert_int_equal(left, 0);
            }
        }
        in += piece;
        n -= piece;
    }
    if (eof) {
        fw_decoder_end(d, &ev);
        if (ev.kind != FW_EVENT_NONE) {
            keep(c, &ev);
        }
    }
}

static const uint8_t two_messages[] = {
    0x46, 0x57, 0x01, 0x00, 0x40, 0, 0, 0, 2, 'h', 'i',
    0x46, 0x57, 0x01, 0x21, 0x41, 0, 0, 0, 1, 'x', 0xF5, 0x6E, 0x2E, 0x64,
};

/* The trailer of the second frame above, computed here, not copied. */
static void fix_trailer(uint8_t *frame, size_t n)
{
    uint32_t crc = fw_crc32c_update(0u, frame, n - 4u);
    frame[n - 4] = (uint8_t)(crc >> 24);
    frame[n - 3] = (uint8_t)(crc >> 16);
    frame[n - 2] = (uint8_t)(crc >> 8);
    frame[n - 1] = (uint8_t)crc;
}

static void every_split_decodes_the_same(void **state)
{
    uint8_t in[sizeof two_messages];
    uint8_t rx[512];
    size_t step;
    (void)state;
    memcpy(in, two_messages, sizeof in);
    fix_trailer(in + 11, sizeof in - 11u);
    for (step = 1; step <= sizeof in; step++) {
        fw_decoder d;
        collected c;
        assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 256, 1024, 0, rx, sizeof rx),
                         FW_STATUS_OK);
        feed_all(&d, in, sizeof in, step, true, &c);
        assert_int_equal(c.count, 3);
        assert_int_equal(c.events[0].kind, FW_EVENT_MESSAGE);
        assert_memory_equal(c.payloads[0], "hi", 2);
        assert_int_equal(c.events[1].kind, FW_EVENT_MESSAGE);
        assert_int_equal(c.events[1].type, 0x41);
        assert_int_equal(c.events[1].flags, 2);
        assert_int_equal(c.events[2].kind, FW_EVENT_END);
    }
}

/*
 * A buffer smaller than the limits: a header the limits accept is accepted; the frame
 * fails with internal-error at the first byte that does not fit, not before.
 */
static void small_buffer_fails_at_the_first_byte_that_does_not_fit(void **state)
{
    uint8_t in[9 + 40];
    uint8_t rx[32];
    fw_decoder d;
    fw_event ev;
    (void)state;
    memset(in, 0x55, sizeof in);
    memcpy(in, "\x46\x57\x01\x00\x40\x00\x00\x00\x28", 9);
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 256, 1024, 0, rx, sizeof rx),
                     FW_STATUS_OK);
    assert_int_equal(fw_decoder_feed(&d, in, 9 + 32, &ev), 9 + 32);
    assert_int_equal(ev.kind, FW_EVENT_NONE);
    assert_int_equal(fw_decoder_feed(&d, in + 41, 1, &ev), 1);
    assert_int_equal(ev.kind, FW_EVENT_FATAL);
    assert_int_equal(ev.code, FW_ERR_INTERNAL_ERROR);
}

/* The same in delimited framing: recoverable, and the next frame decodes. */
static void small_buffer_delimited_recovers(void **state)
{
    uint8_t frame[9 + 40];
    uint8_t wire[128];
    uint8_t rx[32];
    size_t n;
    size_t m;
    fw_decoder d;
    collected c;
    (void)state;
    memset(frame, 0x55, sizeof frame);
    n = fw_encode_frame(wire, sizeof wire, FW_DELIMITED, 0x40, 0, frame, 40);
    m = fw_encode_frame(wire + n, sizeof wire - n, FW_DELIMITED, 0x40, 0,
                        (const uint8_t *)"ok", 2);
    assert_int_equal(fw_decoder_init(&d, FW_DELIMITED, 256, 1024, 0, rx, sizeof rx),
                     FW_STATUS_OK);
    feed_all(&d, wire, n + m, 1, true, &c);
    assert_int_equal(c.count, 3);
    assert_int_equal(c.events[0].kind, FW_EVENT_ERROR);
    assert_int_equal(c.events[0].code, FW_ERR_INTERNAL_ERROR);
    assert_int_equal(c.events[1].kind, FW_EVENT_MESSAGE);
    assert_memory_equal(c.payloads[1], "ok", 2);
    assert_int_equal(c.events[2].kind, FW_EVENT_END);
}

/*
 * FW-MSG-13: one delimiter gives two events, message-interrupted and the new message:
 * the call that reports the first uses no byte, the next one reports the second.
 */
static void interrupting_frame_gives_two_events(void **state)
{
    uint8_t wire[64];
    uint8_t rx[512];
    size_t n;
    fw_decoder d;
    fw_event ev;
    size_t used;
    (void)state;
    n = fw_encode_frame(wire, sizeof wire, FW_DELIMITED, 0x40, FW_FLAG_M,
                        (const uint8_t *)"ab", 2);
    n += fw_encode_frame(wire + n, sizeof wire - n, FW_DELIMITED, 0x40, 0,
                         (const uint8_t *)"cd", 2);
    assert_int_equal(fw_decoder_init(&d, FW_DELIMITED, 256, 1024, 0, rx, sizeof rx),
                     FW_STATUS_OK);
    used = fw_decoder_feed(&d, wire, n, &ev);
    assert_int_equal(ev.kind, FW_EVENT_ERROR);
    assert_int_equal(ev.code, FW_ERR_MESSAGE_INTERRUPTED);
    assert_int_equal(used, n - 1u);
    used = fw_decoder_feed(&d, wire + used, 1, &ev);
    assert_int_equal(used, 1);
    assert_int_equal(ev.kind, FW_EVENT_MESSAGE);
    assert_int_equal(ev.len, 2);
    assert_memory_equal(ev.data, "cd", 2);
}

/* FW-LPF-3: after a fatal error every byte is used and nothing more is reported. */
static void nothing_after_a_fatal_error(void **state)
{
    static const uint8_t bad[] = {0x46, 0x58, 0x01, 0x00, 0x40, 0, 0, 0, 0};
    uint8_t rx[256];
    fw_decoder d;
    fw_event ev;
    (void)state;
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 256, 0, 0, rx, sizeof rx),
                     FW_STATUS_OK);
    assert_int_equal(fw_decoder_feed(&d, bad, sizeof bad, &ev), sizeof bad);
    assert_int_equal(ev.kind, FW_EVENT_FATAL);
    assert_int_equal(ev.code, FW_ERR_BAD_MAGIC);
    assert_int_equal(fw_decoder_feed(&d, two_messages, sizeof two_messages, &ev),
                     sizeof two_messages);
    assert_int_equal(ev.kind, FW_EVENT_NONE);
    fw_decoder_end(&d, &ev);
    assert_int_equal(ev.kind, FW_EVENT_NONE);
}

/* FW-DLM-8: hunting discards up to the first 0x00; input that ends then ends cleanly. */
static void hunting(void **state)
{
    uint8_t wire[64] = {0x12, 0x34, 0x46};
    uint8_t rx[256];
    size_t n;
    fw_decoder d;
    collected c;
    (void)state;
    n = 3u + fw_encode_frame(wire + 3, sizeof wire - 3u, FW_DELIMITED, 0x40, 0,
                             (const uint8_t *)"z", 1);
    assert_int_equal(fw_decoder_init(&d, FW_DELIMITED, 256, 0, FW_DECODE_HUNTING, rx,
                                     sizeof rx),
                     FW_STATUS_OK);
    /* the junk has no 0x00: the frame's own delimiter ends the hunt, the frame is lost */
    feed_all(&d, wire, n, 2, true, &c);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.events[0].kind, FW_EVENT_END);
    /* length-prefixed framing has no hunting: the first byte starts a frame */
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 256, 0, FW_DECODE_HUNTING, rx,
                                     sizeof rx),
                     FW_STATUS_OK);
    feed_all(&d, two_messages, 11, 11, true, &c);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.events[0].kind, FW_EVENT_MESSAGE);
}

/* Streaming: one piece per data frame, first and last marked; control messages whole. */
static void streaming_pieces(void **state)
{
    uint8_t payload[300];
    uint8_t wire[400];
    uint8_t rx[256];
    size_t n;
    fw_decoder d;
    collected c;
    (void)state;
    memset(payload, 0x61, sizeof payload);
    n = fw_encode_message(wire, sizeof wire, FW_LENGTH_PREFIXED, 0x40, 0, payload, 300, 256,
                          true);
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 256, 0, FW_DECODE_STREAM, rx,
                                     sizeof rx),
                     FW_STATUS_OK);
    feed_all(&d, wire, n, 7, true, &c);
    assert_int_equal(c.count, 3);
    assert_int_equal(c.events[0].kind, FW_EVENT_PIECE);
    assert_int_equal(c.events[0].piece, FW_PIECE_FIRST);
    assert_int_equal(c.events[0].len, 256);
    assert_int_equal(c.events[1].piece, FW_PIECE_LAST);
    assert_int_equal(c.events[1].len, 44);
    assert_int_equal(c.events[2].kind, FW_EVENT_END);
}

/* End of input inside a frame, and at a boundary inside a message (FW-LPF-4, FW-MSG-11). */
static void truncations(void **state)
{
    uint8_t wire[64];
    uint8_t rx[256];
    size_t n;
    fw_decoder d;
    collected c;
    (void)state;
    n = fw_encode_frame(wire, sizeof wire, FW_LENGTH_PREFIXED, 0x40, FW_FLAG_M,
                        (const uint8_t *)"ab", 2);
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 256, 0, 0, rx, sizeof rx),
                     FW_STATUS_OK);
    feed_all(&d, wire, n - 1u, 64, true, &c);
    assert_int_equal(c.events[0].code, FW_ERR_TRUNCATED_FRAME);
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 256, 0, 0, rx, sizeof rx),
                     FW_STATUS_OK);
    feed_all(&d, wire, n, 64, true, &c);
    assert_int_equal(c.events[0].kind, FW_EVENT_FATAL);
    assert_int_equal(c.events[0].code, FW_ERR_TRUNCATED_MESSAGE);
}

/* FW-LIM-2: limits out of range are refused. */
static void limits_are_checked(void **state)
{
    uint8_t rx[16];
    fw_decoder d;
    (void)state;
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 255, 0, 0, rx, sizeof rx),
                     FW_STATUS_BAD_ARGUMENT);
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 1073741825ul, 0, 0, rx,
                                     sizeof rx),
                     FW_STATUS_BAD_ARGUMENT);
    assert_int_equal(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 256, 255, 0, rx, sizeof rx),
                     FW_STATUS_BAD_ARGUMENT);
    assert_int_equal(fw_decoder_init(&d, FW_DELIMITED, 1073741824ul, 0xFFFFFFFFul, 0, rx,
                                     sizeof rx),
                     FW_STATUS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_split_decodes_the_same),
        cmocka_unit_test(small_buffer_fails_at_the_first_byte_that_does_not_fit),
        cmocka_unit_test(small_buffer_delimited_recovers),
        cmocka_unit_test(interrupting_frame_gives_two_events),
        cmocka_unit_test(nothing_after_a_fatal_error),
        cmocka_unit_test(hunting),
        cmocka_unit_test(streaming_pieces),
        cmocka_unit_test(truncations),
        cmocka_unit_test(limits_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
