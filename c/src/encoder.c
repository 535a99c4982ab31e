/*
 * The encoder: one frame, or a whole message split canonically (FW-MSG-17), in either
 * framing, into the caller's buffer.
 */
#include "internal.h"

size_t fw_encode_bound(fw_framing framing, uint32_t len, uint32_t max_frame)
{
    /* one frame more than a multiple of max_frame needs: a bound, not the count */
    uint32_t frames;
    uint32_t total;

    if (max_frame == 0u) {
        return 0;
    }
    frames = len / max_frame + 1u;
    /* per frame: header and trailer; delimited: COBS's 1 + floor(m / 254) (FW-COB-4)
     * and the delimiter, at most 2 + m / 254 over all frames together */
    if (len > 0x7FFFFFFFul || frames > (0x7FFFFFFFul - len) / 16u) {
        return 0; /* the bound would not fit in 32 bits */
    }
    total = len + frames * (FW_HEADER_SIZE + FW_TRAILER_SIZE);
    if (framing == FW_DELIMITED) {
        total += 2u * frames + total / 254u;
    }
#if SIZE_MAX < 0xFFFFFFFFul
    if (total > SIZE_MAX) {
        return 0;
    }
#endif
    return (size_t)total;
}

size_t fw__encode_frame(uint8_t *out, size_t cap, fw_framing framing, uint8_t type,
                        uint8_t flags, size_t code_len, uint16_t code,
                        const uint8_t *payload, uint32_t len)
{
    /* the header, and the ERROR code that starts the payload when code_len is 2 */
    uint8_t hdr[FW_HEADER_SIZE + 2];
    uint8_t trailer[FW_TRAILER_SIZE] = {0, 0, 0, 0};
    size_t hlen = FW_HEADER_SIZE + code_len;
    size_t tlen = (flags & FW_FLAG_C) != 0u ? FW_TRAILER_SIZE : 0u;
    fw__cobs c;
    size_t w;

    hdr[0] = 0x46u;
    hdr[1] = 0x57u;
    hdr[2] = 0x01u;
    hdr[3] = flags;
    hdr[4] = type;
    fw__put_be32(hdr + 5, len + (uint32_t)code_len);
    hdr[9] = (uint8_t)(code >> 8);
    hdr[10] = (uint8_t)code;
    if (tlen != 0u) {
        uint32_t crc = fw_crc32c_update(0u, hdr, hlen);
        crc = fw_crc32c_update(crc, payload, (size_t)len);
        fw__put_be32(trailer, crc);
    }
    fw__cobs_start(&c, out, cap, framing != FW_DELIMITED);
    fw__cobs_put(&c, hdr, hlen);
    fw__cobs_put(&c, payload, (size_t)len);
    fw__cobs_put(&c, trailer, tlen);
    w = fw__cobs_finish(&c);
    if (w == 0u || framing != FW_DELIMITED) {
        return w;
    }
    if (w >= cap) {
        return 0;
    }
    out[w] = 0u; /* the delimiter (FW-DLM-1) */
    return w + 1u;
}

size_t fw_encode_frame(uint8_t *out, size_t cap, fw_framing framing, uint8_t type,
                       uint8_t flags, const uint8_t *payload, uint32_t len)
{
    return fw__encode_frame(out, cap, framing, type, flags, 0u, 0u, payload, len);
}

size_t fw_encode_message(uint8_t *out, size_t cap, fw_framing framing, uint8_t type,
                         uint8_t app_flags, const uint8_t *payload, uint32_t len,
                         uint32_t max_frame, bool checksum)
{
    size_t w = 0;
    uint32_t off = 0;

    if (max_frame == 0u || app_flags > 15u) {
        return 0;
    }
    do {
        bool more = len - off > max_frame;
        uint32_t chunk = more ? max_frame : len - off;
        uint8_t flags = (uint8_t)((unsigned)app_flags << 4);
        if (checksum) {
            flags |= FW_FLAG_C;
        }
        if (off != 0u) {
            flags |= FW_FLAG_N;
        }
        if (more) {
            flags |= FW_FLAG_M;
        }
        size_t k = fw__encode_frame(out + w, cap - w, framing, type, flags, 0u, 0u,
                                    payload + off, chunk);
        if (k == 0u) {
            return 0;
        }
        w += k;
        off += chunk;
    } while (off < len);
    return w;
}
