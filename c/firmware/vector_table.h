/* The conformance vectors as C data, written by c/tools/gen_vectors.py from the vectors/ JSON files,
 * so that the same runner checks them on the host and on the emulated microcontroller. */
#ifndef FW_VECTOR_TABLE_H
#define FW_VECTOR_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum vt_framing { VT_LENGTH_PREFIXED = 0, VT_DELIMITED = 1 };

enum vt_event_kind { VT_MESSAGE = 0, VT_PIECE = 1, VT_ERROR = 2 };

enum vt_end_kind { VT_END_CLEAN = 0, VT_END_OPEN = 1, VT_END_ERROR = 2, VT_END_PEER_ERROR = 3 };

struct vt_bytes {
    const uint8_t *data;
    uint32_t size;
};

/* A message, a streamed piece, or a recoverable error (code). */
struct vt_event {
    uint8_t kind;
    uint8_t type;
    uint8_t flags;
    uint8_t first;
    uint8_t last;
    uint16_t code;
    struct vt_bytes payload;
};

struct vt_end {
    uint8_t kind;
    uint16_t code;          /* the error's code (VT_END_ERROR, VT_END_PEER_ERROR) */
    struct vt_bytes reason; /* the peer's reason (VT_END_PEER_ERROR) */
};

struct vt_decode_case {
    const char *id;
    uint8_t framing;
    uint8_t hunting;
    uint8_t assemble;
    uint8_t eof;
    uint8_t must; /* level MUST, else SHOULD */
    uint32_t max_frame_size;
    uint32_t max_message_size;
    struct vt_bytes input;
    const uint32_t *chunks;
    uint16_t chunk_count;
    const struct vt_event *events;
    uint16_t event_count;
    struct vt_end end;
};

struct vt_encode_case {
    const char *id;
    uint8_t framing;
    uint8_t checksum;
    uint8_t must;
    uint32_t max_frame_size;
    uint8_t type;
    uint8_t flags;
    struct vt_bytes payload;
    struct vt_bytes output;
};

/* What the implementation under test sends after its preface and HELLO. */
struct vt_sent {
    uint8_t is_error; /* else a PONG */
    uint16_t code;
    uint8_t pong[8];
};

struct vt_session_case {
    const char *id;
    uint8_t framing;
    uint8_t eof;
    uint8_t must;
    uint32_t max_frame_size;
    uint32_t max_message_size;
    struct vt_bytes input;
    struct vt_bytes hello_frame; /* exact HELLO frame expected (SHOULD cases), or empty */
    const struct vt_event *events;
    uint16_t event_count;
    const struct vt_sent *sent;
    uint16_t sent_count;
    struct vt_end end;
};

extern const struct vt_decode_case vt_decode_cases[];
extern const size_t vt_decode_case_count;
extern const struct vt_encode_case vt_encode_cases[];
extern const size_t vt_encode_case_count;
extern const struct vt_session_case vt_session_cases[];
extern const size_t vt_session_case_count;

#endif
