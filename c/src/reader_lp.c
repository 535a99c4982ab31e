/*
 * The length-prefixed frame reader (spec 4.1): 9 header bytes, checked as soon as the
 * 9th is in (FW-HDR-7), then exactly `length` payload bytes and the trailer, handed on
 * in runs. Every error is fatal (FW-LPF-3).
 */
#include "internal.h"

size_t fw__feed_lp(fw_decoder *d, const uint8_t *in, size_t n, fw_event *ev)
{
    size_t used = 0;

    while (used < n && ev->kind == FW_EVENT_NONE) {
        /* the rest of the header, or of the frame once the header is in */
        uint32_t want = d->pos < FW_HEADER_SIZE ? FW_HEADER_SIZE - d->pos
                                                : fw__frame_size(d) - d->pos;
        size_t k = n - used;
        if (want < k) {
            k = (size_t)want;
        }
        fw__frame_bytes(d, in + used, k, ev);
        used += k;
        if (d->state == FW_ST_DONE) {
            return used;
        }
        if (d->pos == FW_HEADER_SIZE && d->verdict != FW_OK) {
            fw__fail_frame(d, ev, d->verdict, FW_ST_DONE);
        } else if (d->pos >= FW_HEADER_SIZE && d->pos == fw__frame_size(d)) {
            if ((d->mode & FW_MODE_CRC_BAD) != 0u) {
                fw__fail_frame(d, ev, FW_ERR_CHECKSUM_MISMATCH, FW_ST_DONE);
            } else {
                fw__accept_frame(d, ev);
            }
        }
    }
    return used;
}
