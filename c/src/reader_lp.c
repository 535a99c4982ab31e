/*
 * The length-prefixed frame reader (spec 4.1): 9 header bytes, checked as soon as the
 * 9th is in (FW-HDR-7), then exactly `length` payload bytes and the trailer. Every
 * error is fatal (FW-LPF-3). The payload is copied in runs, not byte by byte.
 */
#include "internal.h"

static size_t fatal(fw_decoder *d, fw_event *ev, uint16_t code, size_t used)
{
    d->state = FW_ST_DONE;
    fw__event_error(ev, FW_EVENT_FATAL, code);
    return used;
}

size_t fw__feed_lp(fw_decoder *d, const uint8_t *in, size_t n, fw_event *ev)
{
    size_t used = 0;

    while (used < n) {
        if (d->state == FW_ST_HEADER) {
            uint16_t err;
            d->hdr[d->pos++] = in[used++];
            if (d->pos < FW_HEADER_SIZE) {
                continue;
            }
            err = fw__check_header(d);
            if (err == FW_OK) {
                err = fw__check_message(d);
            }
            if (err != FW_OK) {
                return fatal(d, ev, err, used);
            }
            d->crc = fw_crc32c_update(0u, d->hdr, FW_HEADER_SIZE);
            d->state = FW_ST_BODY;
        } else {
            /* payload bytes first, then the trailer's */
            uint32_t off = d->pos - FW_HEADER_SIZE;
            bool checksum = (FW_HDR_FLAGS(d) & FW_FLAG_C) != 0u;
            if (off < d->length) {
                uint32_t base = fw__payload_base(d);
                uint32_t room = base < d->cap ? d->cap - base : 0u;
                uint32_t take = d->length - off;
                size_t avail = n - used;
                if (take > avail) {
                    take = (uint32_t)avail;
                }
                if (off >= room) {
                    /* the first byte that does not fit the caller's buffer */
                    return fatal(d, ev, FW_ERR_INTERNAL_ERROR, used);
                }
                if (take > room - off) {
                    take = room - off;
                }
                memcpy(d->buf + base + off, in + used, (size_t)take);
                if (checksum) {
                    d->crc = fw_crc32c_update(d->crc, in + used, (size_t)take);
                }
                used += (size_t)take;
                d->pos += take;
            } else if (off < d->length + FW_TRAILER_SIZE && checksum) {
                uint32_t shift = 8u * (3u - (off - d->length));
                if (in[used++] != (uint8_t)(d->crc >> shift)) {
                    d->mode |= FW_MODE_CRC_BAD;
                }
                d->pos++;
            }
        }
        if (d->state == FW_ST_BODY &&
            d->pos - FW_HEADER_SIZE ==
                d->length + ((FW_HDR_FLAGS(d) & FW_FLAG_C) != 0u ? FW_TRAILER_SIZE : 0u)) {
            if ((d->mode & FW_MODE_CRC_BAD) != 0u) {
                return fatal(d, ev, FW_ERR_CHECKSUM_MISMATCH, used);
            }
            fw__accept_frame(d, ev);
            if (ev->kind != FW_EVENT_NONE) {
                return used;
            }
        }
    }
    return used;
}
