/* The registry's names (spec section 8); FW_NO_ERROR_NAMES leaves them out. */
#include "framewire.h"

#ifdef FW_NO_ERROR_NAMES

const char *fw_error_name(unsigned code)
{
    (void)code;
    return "";
}

#else

/*
 * One string per code, in code order within each hundred: frame errors from 100,
 * message errors from 200, session errors from 300.
 */
static const char *const frame_names[] = {
    "bad-magic", "unsupported-version", "reserved-flag", "reserved-type",
    "fragmented-control", "frame-too-large", "length-mismatch", "cobs-invalid",
    "checksum-mismatch", "truncated-frame",
};
static const char *const message_names[] = {
    "unexpected-continuation", "message-interrupted", "continuation-mismatch",
    "message-too-large", "truncated-message",
};
static const char *const session_names[] = {
    "bad-preface", "handshake-incomplete", "unexpected-message", "malformed-control",
    "timeout", "internal-error",
};

#define FW_COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *fw_error_name(unsigned code)
{
    unsigned i = code % 100u;
    switch (code / 100u) {
    case 1:
        return i < FW_COUNT(frame_names) ? frame_names[i] : "";
    case 2:
        return i < FW_COUNT(message_names) ? message_names[i] : "";
    case 3:
        return i < FW_COUNT(session_names) ? session_names[i] : "";
    default:
        return "";
    }
}

#endif
