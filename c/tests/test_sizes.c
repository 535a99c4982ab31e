/* The state sizes framewire.h documents, checked at compile time (and reported). */
#include "framewire.h"

#include "cmocka_prelude.h"

#include <stdio.h>

#define FW_STATIC_ASSERT(cond, name) typedef char fw_static_assert_##name[(cond) ? 1 : -1]

#if UINTPTR_MAX > 0xFFFFFFFFu
FW_STATIC_ASSERT(sizeof(fw_decoder) == 56, decoder_lp64);
FW_STATIC_ASSERT(sizeof(fw_session) == 128, session_lp64);
FW_STATIC_ASSERT(sizeof(fw_event) == 24, event_lp64);
#else
FW_STATIC_ASSERT(sizeof(fw_decoder) == 52, decoder_ilp32);
FW_STATIC_ASSERT(sizeof(fw_session) == 112, session_ilp32);
FW_STATIC_ASSERT(sizeof(fw_event) == 16, event_ilp32);
#endif
/* the targets of the embedded build, which are about ILP32: with pointers of 8 bytes */
FW_STATIC_ASSERT(sizeof(fw_decoder) <= 64, decoder_target);
FW_STATIC_ASSERT(sizeof(fw_session) <= 128, session_target);

static void report_sizes(void **state)
{
    (void)state;
    printf("sizeof(fw_decoder) = %u, sizeof(fw_session) = %u, sizeof(fw_event) = %u\n",
           (unsigned)sizeof(fw_decoder), (unsigned)sizeof(fw_session),
           (unsigned)sizeof(fw_event));
    assert_true(FW_SESSION_TX_MIN >= FW_PREFACE_SIZE + FW_DLM_FRAME_BOUND(12u) +
                                         FW_SESSION_RESERVE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
