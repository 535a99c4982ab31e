/*
 * The delimited frame reader (spec 4.2): every 0x00 ends a frame; the bytes before it
 * are COBS-decoded as they arrive, the encoded size bounded by E (FW-DLM-4). The header
 * is checked once the delimiter is in, in the order of FW-HDR-8, though its verdict is
 * worked out at the 9th decoded byte: so a frame that will fail anyway stores nothing,
 * and a buffer smaller than the limits fails only at the first byte that does not fit.
 * Outside a session every error is recoverable (FW-DLM-6).
 */
#include "internal.h"

/* Report an error: recoverable in the codec, fatal in a session (FW-DLM-9). */
static void report(fw_decoder *d, fw_event *ev, uint16_t code)
{
    if ((d->mode & FW_MODE_SESSION) != 0u) {
        d->state = FW_ST_DONE;
        fw__event_error(ev, FW_EVENT_FATAL, code);
    } else {
        fw__event_error(ev, FW_EVENT_ERROR, code);
    }
}

/* A frame error (FW-MSG-14): the message in progress goes with the frame. */
static void frame_error(fw_decoder *d, fw_event *ev, uint16_t code, uint8_t next_state)
{
    fw__drop_message(d);
    fw__next_frame(d);
    d->state = next_state;
    report(d, ev, code);
}

/* One decoded byte of the current frame: header, payload or trailer. */
static void decoded(fw_decoder *d, uint8_t b, fw_event *ev)
{
    uint32_t off;

    if (d->pos < FW_HEADER_SIZE) {
        d->hdr[d->pos++] = b;
        if (d->pos == FW_HEADER_SIZE) {
            uint16_t v = fw__check_header(d);
            if (v == FW_OK) {
                v = fw__check_message(d);
            }
            d->verdict = v;
            if (v != FW_OK && (d->msg_flags & FW_MSG_KEEP) == 0u) {
                d->mode |= FW_MODE_NOSTORE;
            }
            d->crc = fw_crc32c_update(0u, d->hdr, FW_HEADER_SIZE);
        }
        return;
    }
    off = d->pos++ - FW_HEADER_SIZE;
    if (d->verdict >= 100u && d->verdict < 200u) {
        return; /* a header error: only the count matters now (length-mismatch) */
    }
    if (off < d->length) {
        uint32_t base = fw__payload_base(d);
        if ((d->mode & FW_MODE_NOSTORE) != 0u) {
            /* the frame fails the message rules: its checksum still comes first */
        } else if (base >= d->cap || off >= d->cap - base) {
            /* the first byte that does not fit the caller's buffer */
            frame_error(d, ev, FW_ERR_INTERNAL_ERROR, FW_ST_SKIP);
            return;
        } else {
            d->buf[base + off] = b;
        }
        if ((FW_HDR_FLAGS(d) & FW_FLAG_C) != 0u) {
            d->crc = fw_crc32c_update(d->crc, &b, 1u);
        }
    } else if (off - d->length < FW_TRAILER_SIZE) {
        uint32_t shift = 8u * (3u - (off - d->length));
        if (b != (uint8_t)(d->crc >> shift)) {
            d->mode |= FW_MODE_CRC_BAD;
        }
    }
}

/* The delimiter of a non-empty frame: the checks of FW-HDR-8, in their order. */
static void frame_end(fw_decoder *d, fw_event *ev)
{
    uint16_t v = d->verdict;
    uint32_t size;

    if (d->cobs != 0u) {
        frame_error(d, ev, FW_ERR_COBS_INVALID, FW_ST_FRAME);
        return;
    }
    if (d->pos < FW_HEADER_SIZE) {
        frame_error(d, ev, FW_ERR_LENGTH_MISMATCH, FW_ST_FRAME);
        return;
    }
    if (v >= 100u && v < 200u) {
        frame_error(d, ev, v, FW_ST_FRAME);
        return;
    }
    size = FW_HEADER_SIZE + d->length;
    if ((FW_HDR_FLAGS(d) & FW_FLAG_C) != 0u) {
        size += FW_TRAILER_SIZE;
    }
    if (d->pos != size) {
        frame_error(d, ev, FW_ERR_LENGTH_MISMATCH, FW_ST_FRAME);
        return;
    }
    if ((d->mode & FW_MODE_CRC_BAD) != 0u) {
        frame_error(d, ev, FW_ERR_CHECKSUM_MISMATCH, FW_ST_FRAME);
        return;
    }
    if (v == FW_OK) {
        fw__accept_frame(d, ev);
        return;
    }
    if (v == FW_ERR_MESSAGE_INTERRUPTED) {
        /* FW-MSG-13: the old message goes; the frame starts a new one, or is dropped */
        bool keep = (d->msg_flags & FW_MSG_KEEP) != 0u;
        fw__drop_message(d);
        report(d, ev, v);
        if (keep && d->state != FW_ST_DONE) {
            d->state = FW_ST_REPLAY;
            return;
        }
        fw__next_frame(d);
        return;
    }
    if (v != FW_ERR_UNEXPECTED_CONTINUATION) {
        fw__drop_message(d); /* continuation-mismatch, message-too-large (FW-MSG-14) */
    }
    fw__next_frame(d);
    report(d, ev, v);
}

size_t fw__feed_dlm(fw_decoder *d, const uint8_t *in, size_t n, fw_event *ev)
{
    size_t used = 0;

    while (used < n && ev->kind == FW_EVENT_NONE) {
        uint8_t b = in[used];
        if (d->state == FW_ST_REPLAY) {
            fw__accept_frame(d, ev); /* the delimiter at hand ends the kept frame */
            used++;
            continue;
        }
        used++;
        if (d->state != FW_ST_FRAME) {
            if (b == 0u) {
                fw__next_frame(d); /* hunting or skipping ends at a delimiter */
            }
            continue;
        }
        if (b == 0u) {
            if (d->enc != 0u) {
                frame_end(d, ev);
                if (d->state == FW_ST_REPLAY) {
                    used--; /* the delimiter is read again for the kept frame */
                }
            }
            continue;
        }
        /* E = m + 1 + floor(m / 254), m = 13 + max frame size (FW-DLM-4) */
        if (d->enc >= FW_COBS_BOUND(d->max_frame + FW_HEADER_SIZE + FW_TRAILER_SIZE)) {
            frame_error(d, ev, FW_ERR_FRAME_TOO_LARGE, FW_ST_SKIP);
            continue;
        }
        d->enc++;
        if (d->cobs == 0u) {
            /* a code byte: the zero that ended the previous block, if any, then a block */
            if ((d->msg_flags & FW_MSG_ZERO) != 0u) {
                decoded(d, 0u, ev);
            }
            d->cobs = (uint8_t)(b - 1u);
            if (b == 0xFFu) {
                d->msg_flags = (uint8_t)(d->msg_flags & ~FW_MSG_ZERO);
            } else {
                d->msg_flags |= FW_MSG_ZERO;
            }
        } else {
            d->cobs--;
            decoded(d, b, ev);
        }
    }
    return used;
}
