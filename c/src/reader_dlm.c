/*
 * The delimited frame reader (spec 4.2): every 0x00 ends a frame; the bytes before it
 * are COBS-decoded as they arrive, the encoded size bounded by E (FW-DLM-4). The frame
 * is checked once the delimiter is in, in the order of FW-HDR-8 (its header's verdict
 * was worked out at the 9th decoded byte). Outside a session every error is recoverable
 * (FW-DLM-6).
 */
#include "internal.h"

/* The delimiter of a non-empty frame: the checks of FW-HDR-8, in their order. */
static void frame_end(fw_decoder *d, fw_event *ev)
{
    uint16_t v = d->verdict;
    uint16_t code = FW_OK;

    if (d->cobs != 0u) {
        code = FW_ERR_COBS_INVALID;
    } else if (d->pos < FW_HEADER_SIZE) {
        code = FW_ERR_LENGTH_MISMATCH;
    } else if (FW_HEADER_ERROR(v)) {
        code = v;
    } else if (d->pos != fw__frame_size(d)) {
        code = FW_ERR_LENGTH_MISMATCH;
    } else if ((d->mode & FW_MODE_CRC_BAD) != 0u) {
        code = FW_ERR_CHECKSUM_MISMATCH;
    } else if (v == FW_OK) {
        fw__accept_frame(d, ev);
        return;
    } else if (v == FW_ERR_MESSAGE_INTERRUPTED && (d->msg_flags & FW_MSG_KEEP) != 0u) {
        /* FW-MSG-13: the old message goes; the frame starts a new one, at this delimiter */
        fw__drop_message(d);
        ev->kind = FW_EVENT_ERROR;
        ev->code = v;
        d->state = FW_ST_REPLAY;
        if ((d->mode & FW_MODE_SESSION) != 0u) {
            fw__fail_frame(d, ev, v, FW_ST_DONE);
        }
        return;
    } else {
        /* the rest drop the frame and the message in progress (FW-MSG-12 to FW-MSG-14;
         * after unexpected-continuation there is none) */
        code = v;
    }
    fw__fail_frame(d, ev, code, FW_ST_FRAME);
}

size_t fw__feed_dlm(fw_decoder *d, const uint8_t *in, size_t n, fw_event *ev)
{
    size_t used = 0;

    while (used < n && ev->kind == FW_EVENT_NONE) {
        uint32_t m = d->max_frame + FW_HEADER_SIZE + FW_TRAILER_SIZE;
        uint8_t b;
        if (d->state == FW_ST_FRAME && d->cobs != 0u) {
            /* a run of data bytes of the block: up to its end, a 0x00, or the bound E */
            size_t r = n - used;
            const uint8_t *zero;
            if (r > d->cobs) {
                r = d->cobs;
            }
            zero = (const uint8_t *)memchr(in + used, 0, r);
            if (zero != NULL) {
                r = (size_t)(zero - (in + used));
            }
            if (r > FW_COBS_BOUND(m) - d->enc) {
                r = (size_t)(FW_COBS_BOUND(m) - d->enc); /* at most E: enc never passes it */
            }
            if (r != 0u) {
                d->enc += (uint32_t)r;
                d->cobs = (uint8_t)(d->cobs - r);
                fw__frame_bytes(d, in + used, r, ev);
                used += r;
                continue;
            }
        }
        b = in[used++];
        if (d->state == FW_ST_REPLAY) {
            fw__accept_frame(d, ev); /* the delimiter at hand ends the kept frame */
        } else if (d->state != FW_ST_FRAME) {
            if (b == 0u) {
                fw__next_frame(d); /* hunting or skipping ends at a delimiter */
            }
        } else if (b == 0u) {
            if (d->enc != 0u) {
                frame_end(d, ev);
                if (d->state == FW_ST_REPLAY) {
                    used--; /* the delimiter is read again for the kept frame */
                }
            }
        } else if (d->enc > m && d->enc >= FW_COBS_BOUND(m)) {
            /* more than E = m + 1 + floor(m / 254) encoded bytes (FW-DLM-4) */
            fw__fail_frame(d, ev, FW_ERR_FRAME_TOO_LARGE, FW_ST_SKIP);
        } else {
            d->enc++;
            if (d->cobs == 0u) {
                /* a code byte: first the zero that ended the previous block, if any */
                if ((d->msg_flags & FW_MSG_ZERO) != 0u) {
                    static const uint8_t zero = 0u;
                    fw__frame_bytes(d, &zero, 1u, ev);
                }
                d->cobs = (uint8_t)(b - 1u);
                d->msg_flags = (uint8_t)((d->msg_flags & ~FW_MSG_ZERO) |
                                         (b != 0xFFu ? FW_MSG_ZERO : 0u));
            }
        }
    }
    return used;
}
