/* COBS encoding, canonical (FW-COB-1), and its bound (FW-COB-4). */
#include "framewire.h"

#include "cmocka_prelude.h"

#include <string.h>

static void expect_cobs(const uint8_t *in, size_t n, const uint8_t *want, size_t want_n)
{
    uint8_t out[700];
    size_t w = fw_cobs_encode(out, sizeof out, in, n);
    assert_int_equal(w, want_n);
    assert_memory_equal(out, want, want_n);
    assert_true(w <= FW_COBS_BOUND(n));
}

static void small_cases(void **state)
{
    static const uint8_t zero[] = {0x00};
    static const uint8_t zero_enc[] = {0x01, 0x01};
    static const uint8_t mixed[] = {0x11, 0x00, 0x00, 0x22};
    static const uint8_t mixed_enc[] = {0x02, 0x11, 0x01, 0x02, 0x22};
    static const uint8_t empty_enc[] = {0x01};
    (void)state;
    expect_cobs(zero, 0, empty_enc, 1);
    expect_cobs(zero, 1, zero_enc, 2);
    expect_cobs(mixed, 4, mixed_enc, 5);
}

/* 254 non-zero bytes at the end: 0xFF and the bytes, no empty block after (FW-COB-1). */
static void full_block_at_the_end(void **state)
{
    uint8_t in[254];
    uint8_t want[255];
    (void)state;
    memset(in, 0x41, sizeof in);
    want[0] = 0xFF;
    memset(want + 1, 0x41, 254);
    expect_cobs(in, sizeof in, want, sizeof want);
}

/* 254 non-zero bytes and a zero: the full block, then an empty one for the zero. */
static void full_block_then_zero(void **state)
{
    uint8_t in[255];
    uint8_t want[257];
    (void)state;
    memset(in, 0x41, 254);
    in[254] = 0;
    want[0] = 0xFF;
    memset(want + 1, 0x41, 254);
    want[255] = 0x01;
    want[256] = 0x01;
    expect_cobs(in, sizeof in, want, sizeof want);
}

/* 600 non-zero bytes: blocks of 254, 254 and 92. */
static void long_run(void **state)
{
    uint8_t in[600];
    uint8_t want[603];
    (void)state;
    memset(in, 0x07, sizeof in);
    want[0] = 0xFF;
    memset(want + 1, 0x07, 254);
    want[255] = 0xFF;
    memset(want + 256, 0x07, 254);
    want[510] = 93;
    memset(want + 511, 0x07, 92);
    expect_cobs(in, sizeof in, want, sizeof want);
}

/* No room: 0, for every size short of the encoding. */
static void no_room(void **state)
{
    uint8_t in[300];
    uint8_t out[310];
    size_t need;
    size_t cap;
    (void)state;
    memset(in, 0x05, sizeof in);
    in[100] = 0;
    need = fw_cobs_encode(out, sizeof out, in, sizeof in);
    assert_true(need > 0u);
    for (cap = 0; cap < need; cap++) {
        assert_int_equal(fw_cobs_encode(out, cap, in, sizeof in), 0);
    }
}

/* A plain COBS decoder (FW-COB-2), to check the encoder against on many inputs. */
static size_t reference_decode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0;
    size_t w = 0;
    while (i < n) {
        uint8_t code = in[i++];
        uint8_t k;
        for (k = 1; k < code; k++) {
            out[w++] = in[i++];
        }
        if (code != 0xFFu && i < n) {
            out[w++] = 0;
        }
    }
    return w;
}

/* Random inputs, from no zero to mostly zeros: the encoding has no 0x00, stays within
 * the bound, and decodes back to the input. */
static void random_round_trips(void **state)
{
    static uint8_t in[800];
    static uint8_t enc[820];
    static uint8_t dec[820];
    uint32_t seed = 12345u;
    unsigned round;
    (void)state;
    for (round = 0; round < 400u; round++) {
        size_t n = round * 2u % sizeof in;
        unsigned zeros = round % 5u; /* zero bytes: none, about 1 in 256, 64, 16, 4 */
        size_t i;
        size_t w;
        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (uint8_t)(seed >> 16);
            if (zeros == 0u && in[i] == 0u) {
                in[i] = 1u;
            } else if (zeros > 1u && ((seed >> 8) & ((1u << (10u - 2u * zeros)) - 1u)) == 0u) {
                in[i] = 0u;
            }
        }
        w = fw_cobs_encode(enc, sizeof enc, in, n);
        assert_true(w > 0u && w <= FW_COBS_BOUND(n));
        assert_null(memchr(enc, 0, w));
        assert_int_equal(reference_decode(enc, w, dec), n);
        assert_memory_equal(dec, in, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_cases),
        cmocka_unit_test(full_block_at_the_end),
        cmocka_unit_test(full_block_then_zero),
        cmocka_unit_test(long_run),
        cmocka_unit_test(no_room),
        cmocka_unit_test(random_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
