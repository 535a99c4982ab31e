/*
 * The incremental decoder's entry points: set up, feed (handed to the framing's
 * reader), end of input (FW-LPF-4, FW-DLM-5, FW-DLM-11, FW-MSG-11).
 */
#include "internal.h"

fw_status fw_decoder_init(fw_decoder *d, fw_framing framing, uint32_t max_frame,
                          uint32_t max_message, unsigned options, uint8_t *buf,
                          uint32_t cap)
{
    bool delimited = framing == FW_DELIMITED;

    memset(d, 0, sizeof *d);
    d->state = FW_ST_DONE;
    if (max_frame < FW_MIN_LIMIT || max_frame > FW_MAX_FRAME_CEILING ||
        (max_message != 0u && max_message < FW_MIN_LIMIT) || buf == NULL ||
        (framing != FW_LENGTH_PREFIXED && !delimited) ||
        ((options & FW_DECODE_HUNTING) != 0u && !delimited)) {
        return FW_STATUS_BAD_ARGUMENT;
    }
    d->buf = buf;
    d->cap = cap;
    d->max_frame = max_frame;
    d->max_message = max_message;
    d->mode = (uint8_t)((delimited ? FW_MODE_DELIMITED : 0u) |
                        ((options & FW_DECODE_STREAM) != 0u ? FW_MODE_STREAM : 0u));
    fw__next_frame(d);
    if ((options & FW_DECODE_HUNTING) != 0u) {
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
        fw__event_error(ev, FW_EVENT_FATAL, FW_ERR_TRUNCATED_FRAME);
    } else if ((d->msg_flags & FW_MSG_OPEN) != 0u) {
        fw__event_error(ev, FW_EVENT_FATAL, FW_ERR_TRUNCATED_MESSAGE);
    } else {
        ev->kind = FW_EVENT_END;
    }
    d->state = FW_ST_DONE;
}
