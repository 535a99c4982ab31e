/*
 * Declarations shared by the library's source files; not part of the public API.
 * The decoder's fields are described in framewire.h; here are the values they take.
 */
#ifndef FW_INTERNAL_H
#define FW_INTERNAL_H

#include "framewire.h"

#include <string.h>

/* fw_decoder.state */
enum {
    FW_ST_HEADER = 0,  /* length-prefixed: reading the 9 header bytes */
    FW_ST_BODY = 1,    /* length-prefixed: reading payload and trailer */
    FW_ST_FRAME = 2,   /* delimited: reading a frame's encoded bytes */
    FW_ST_HUNT = 3,    /* delimited: discarding up to the first 0x00 (FW-DLM-8) */
    FW_ST_SKIP = 4,    /* delimited: discarding up to the next 0x00 (FW-DLM-4) */
    FW_ST_REPLAY = 5,  /* delimited: the delimiter at hand starts a kept frame (FW-MSG-13) */
    FW_ST_DONE = 6     /* a fatal error or the end of input was reported */
};

/* fw_decoder.mode bits */
#define FW_MODE_DELIMITED 0x01u
#define FW_MODE_STREAM 0x02u   /* the same bit as FW_DECODE_STREAM */
#define FW_MODE_SESSION 0x04u  /* every error fatal; the state check of FW-SES-6 */
#define FW_MODE_HELLO 0x08u    /* session: the peer's HELLO was delivered */
#define FW_MODE_CRC_BAD 0x10u  /* the current frame's trailer differs so far */
#define FW_MODE_NOSTORE 0x20u  /* the current frame fails anyway: its payload is not kept */
#define FW_MODE_FRAME_BITS (FW_MODE_CRC_BAD | FW_MODE_NOSTORE)

typedef char fw__stream_bit[FW_MODE_STREAM == FW_DECODE_STREAM ? 1 : -1];

/* fw_decoder.msg_flags bits (the low nibble: the message's application flags) */
#define FW_MSG_APP 0x0Fu
#define FW_MSG_OPEN 0x10u      /* a data message is in progress */
#define FW_MSG_KEEP 0x20u      /* the frame that interrupted it is kept as a start frame */
#define FW_MSG_ZERO 0x40u      /* delimited: the COBS block read ends with a 0x00 */

/* Header fields of the current frame. */
#define FW_HDR_FLAGS(d) ((d)->hdr[3])
#define FW_HDR_TYPE(d) ((d)->hdr[4])

uint32_t fw__be32(const uint8_t *p);
void fw__put_be32(uint8_t *p, uint32_t v);

/* message.c: the checks of spec 3.7 and 5.3, and what an accepted frame delivers. */
uint16_t fw__check_header(fw_decoder *d);
uint16_t fw__check_message(fw_decoder *d);
uint32_t fw__payload_base(const fw_decoder *d);
void fw__drop_message(fw_decoder *d);
void fw__accept_frame(fw_decoder *d, fw_event *ev);
void fw__next_frame(fw_decoder *d);
/*
 * A frame error: drop the frame and the message in progress (FW-MSG-14) and report it,
 * recoverable in the delimited codec (going on in next_state), fatal otherwise.
 */
void fw__fail_frame(fw_decoder *d, fw_event *ev, uint16_t code, uint8_t next_state);
/* n decoded bytes of the current frame: header (its verdict at the 9th byte), payload
 * into the caller's buffer, trailer compared; bytes beyond are only counted. */
void fw__frame_bytes(fw_decoder *d, const uint8_t *p, size_t n, fw_event *ev);
/* The frame's size in decoded bytes: header, payload, trailer. */
uint32_t fw__frame_size(const fw_decoder *d);

/* The header checks give codes 100 to 105; the session and message rules 200 and up. */
#define FW_HEADER_ERROR(code) ((code) != 0u && (code) < 200u)

/* cobs.c: an encoder fed in pieces (FW-COB-1). */
typedef struct fw__cobs {
    uint8_t *out;
    size_t cap;
    size_t code_at; /* where the open block's code byte goes */
    size_t w;       /* where the next byte goes */
    uint8_t run;    /* the open block's code so far: its data bytes + 1 */
    bool open;      /* a block is open (none right after a full one) */
    bool raw;       /* no COBS: the bytes are copied as they are */
    bool full;      /* out had no room */
} fw__cobs;

void fw__cobs_start(fw__cobs *c, uint8_t *out, size_t cap, bool raw);
void fw__cobs_put(fw__cobs *c, const uint8_t *in, size_t n);
size_t fw__cobs_finish(fw__cobs *c); /* the encoded size, or 0 when out was too small */

/* encoder.c: a frame whose payload starts with a 2-byte code when code_len is 2 (an
 * ERROR frame, without copying its reason), or is the payload alone when it is 0. */
size_t fw__encode_frame(uint8_t *out, size_t cap, fw_framing framing, uint8_t type,
                        uint8_t flags, size_t code_len, uint16_t code,
                        const uint8_t *payload, uint32_t len);

/* reader_lp.c and reader_dlm.c: one framing each. */
size_t fw__feed_lp(fw_decoder *d, const uint8_t *in, size_t n, fw_event *ev);
size_t fw__feed_dlm(fw_decoder *d, const uint8_t *in, size_t n, fw_event *ev);

#endif
