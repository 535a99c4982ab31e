/* fw_error_name(): every registry code named (or none with FW_NO_ERROR_NAMES). */
#include "framewire.h"

#include "cmocka_prelude.h"

#include <string.h>

static const unsigned codes[] = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 200,
                                 201, 202, 203, 204, 300, 301, 302, 303, 304, 305};

static void names(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
#ifdef FW_NO_ERROR_NAMES
        assert_string_equal(fw_error_name(codes[i]), "");
#else
        assert_true(strlen(fw_error_name(codes[i])) > 0u);
#endif
    }
#ifndef FW_NO_ERROR_NAMES
    assert_string_equal(fw_error_name(FW_ERR_BAD_MAGIC), "bad-magic");
    assert_string_equal(fw_error_name(FW_ERR_INTERNAL_ERROR), "internal-error");
#endif
}

static void outside_the_registry(void **state)
{
    static const unsigned others[] = {0, 1, 99, 110, 199, 205, 299, 306, 400, 65535};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof others / sizeof others[0]; i++) {
        assert_string_equal(fw_error_name(others[i]), "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(outside_the_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
