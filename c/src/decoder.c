/*
 * The incremental decoder's entry points: set up, feed (handed to the framing's
 * reader), end of input (FW-LPF-4, FW-DLM-5, FW-DLM-11, FW-MSG-11).
 */
#include "internal.h"

fw_status fw_decoder_init(fw_decoder *d, fw_framing framing, uint32_t max_frame,
                          uint32_t max_message, unsigned options, uint8_t *buf,
                          uint32_t cap)
{
    memset(d, 0, sizeof *d);
    d->state = FW_ST_DONE;
    if (max_frame - FW_MIN_LIMIT > FW_MAX_FRAME_CEILING - FW_MIN_LIMIT ||
        max_message - 1u < FW_MIN_LIMIT - 1u || buf == NULL) {
        return FW_STATUS_BAD_ARGUMENT; /* FW-LIM-2 */
    }
    d->buf = buf;
    d->cap = cap;
    d->max_frame = max_frame;
    d->max_message = max_message;
    d->mode = (uint8_t)((framing == FW_DELIMITED ? FW_MODE_DELIMITED : 0u) |
                        (options & FW_DECODE_STREAM));
    fw__next_frame(d);
    if ((options & FW_DECODE_HUNTING) != 0u && framing == FW_DELIMITED) {
        d->state = FW_ST_HUNT;
    }
    return FW_STATUS_OK;
}

size_t fw_decoder_feed(fw_decoder *d, const uint8_t *in, size_t n, fw_event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (d->state == FW_ST_DONE) {
        return n; /* FW-LPF-3: nothing more after a fatal error */
    }
    if ((d->mode & FW_MODE_DELIMITED) != 0u) {
        return fw__feed_dlm(d, in, n, ev);
    }
    return fw__feed_lp(d, in, n, ev);
}

bool fw_decoder_in_frame(const fw_decoder *d)
{
    if ((d->mode & FW_MODE_DELIMITED) != 0u) {
        return d->state == FW_ST_FRAME && d->enc != 0u;
    }
    return d->state != FW_ST_DONE && d->pos != 0u;
}

void fw_decoder_end(fw_decoder *d, fw_event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (d->state == FW_ST_DONE) {
        return;
    }
    if (fw_decoder_in_frame(d) || d->state == FW_ST_REPLAY) {
        ev->kind = FW_EVENT_FATAL;
        ev->code = FW_ERR_TRUNCATED_FRAME;
    } else if ((d->msg_flags & FW_MSG_OPEN) != 0u) {
        ev->kind = FW_EVENT_FATAL;
        ev->code = FW_ERR_TRUNCATED_MESSAGE;
    } else {
        ev->kind = FW_EVENT_END;
    }
    d->state = FW_ST_DONE;
}
