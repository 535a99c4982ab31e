/* libFuzzer harness for the decoder, both framings: the input's first bytes choose the
 * framing, hunting, streaming, limits, buffer size and a chunking (fuzz_common.h). The
 * rest is decoded twice, whole and in chunks, and the two event logs must be equal
 * (the vectors' rule: every way of feeding gives the same result). Each event must keep
 * the API's promises; the sanitizers check every byte the decoder touches. */
#include "fuzz_common.h"

static void decode(const struct fz_settings *s, const uint8_t *data, size_t size,
                   uint8_t chunk_seed, struct fz_log *log)
{
    fw_decoder dec;
    fw_event ev;
    struct fz_chunker chunks = {size, chunk_seed};
    size_t cap = fz_buffer_size(s);
    uint8_t *buf = (uint8_t *)malloc(cap);
    unsigned options = ((s->flags & FZ_HUNTING) ? FW_DECODE_HUNTING : 0u) |
                       ((s->flags & FZ_STREAMING) ? FW_DECODE_STREAM : 0u);
    fw_framing framing = (s->flags & FZ_DELIMITED) ? FW_DELIMITED : FW_LENGTH_PREFIXED;
    int fatal = 0;
    if (buf == NULL) {
        abort();
    }
    if (fw_decoder_init(&dec, framing, s->max_frame, s->max_message, options, buf, (uint32_t)cap) !=
        FW_STATUS_OK) {
        free(buf);
        return;
    }
    while (size > 0u) {
        size_t n = fz_next_chunk(&chunks, size);
        const uint8_t *p = data;
        data += n;
        size -= n;
        for (;;) {
            size_t used = fw_decoder_feed(&dec, p, n, &ev);
            fz_check(used <= n, "used more than it was given");
            p += used;
            n -= used;
            if (ev.kind == FW_EVENT_NONE) {
                fz_check(n == 0u, "bytes left with nothing reported");
                break;
            }
            fz_check(!fatal, "an event after a fatal error");
            fz_check(ev.kind <= FW_EVENT_FATAL, "an event kind a decoder never reports");
            if (ev.kind == FW_EVENT_MESSAGE || ev.kind == FW_EVENT_PIECE) {
                fz_check(ev.flags <= 15u, "application flags out of range");
                fz_check(ev.len == 0u || (ev.data >= buf && ev.data + ev.len <= buf + cap),
                         "payload outside the receive buffer");
                fz_check(ev.type >= FW_TYPE_DATA_MIN || ev.len <= s->max_frame, "control too long");
                fz_check(ev.kind != FW_EVENT_MESSAGE || ev.type < FW_TYPE_DATA_MIN ||
                             s->max_message == 0u || ev.len <= s->max_message,
                         "a message above the limit");
            }
            if (ev.kind == FW_EVENT_ERROR) {
                fz_check(framing == FW_DELIMITED, "a recoverable error in length-prefixed framing");
            }
            fatal = ev.kind == FW_EVENT_FATAL;
            fz_log_event(log, &ev);
        }
    }
    if (!(s->flags & FZ_NO_EOF)) {
        fw_decoder_end(&dec, &ev);
        fz_check(!fatal || ev.kind == FW_EVENT_NONE, "an end reported after a fatal error");
        fz_log_event(log, &ev);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_settings s;
    struct fz_log whole = {0}, chunked = {0};
    if (!fz_settings_read(&s, &data, &size)) {
        return 0;
    }
    decode(&s, data, size, 0u, &whole);
    decode(&s, data, size, (uint8_t)(s.seed | 1u), &chunked);
    fz_check(whole.len == chunked.len && (whole.len == 0u || memcmp(whole.bytes, chunked.bytes, whole.len) == 0),
             "whole and chunked input decode differently");
    free(whole.bytes);
    free(chunked.bytes);
    return 0;
}
