/* The encoder: frames, canonical splitting (FW-MSG-17), bounds, round trips. */
#include "framewire.h"

#include "cmocka_prelude.h"

#include <string.h>

static void one_frame(void **state)
{
    static const uint8_t want[] = {0x46, 0x57, 0x01, 0x00, 0x40, 0, 0, 0, 2, 0x68, 0x69};
    uint8_t out[32];
    (void)state;
    assert_int_equal(fw_encode_message(out, sizeof out, FW_LENGTH_PREFIXED, 0x40, 0,
                                       (const uint8_t *)"hi", 2, 256, false),
                     sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

/* Appendix B.3's checksummed frame: "hi" with C set ends with the CRC-32C trailer. */
static void checksum_trailer(void **state)
{
    uint8_t out[32];
    uint32_t crc;
    size_t n;
    (void)state;
    n = fw_encode_frame(out, sizeof out, FW_LENGTH_PREFIXED, 0x40, FW_FLAG_C,
                        (const uint8_t *)"hi", 2);
    assert_int_equal(n, 15);
    crc = fw_crc32c_update(0u, out, 11);
    assert_int_equal(out[11], (uint8_t)(crc >> 24));
    assert_int_equal(out[14], (uint8_t)crc);
}

/* 600 bytes at max frame 256: frames of 256, 256 and 88, with M and N as 5.1 says. */
static void canonical_split(void **state)
{
    uint8_t payload[600];
    uint8_t out[700];
    size_t n;
    (void)state;
    memset(payload, 0x33, sizeof payload);
    n = fw_encode_message(out, sizeof out, FW_LENGTH_PREFIXED, 0x41, 5, payload, 600, 256,
                          false);
    assert_int_equal(n, 600 + 3 * 9);
    assert_int_equal(out[3], 0x50 | FW_FLAG_M);
    assert_int_equal(out[9 + 256 + 3], 0x50 | FW_FLAG_M | FW_FLAG_N);
    assert_int_equal(out[2 * (9 + 256) + 3], 0x50 | FW_FLAG_N);
    assert_int_equal(out[2 * (9 + 256) + 8], 88);
}

/* A multiple of the frame size: no empty last frame. */
static void multiple_has_no_empty_frame(void **state)
{
    uint8_t payload[512];
    uint8_t out[600];
    (void)state;
    memset(payload, 1, sizeof payload);
    assert_int_equal(fw_encode_message(out, sizeof out, FW_LENGTH_PREFIXED, 0x40, 0,
                                       payload, 512, 256, false),
                     512 + 2 * 9);
}

/* The bound holds for both framings, with and without checksum, and no room gives 0. */
static void bound_is_enough(void **state)
{
    static uint8_t payload[2000];
    static uint8_t out[2300];
    uint32_t len;
    (void)state;
    for (len = 0; len < sizeof payload; len++) {
        payload[len] = (uint8_t)(len % 3u == 0u ? 0u : len);
    }
    for (len = 0; len <= 2000u; len += 97u) {
        int f;
        for (f = 0; f < 2; f++) {
            fw_framing framing = f == 0 ? FW_LENGTH_PREFIXED : FW_DELIMITED;
            size_t bound = fw_encode_bound(framing, len, 256);
            size_t n = fw_encode_message(out, sizeof out, framing, 0x40, 0, payload, len,
                                         256, true);
            assert_true(n > 0u);
            assert_true(n <= bound);
            assert_int_equal(fw_encode_message(out, n - 1u, framing, 0x40, 0, payload, len,
                                               256, true),
                             0);
        }
    }
}

static void bad_arguments(void **state)
{
    uint8_t out[64];
    (void)state;
    assert_int_equal(fw_encode_message(out, sizeof out, FW_LENGTH_PREFIXED, 0x40, 16,
                                       (const uint8_t *)"", 0, 256, false),
                     0);
    assert_int_equal(fw_encode_message(out, sizeof out, FW_LENGTH_PREFIXED, 0x40, 0,
                                       (const uint8_t *)"", 0, 0, false),
                     0);
    assert_int_equal(fw_encode_bound(FW_LENGTH_PREFIXED, 0xFFFFFFFFu, 1), 0);
    /* many small frames: 16 bytes each would wrap 32 bits without the check */
    assert_int_equal(fw_encode_bound(FW_DELIMITED, 0x10000000u, 1), 0);
}

/* What the encoder writes, the decoder reads back, in both framings. */
static void round_trip(void **state)
{
    static uint8_t payload[1500];
    static uint8_t wire[1700];
    static uint8_t rx[2048];
    int f;
    (void)state;
    for (f = 0; f < 1500; f++) {
        payload[f] = (uint8_t)(f * 13);
    }
    for (f = 0; f < 2; f++) {
        fw_framing framing = f == 0 ? FW_LENGTH_PREFIXED : FW_DELIMITED;
        fw_decoder d;
        fw_event ev;
        size_t n = fw_encode_message(wire, sizeof wire, framing, 0x9A, 7, payload, 1500, 256,
                                     f == 1);
        size_t used;
        assert_int_equal(fw_decoder_init(&d, framing, 256, 4096, 0, rx, sizeof rx),
                         FW_STATUS_OK);
        used = fw_decoder_feed(&d, wire, n, &ev);
        assert_int_equal(used, n);
        assert_int_equal(ev.kind, FW_EVENT_MESSAGE);
        assert_int_equal(ev.type, 0x9A);
        assert_int_equal(ev.flags, 7);
        assert_int_equal(ev.len, 1500);
        assert_memory_equal(ev.data, payload, 1500);
    }
}

/* FW-LIM-12: any maximum frame size from 1 up is split at, for a sender. */
static void frames_of_one_byte(void **state)
{
    uint8_t out[64];
    size_t n;
    (void)state;
    n = fw_encode_message(out, sizeof out, FW_LENGTH_PREFIXED, 0x40, 0,
                          (const uint8_t *)"abc", 3, 1, false);
    assert_int_equal(n, 3 * 10);
    assert_true(n <= fw_encode_bound(FW_LENGTH_PREFIXED, 3, 1));
    assert_int_equal(out[3], FW_FLAG_M);
    assert_int_equal(out[13], FW_FLAG_M | FW_FLAG_N);
    assert_int_equal(out[23], FW_FLAG_N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_frame),
        cmocka_unit_test(checksum_trailer),
        cmocka_unit_test(canonical_split),
        cmocka_unit_test(multiple_has_no_empty_frame),
        cmocka_unit_test(bound_is_enough),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(frames_of_one_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
