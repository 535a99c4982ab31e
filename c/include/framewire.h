/*
 * framewire.h - Framewire/1 in C99: codec (both framings, CRC-32C, COBS, multi-frame
 * messages, every frame and message error) and the session profile (preface, HELLO,
 * PING/PONG, ERROR, clean end, deadlines).
 *
 * No dynamic allocation and no I/O: the caller provides every buffer and every byte,
 * and passes the time in milliseconds. The core needs only <stdint.h>, <stddef.h>,
 * <stdbool.h> and <string.h> and builds freestanding.
 *
 * Configuration macros (define them for the whole build, e.g. -DFW_NO_SESSION):
 *
 *   FW_NO_SESSION       leave the session out (codec only).
 *   FW_NO_ERROR_NAMES   fw_error_name() returns "" (the 21 names are not linked in).
 *   FW_CRC_BITWISE      CRC-32C bit by bit: no table, smallest, slowest.
 *   FW_CRC_TABLE        CRC-32C with a 1 KiB byte table: fastest portable variant.
 *                       Default (neither): a 16-entry (64-byte) nibble table.
 *   FW_CRC_HW           use the CRC-32C instruction when the target has it at build time
 *                       (__SSE4_2__ on x86, __ARM_FEATURE_CRC32 on ARMv8); otherwise the
 *                       portable variant chosen above.
 *   FW_CRC_HW_RUNTIME   x86-64 with GCC or Clang: test for SSE4.2 at run time (cpuid) and
 *                       use the instruction when present.
 *
 * Every function is reentrant: all state lives in the structs the caller owns.
 */
#ifndef FRAMEWIRE_H
#define FRAMEWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this library. */
#define FW_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------------------ */
/* Protocol constants (spec sections 3, 6 and 7)                                         */
/* ------------------------------------------------------------------------------------ */

/** Size of a frame header: magic (2), version, flags, type, length (4). */
#define FW_HEADER_SIZE 9u
/** Size of the CRC-32C trailer of a frame whose C flag is set. */
#define FW_TRAILER_SIZE 4u
/** Size of the session preface. */
#define FW_PREFACE_SIZE 8u
/** The protocol ceiling of a frame's length, 2^30 (FW-LEN-3). */
#define FW_MAX_FRAME_CEILING 1073741824ul
/** The smallest maximum frame or message size a receiver may set (FW-LIM-2). */
#define FW_MIN_LIMIT 256u
/** Default maximum frame size (FW-LIM-1). */
#define FW_DEFAULT_MAX_FRAME_SIZE 1048576ul
/** Default maximum message size (FW-LIM-1); 0 means no limit. */
#define FW_DEFAULT_MAX_MESSAGE_SIZE 16777216ul

/** Flag bits of the header's flags byte (spec 3.3). */
#define FW_FLAG_C 0x01u /**< a CRC-32C trailer follows the payload */
#define FW_FLAG_M 0x02u /**< more frames of this message follow */
#define FW_FLAG_N 0x04u /**< this frame continues a message */
#define FW_FLAG_R 0x08u /**< reserved, must be zero */

/** Frame types (spec 3.4). Types 0x40 to 0xFF are application data. */
#define FW_TYPE_HELLO 0x01u
#define FW_TYPE_ERROR 0x02u
#define FW_TYPE_PING 0x03u
#define FW_TYPE_PONG 0x04u
#define FW_TYPE_DATA_MIN 0x40u

/** The two framings (spec section 4). */
typedef enum fw_framing {
    FW_LENGTH_PREFIXED = 0, /**< 9-byte header tells the length; errors are fatal */
    FW_DELIMITED = 1        /**< COBS + 0x00; recoverable errors outside a session */
} fw_framing;

/* ------------------------------------------------------------------------------------ */
/* Errors: the registry of spec section 8 (vectors/errors.json)                         */
/* ------------------------------------------------------------------------------------ */

/**
 * Registry codes. c/tests/check_errors.py checks this list against vectors/errors.json,
 * code for code and name for name. FW_OK (0) is no error: code 0 is never sent.
 */
typedef enum fw_error {
    FW_OK = 0,
    FW_ERR_BAD_MAGIC = 100,
    FW_ERR_UNSUPPORTED_VERSION = 101,
    FW_ERR_RESERVED_FLAG = 102,
    FW_ERR_RESERVED_TYPE = 103,
    FW_ERR_FRAGMENTED_CONTROL = 104,
    FW_ERR_FRAME_TOO_LARGE = 105,
    FW_ERR_LENGTH_MISMATCH = 106,
    FW_ERR_COBS_INVALID = 107,
    FW_ERR_CHECKSUM_MISMATCH = 108,
    FW_ERR_TRUNCATED_FRAME = 109,
    FW_ERR_UNEXPECTED_CONTINUATION = 200,
    FW_ERR_MESSAGE_INTERRUPTED = 201,
    FW_ERR_CONTINUATION_MISMATCH = 202,
    FW_ERR_MESSAGE_TOO_LARGE = 203,
    FW_ERR_TRUNCATED_MESSAGE = 204,
    FW_ERR_BAD_PREFACE = 300,
    FW_ERR_HANDSHAKE_INCOMPLETE = 301,
    FW_ERR_UNEXPECTED_MESSAGE = 302,
    FW_ERR_MALFORMED_CONTROL = 303,
    FW_ERR_TIMEOUT = 304,
    FW_ERR_INTERNAL_ERROR = 305
} fw_error;

/**
 * The registry's kebab-case name of a code ("bad-magic"), or "" for a code outside the
 * registry. With FW_NO_ERROR_NAMES it always returns "".
 */
const char *fw_error_name(unsigned code);

/**
 * Results of the API calls that can fail on the caller's side. These are local errors
 * (misuse of the API, no room in a buffer): they never go on the wire (FW-ERR-7).
 */
typedef enum fw_status {
    FW_STATUS_OK = 0,
    FW_STATUS_BAD_ARGUMENT = -1, /**< a limit out of range, a type that is not data, ... */
    FW_STATUS_NO_ROOM = -2,      /**< the output buffer is too small; flush and retry */
    FW_STATUS_TOO_LARGE = -3,    /**< the message exceeds the peer's MAX_MESSAGE_SIZE */
    FW_STATUS_BAD_STATE = -4     /**< not open yet, already ended, or failed */
} fw_status;

/* ------------------------------------------------------------------------------------ */
/* CRC-32C (FW-CRC-2)                                                                    */
/* ------------------------------------------------------------------------------------ */

/**
 * Continue a CRC-32C over n more bytes. Start with crc = 0; the result of each call is
 * the CRC-32C of everything so far (so fw_crc32c_update(0, "123456789", 9) is
 * 0xE3069283).
 */
uint32_t fw_crc32c_update(uint32_t crc, const uint8_t *data, size_t n);

/* ------------------------------------------------------------------------------------ */
/* COBS (spec 4.2.1)                                                                     */
/* ------------------------------------------------------------------------------------ */

/** Upper bound of the COBS encoding of n bytes (FW-COB-4), delimiter not counted. */
#define FW_COBS_BOUND(n) ((n) + 1u + (n) / 254u)

/**
 * Encode n bytes with the canonical COBS of FW-COB-1 (no delimiter) into out, which has
 * room for cap bytes. Returns the encoded size, or 0 when cap is too small (an
 * encoding is never empty). in and out must not overlap.
 */
size_t fw_cobs_encode(uint8_t *out, size_t cap, const uint8_t *in, size_t n);

/* ------------------------------------------------------------------------------------ */
/* Encoder (FW-MSG-17)                                                                   */
/* ------------------------------------------------------------------------------------ */

/** Size on the wire of a length-prefixed frame of n payload bytes, with a trailer. */
#define FW_LP_FRAME_BOUND(n) ((n) + FW_HEADER_SIZE + FW_TRAILER_SIZE)
/** Upper bound of a delimited frame of n payload bytes with a trailer and delimiter. */
#define FW_DLM_FRAME_BOUND(n) (FW_COBS_BOUND((n) + FW_HEADER_SIZE + FW_TRAILER_SIZE) + 1u)

/**
 * Upper bound of the bytes fw_encode_message() writes for a payload of len bytes split
 * into frames of at most max_frame bytes (checksum or not). Returns 0 when the bound
 * does not fit in a size_t.
 */
size_t fw_encode_bound(fw_framing framing, uint32_t len, uint32_t max_frame);

/**
 * Encode one frame: header with this type and flags byte (C, M, N and application
 * flags in the high nibble; C set adds the trailer), the payload, and in delimited
 * framing the COBS encoding and the 0x00 delimiter. Returns the bytes written, or 0
 * when cap is too small. The flags are written as given: checking them is the caller's.
 */
size_t fw_encode_frame(uint8_t *out, size_t cap, fw_framing framing, uint8_t type,
                       uint8_t flags, const uint8_t *payload, uint32_t len);

/**
 * Encode a whole message canonically (FW-MSG-17): one frame when len <= max_frame,
 * otherwise frames of exactly max_frame bytes and a last one with the rest, every frame
 * with a trailer when checksum is true. app_flags is 0 to 15. Returns the bytes
 * written, or 0 when cap is too small (fw_encode_bound() gives a size that is enough)
 * or an argument is out of range (max_frame 0, app_flags above 15).
 */
size_t fw_encode_message(uint8_t *out, size_t cap, fw_framing framing, uint8_t type,
                         uint8_t app_flags, const uint8_t *payload, uint32_t len,
                         uint32_t max_frame, bool checksum);

/* ------------------------------------------------------------------------------------ */
/* Events                                                                                 */
/* ------------------------------------------------------------------------------------ */

/** What a call of fw_decoder_feed(), fw_decoder_end() or a session call reports. */
typedef enum fw_event_kind {
    FW_EVENT_NONE = 0,    /**< nothing (yet): feed more bytes */
    FW_EVENT_MESSAGE = 1, /**< a whole message: type, flags, data, len */
    FW_EVENT_PIECE = 2,   /**< one data frame's payload when streaming; see piece */
    FW_EVENT_ERROR = 3,   /**< a recoverable error (delimited codec): code; decoding goes on */
    FW_EVENT_FATAL = 4,   /**< a fatal error: code; nothing more is reported */
    FW_EVENT_END = 5,     /**< a clean end of input */
    FW_EVENT_OPEN = 6,    /**< session: the peer's HELLO is in; data may be sent now */
    FW_EVENT_PEER_ERROR = 7 /**< session: the peer sent ERROR: code, reason in data/len */
} fw_event_kind;

/** Bits of fw_event.piece. */
#define FW_PIECE_FIRST 0x01u /**< the piece starts its message */
#define FW_PIECE_LAST 0x02u  /**< the piece ends its message */

/**
 * One event. data points into the caller's receive buffer (or, for a peer's ERROR
 * reason, into it as well) and stays valid until the next call that feeds bytes.
 * 16 bytes on ILP32 targets, 24 on LP64.
 */
typedef struct fw_event {
    const uint8_t *data; /**< payload of a message or piece; reason of a peer's ERROR */
    uint32_t len;        /**< bytes at data */
    uint16_t code;       /**< registry code of an ERROR, FATAL or PEER_ERROR event */
    uint8_t kind;        /**< an fw_event_kind */
    uint8_t type;        /**< frame type of a message or piece */
    uint8_t flags;       /**< application flags, 0 to 15 */
    uint8_t piece;       /**< FW_PIECE_FIRST and/or FW_PIECE_LAST for a PIECE */
} fw_event;

/* ------------------------------------------------------------------------------------ */
/* Decoder                                                                                */
/* ------------------------------------------------------------------------------------ */

/** Options of fw_decoder_init(). */
#define FW_DECODE_HUNTING 0x01u /**< delimited: discard up to the first 0x00 (FW-DLM-8) */
#define FW_DECODE_STREAM 0x02u  /**< one PIECE per data frame instead of whole messages */

/**
 * Receive buffer that always suffices for these limits (then only the limits reject):
 * assembling, a whole message and a control frame arriving in its middle (FW-MSG-19);
 * streaming, one frame. With max_message 0 (no limit) there is no such size: stream, or
 * assemble into a buffer of your choice (FW-LIM-11). A smaller buffer is allowed: a
 * frame or message that does not fit fails with internal-error at the first byte that
 * does not fit, never earlier (FW-LIM-10).
 */
#define FW_RX_BUFFER_SIZE(max_frame, max_message) ((max_message) + (max_frame))
#define FW_RX_STREAM_BUFFER_SIZE(max_frame) (max_frame)

/**
 * Incremental decoder state: 52 bytes on ILP32 targets (Cortex-M), 56 on LP64 hosts
 * (checked by a static assertion in the tests). Treat the fields as private.
 */
typedef struct fw_decoder {
    /* bytes first: small offsets are the cheapest to reach on Thumb */
    uint8_t state;        /* reader state */
    uint8_t mode;         /* framing and option bits */
    uint8_t cobs;         /* delimited: data bytes left in the current COBS block */
    uint8_t msg_type;     /* type of the data message in progress */
    uint8_t msg_flags;    /* its application flags, and status bits */
    uint8_t hdr[FW_HEADER_SIZE]; /* the current frame's header */
    uint16_t verdict;     /* the error the current frame's header earned, if any */
    uint8_t *buf;         /* caller's receive buffer */
    uint32_t cap;         /* its size */
    uint32_t max_frame;   /* limits (FW-LIM-1) */
    uint32_t max_message; /* 0: no limit */
    uint32_t total;       /* payload of the data message in progress so far */
    uint32_t length;      /* current frame's length field */
    uint32_t pos;         /* bytes of the current frame decoded so far */
    uint32_t enc;         /* delimited: encoded bytes of the current frame so far */
    uint32_t crc;         /* CRC-32C of the current frame so far */
} fw_decoder;

/**
 * Start a decoder for this framing and these limits (max_frame 256 to 2^30, max_message
 * 0 or 256 to 2^32-1, FW-LIM-2) with the caller's receive buffer. options: bits
 * FW_DECODE_* (hunting applies to delimited framing only, and is ignored otherwise).
 * Returns FW_STATUS_BAD_ARGUMENT for limits out of range or no buffer.
 */
fw_status fw_decoder_init(fw_decoder *d, fw_framing framing, uint32_t max_frame,
                          uint32_t max_message, unsigned options, uint8_t *buf,
                          uint32_t cap);

/**
 * Feed up to n bytes; stops at the first event. Returns how many bytes it used (all n
 * when ev->kind is FW_EVENT_NONE, except in a session that waits for output room), and
 * fills *ev. Call it again with the rest until all bytes are used:
 *
 *     while (n > 0) {
 *         size_t used = fw_decoder_feed(&dec, p, n, &ev);
 *         p += used; n -= used;
 *         if (ev.kind != FW_EVENT_NONE) handle(&ev);
 *     }
 *
 * One byte (from a UART interrupt) or 64 KiB (from recv) at a time decode the same.
 * It may return 0 bytes used with an event: a delimiter that both ends a message with
 * message-interrupted and starts a new one gives two events. After a FATAL event it
 * uses every byte and reports nothing more (FW-LPF-3).
 */
size_t fw_decoder_feed(fw_decoder *d, const uint8_t *in, size_t n, fw_event *ev);

/**
 * Signal end of input: ev is END (clean), FATAL (truncated-frame, truncated-message),
 * or NONE after a fatal error was already reported.
 */
void fw_decoder_end(fw_decoder *d, fw_event *ev);

/** True while the decoder is inside a frame (a byte of it is in, its last is not). */
bool fw_decoder_in_frame(const fw_decoder *d);

/* ------------------------------------------------------------------------------------ */
/* Session (spec section 6); left out with FW_NO_SESSION                                */
/* ------------------------------------------------------------------------------------ */

#ifndef FW_NO_SESSION

/** No deadline: returned by fw_session_timeout(), and a deadline of 0 ms disables one. */
#define FW_NO_DEADLINE 0xFFFFFFFFul

/** Largest PONG plus largest ERROR frame the session queues on its own. */
#define FW_SESSION_RESERVE 80u
/** Smallest transmit buffer: preface, HELLO and FW_SESSION_RESERVE. */
#define FW_SESSION_TX_MIN 128u

/** Session states (spec 6.8). */
typedef enum fw_session_state {
    FW_SESSION_AWAIT_PREFACE = 0,
    FW_SESSION_AWAIT_HELLO = 1,
    FW_SESSION_OPEN = 2,
    FW_SESSION_PEER_DONE = 3,
    FW_SESSION_FAILED = 4
} fw_session_state;

/** Configuration of a session. fw_session_config_default() fills in the defaults. */
typedef struct fw_session_config {
    fw_framing framing;
    uint32_t max_frame_size;   /**< announced and enforced (FW-HEL-6) */
    uint32_t max_message_size; /**< 0: no limit (then stream, FW-LIM-5) */
    uint32_t handshake_ms;     /**< handshake deadline; 0: none (default 10000) */
    uint32_t frame_ms;         /**< frame deadline; 0: none (default 30000) */
    uint32_t pong_ms;          /**< deadline for the PONG owed to our PING; 0: none */
    bool checksum;             /**< a trailer on every frame we send */
    bool stream;               /**< PIECE events instead of whole messages */
} fw_session_config;

/**
 * Session state: 112 bytes on ILP32 targets, 128 on LP64 hosts, the decoder included,
 * besides the caller's receive and transmit buffers. Treat the fields as private.
 */
typedef struct fw_session {
    uint8_t state;        /* an fw_session_state */
    uint8_t bits;         /* preface progress and status bits */
    uint16_t error;       /* the error that failed the session */
    uint8_t ping[8];      /* the payload of our outstanding PING */
    fw_decoder dec;
    uint8_t *tx;          /* caller's transmit buffer */
    uint32_t tx_cap;
    uint32_t tx_len;      /* bytes queued, from tx[0] */
    uint32_t tx_head;     /* of those, the ones that go first: a frame started, PONGs */
    uint32_t peer_frame;  /* the peer's MAX_FRAME_SIZE */
    uint32_t peer_message;/* the peer's MAX_MESSAGE_SIZE */
    uint32_t handshake_ms;
    uint32_t frame_ms;
    uint32_t pong_ms;
    uint32_t t_open;      /* when the connection opened */
    uint32_t t_frame;     /* when the current frame's first byte arrived */
    uint32_t t_ping;      /* when our outstanding PING was sent */
} fw_session;

/** The defaults of spec 7: length-prefixed, 1 MiB frames, 16 MiB messages, 10 s/30 s. */
void fw_session_config_default(fw_session_config *cfg);

/**
 * Start a session at now_ms: queues the preface and HELLO in tx (tx_cap at least
 * FW_SESSION_TX_MIN) and starts the handshake deadline. rx holds what the decoder
 * assembles (FW_RX_BUFFER_SIZE, or FW_RX_STREAM_BUFFER_SIZE when streaming).
 */
fw_status fw_session_init(fw_session *s, const fw_session_config *cfg, uint8_t *rx,
                          uint32_t rx_cap, uint8_t *tx, uint32_t tx_cap, uint32_t now_ms);

/**
 * Feed bytes received from the peer at now_ms; same contract as fw_decoder_feed().
 * Events: MESSAGE or PIECE (data only), OPEN, PEER_ERROR (the session is then failed,
 * nothing more is sent), FATAL (our side failed it; an ERROR frame is queued when the
 * registry says so). It returns fewer than n bytes with no event when tx lacks
 * FW_SESSION_RESERVE bytes of room: send the output, then call again.
 */
size_t fw_session_feed(fw_session *s, const uint8_t *in, size_t n, uint32_t now_ms,
                       fw_event *ev);

/** The peer's end of input: ev is END (clean end of its direction) or FATAL. */
void fw_session_end_of_input(fw_session *s, fw_event *ev);

/**
 * Check the deadlines at now_ms. When one has expired the session fails with timeout
 * (queuing its ERROR) and ev is FATAL; otherwise NONE.
 */
void fw_session_tick(fw_session *s, uint32_t now_ms, fw_event *ev);

/** Milliseconds from now_ms to the next deadline (0: expired), or FW_NO_DEADLINE. */
uint32_t fw_session_timeout(const fw_session *s, uint32_t now_ms);

/** The bytes queued for the peer; *n gets their count. */
const uint8_t *fw_session_output(const fw_session *s, size_t *n);

/** Drop the first n queued bytes once the transport has written them. */
void fw_session_output_done(fw_session *s, size_t n);

/**
 * Queue a data message (type 0x40 to 0xFF, app_flags 0 to 15), split into frames of the
 * peer's MAX_FRAME_SIZE. FW_STATUS_BAD_STATE before the peer's HELLO, after
 * fw_session_end() or a failure (FW-CLS-6); FW_STATUS_TOO_LARGE above the peer's
 * MAX_MESSAGE_SIZE (FW-HEL-5); FW_STATUS_NO_ROOM when tx lacks room (send the output
 * and retry); nothing is queued then.
 */
fw_status fw_session_send(fw_session *s, uint8_t type, uint8_t app_flags,
                          const uint8_t *payload, uint32_t len);

/**
 * Queue a PING with this 8-byte payload at now_ms; its PONG is owed within pong_ms.
 * FW_STATUS_BAD_STATE unless open and not ended, FW_STATUS_NO_ROOM without room.
 */
fw_status fw_session_ping(fw_session *s, const uint8_t payload[8], uint32_t now_ms);

/**
 * The application has nothing more to send (FW-CLS-1): after the queued output, the
 * caller half-closes (shutdown(SHUT_WR)). Nothing is queued afterwards, PONGs included.
 */
void fw_session_end(fw_session *s);

/** Fail the session for a reason of our own (FW-ERR-6): queues ERROR internal-error. */
void fw_session_abort(fw_session *s);

/** The current state (an fw_session_state). */
fw_session_state fw_session_get_state(const fw_session *s);

/** The error that failed the session (FW-SES-4), or the peer's code; 0 when none. */
unsigned fw_session_error(const fw_session *s);

/** The peer's announced limits, valid from the OPEN event on. */
uint32_t fw_session_peer_max_frame(const fw_session *s);
uint32_t fw_session_peer_max_message(const fw_session *s);

/** True once fw_session_end() was called: the caller half-closes after the output. */
bool fw_session_ended(const fw_session *s);

#endif /* FW_NO_SESSION */

#ifdef __cplusplus
}
#endif

#endif /* FRAMEWIRE_H */
