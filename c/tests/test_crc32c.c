/* CRC-32C (FW-CRC-2) in whichever variant this test is linked with. */
#include "framewire.h"

#include "cmocka_prelude.h"

#include <string.h>

static void check_value(void **state)
{
    (void)state;
    assert_int_equal(fw_crc32c_update(0u, (const uint8_t *)"123456789", 9), 0xE3069283u);
}

static void no_bytes_give_zero(void **state)
{
    (void)state;
    assert_int_equal(fw_crc32c_update(0u, (const uint8_t *)"", 0), 0u);
}

/* RFC 3720 B.4: 32 bytes of zeros, of 0xFF, and an ascending run. */
static void rfc3720_examples(void **state)
{
    uint8_t buf[32];
    unsigned i;
    (void)state;
    memset(buf, 0, sizeof buf);
    assert_int_equal(fw_crc32c_update(0u, buf, sizeof buf), 0x8A9136AAu);
    memset(buf, 0xFF, sizeof buf);
    assert_int_equal(fw_crc32c_update(0u, buf, sizeof buf), 0x62A8AB43u);
    for (i = 0; i < 32u; i++) {
        buf[i] = (uint8_t)i;
    }
    assert_int_equal(fw_crc32c_update(0u, buf, sizeof buf), 0x46DD794Eu);
}

/* Every split of the input gives the CRC of the whole (the readers feed it in pieces). */
static void incremental_equals_whole(void **state)
{
    uint8_t buf[300];
    size_t cut;
    uint32_t whole;
    (void)state;
    for (cut = 0; cut < sizeof buf; cut++) {
        buf[cut] = (uint8_t)(cut * 7u + 3u);
    }
    whole = fw_crc32c_update(0u, buf, sizeof buf);
    for (cut = 0; cut <= sizeof buf; cut += 13u) {
        uint32_t c = fw_crc32c_update(0u, buf, cut);
        assert_int_equal(fw_crc32c_update(c, buf + cut, sizeof buf - cut), whole);
    }
}

/* A reference computed bit by bit here, against the library on unaligned lengths. */
static void matches_bitwise_reference(void **state)
{
    uint8_t buf[77];
    size_t n;
    (void)state;
    for (n = 0; n < sizeof buf; n++) {
        buf[n] = (uint8_t)(n * 31u + 11u);
    }
    for (n = 0; n <= sizeof buf; n++) {
        uint32_t c = 0xFFFFFFFFu;
        size_t i;
        unsigned k;
        for (i = 0; i < n; i++) {
            c ^= buf[i];
            for (k = 0; k < 8u; k++) {
                c = (c & 1u) != 0u ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            }
        }
        assert_int_equal(fw_crc32c_update(0u, buf, n), ~c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_value),
        cmocka_unit_test(no_bytes_give_zero),
        cmocka_unit_test(rfc3720_examples),
        cmocka_unit_test(incremental_equals_whole),
        cmocka_unit_test(matches_bitwise_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
