/*
 * The message assembler: the header checks (FW-HDR-6), the session's state check
 * (FW-SES-6) and the message rules (FW-MSG-7 to FW-MSG-10), which both readers apply
 * at the point their framing gives, and what an accepted frame delivers (FW-MSG-15,
 * FW-MSG-18). The payload of a data message is assembled in the caller's buffer where
 * the reader stored it: fw__payload_base() says where a frame's payload goes.
 */
#include "internal.h"

uint32_t fw__be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

void fw__put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static bool is_data(uint8_t type)
{
    return type >= FW_TYPE_DATA_MIN;
}

uint16_t fw__check_header(fw_decoder *d)
{
    const uint8_t *h = d->hdr;
    uint8_t flags = FW_HDR_FLAGS(d);
    uint8_t type = FW_HDR_TYPE(d);
    uint32_t length = fw__be32(h + 5);

    d->length = length;
    if (h[0] != 0x46u || h[1] != 0x57u) {
        return FW_ERR_BAD_MAGIC;
    }
    if (h[2] != 0x01u) {
        return FW_ERR_UNSUPPORTED_VERSION;
    }
    if ((flags & FW_FLAG_R) != 0u) {
        return FW_ERR_RESERVED_FLAG;
    }
    if (type == 0u || (type > FW_TYPE_PONG && !is_data(type))) {
        return FW_ERR_RESERVED_TYPE;
    }
    if (!is_data(type)) {
        if ((flags & 0xF0u) != 0u) {
            return FW_ERR_RESERVED_FLAG;
        }
        if ((flags & (FW_FLAG_M | FW_FLAG_N)) != 0u) {
            return FW_ERR_FRAGMENTED_CONTROL;
        }
    }
    if (length > d->max_frame) {
        return FW_ERR_FRAME_TOO_LARGE; /* the ceiling too: max_frame is at most 2^30 */
    }
    return FW_OK;
}

uint16_t fw__check_message(fw_decoder *d)
{
    uint8_t flags = FW_HDR_FLAGS(d);
    uint8_t type = FW_HDR_TYPE(d);
    uint32_t limit = d->max_message;

    if ((d->mode & FW_MODE_SESSION) != 0u) {
        bool hello_seen = (d->mode & FW_MODE_HELLO) != 0u;
        if (hello_seen ? type == FW_TYPE_HELLO
                       : (type != FW_TYPE_HELLO && type != FW_TYPE_ERROR)) {
            return FW_ERR_UNEXPECTED_MESSAGE;
        }
    }
    if (!is_data(type)) {
        return FW_OK;
    }
    if ((flags & FW_FLAG_N) != 0u) {
        if ((d->msg_flags & FW_MSG_OPEN) == 0u) {
            return FW_ERR_UNEXPECTED_CONTINUATION;
        }
        if (type != d->msg_type || (uint8_t)(flags >> 4) != (d->msg_flags & FW_MSG_APP)) {
            return FW_ERR_CONTINUATION_MISMATCH;
        }
        if (limit != 0u && d->length > limit - d->total) {
            return FW_ERR_MESSAGE_TOO_LARGE;
        }
        return FW_OK;
    }
    if ((d->msg_flags & FW_MSG_OPEN) != 0u) {
        /* FW-MSG-13: the new frame is then checked again as a start frame */
        if (limit == 0u || d->length <= limit) {
            d->msg_flags |= FW_MSG_KEEP;
        }
        return FW_ERR_MESSAGE_INTERRUPTED;
    }
    if (limit != 0u && d->length > limit) {
        return FW_ERR_MESSAGE_TOO_LARGE;
    }
    return FW_OK;
}

uint32_t fw__payload_base(const fw_decoder *d)
{
    /*
     * Streaming holds one frame; a start frame begins the message at 0 (a message it
     * interrupts is dropped whatever happens); a continuation or a control frame goes
     * after the message in progress.
     */
    if ((d->mode & FW_MODE_STREAM) != 0u ||
        (is_data(FW_HDR_TYPE(d)) && (FW_HDR_FLAGS(d) & FW_FLAG_N) == 0u)) {
        return 0u;
    }
    return d->total;
}

void fw__drop_message(fw_decoder *d)
{
    d->msg_flags = 0u;
    d->total = 0u;
}

void fw__fail_frame(fw_decoder *d, fw_event *ev, uint16_t code, uint8_t next_state)
{
    fw__drop_message(d);
    fw__next_frame(d);
    d->state = next_state;
    ev->code = code;
    ev->kind = FW_EVENT_ERROR;
    if ((d->mode & (FW_MODE_DELIMITED | FW_MODE_SESSION)) != FW_MODE_DELIMITED) {
        /* length-prefixed (FW-LPF-3) or a session (FW-DLM-9): fatal */
        d->state = FW_ST_DONE;
        ev->kind = FW_EVENT_FATAL;
    }
}

void fw__frame_bytes(fw_decoder *d, const uint8_t *p, size_t n, fw_event *ev)
{
    while (n > 0u) {
        uint32_t off;
        uint32_t k;
        if (d->pos < FW_HEADER_SIZE) {
            d->hdr[d->pos++] = *p++;
            n--;
            if (d->pos == FW_HEADER_SIZE) {
                /* the verdict now; the readers report it where their framing says */
                uint16_t v = fw__check_header(d);
                if (v == FW_OK) {
                    v = fw__check_message(d);
                }
                d->verdict = v;
                if (v != FW_OK && (d->msg_flags & FW_MSG_KEEP) == 0u) {
                    d->mode |= FW_MODE_NOSTORE; /* it fails anyway: keep nothing */
                }
                d->crc = fw_crc32c_update(0u, d->hdr, FW_HEADER_SIZE);
            }
            continue;
        }
        off = d->pos - FW_HEADER_SIZE;
        if (FW_HEADER_ERROR(d->verdict)) {
            d->pos += (uint32_t)n; /* only the count matters now (length-mismatch) */
            return;
        }
        if (off < d->length) {
            k = d->length - off;
            if (k > n) {
                k = (uint32_t)n;
            }
            if ((d->mode & FW_MODE_NOSTORE) == 0u) {
                uint32_t base = fw__payload_base(d);
                uint32_t room = base < d->cap ? d->cap - base : 0u;
                if (off >= room) {
                    /* the first byte that does not fit the caller's buffer */
                    fw__fail_frame(d, ev, FW_ERR_INTERNAL_ERROR, FW_ST_SKIP);
                    return;
                }
                if (k > room - off) {
                    k = room - off;
                }
                memcpy(d->buf + base + off, p, (size_t)k);
            }
            if ((FW_HDR_FLAGS(d) & FW_FLAG_C) != 0u) {
                d->crc = fw_crc32c_update(d->crc, p, (size_t)k);
            }
        } else {
            k = 1u;
            if (off - d->length < FW_TRAILER_SIZE &&
                *p != (uint8_t)(d->crc >> (8u * (3u - (off - d->length))))) {
                d->mode |= FW_MODE_CRC_BAD;
            }
        }
        d->pos += k;
        p += k;
        n -= (size_t)k;
    }
}

void fw__next_frame(fw_decoder *d)
{
    d->pos = 0u;
    d->enc = 0u;
    d->cobs = 0u;
    d->crc = 0u;
    d->verdict = FW_OK;
    d->mode = (uint8_t)(d->mode & ~FW_MODE_FRAME_BITS);
    d->msg_flags = (uint8_t)(d->msg_flags & ~(FW_MSG_KEEP | FW_MSG_ZERO));
    d->state = (d->mode & FW_MODE_DELIMITED) != 0u ? FW_ST_FRAME : FW_ST_HEADER;
}

void fw__accept_frame(fw_decoder *d, fw_event *ev)
{
    uint8_t flags = FW_HDR_FLAGS(d);
    uint8_t type = FW_HDR_TYPE(d);
    uint32_t base = fw__payload_base(d);

    ev->type = type;
    ev->flags = (uint8_t)(flags >> 4);
    ev->data = d->buf + base;
    ev->len = d->length;
    if (!is_data(type)) {
        ev->kind = FW_EVENT_MESSAGE;
    } else {
        bool last = (flags & FW_FLAG_M) == 0u;
        if ((flags & FW_FLAG_N) == 0u) {
            d->msg_type = type;
            d->msg_flags = (uint8_t)(FW_MSG_OPEN | (flags >> 4));
            d->total = 0u;
        }
        d->total += d->length;
        if ((d->mode & FW_MODE_STREAM) != 0u) {
            ev->kind = FW_EVENT_PIECE;
            ev->piece = (uint8_t)(((flags & FW_FLAG_N) == 0u ? FW_PIECE_FIRST : 0u) |
                                  (last ? FW_PIECE_LAST : 0u));
        } else if (last) {
            ev->kind = FW_EVENT_MESSAGE;
            ev->data = d->buf;
            ev->len = d->total;
        }
        if (last) {
            fw__drop_message(d);
        }
    }
    fw__next_frame(d);
}

uint32_t fw__frame_size(const fw_decoder *d)
{
    return FW_HEADER_SIZE + d->length +
           ((FW_HDR_FLAGS(d) & FW_FLAG_C) != 0u ? FW_TRAILER_SIZE : 0u);
}
