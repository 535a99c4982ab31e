/*
 * The session profile (spec section 6) over the decoder: preface, HELLO, ERROR,
 * PING/PONG, clean end, failing a connection, and the handshake, frame and PONG
 * deadlines of spec 7.2 from the clock the caller passes. No socket: what the session
 * sends is queued in the caller's transmit buffer.
 */
#include "internal.h"

#ifndef FW_NO_SESSION

/* fw_session.bits */
#define FW_SB_PREFACE 0x0Fu  /* preface bytes received so far (0 to 8) */
#define FW_SB_CHECKSUM 0x10u /* a trailer on every frame we send */
#define FW_SB_ENDED 0x20u    /* our direction ended (FW-CLS-1): nothing more is queued */
#define FW_SB_FRAME 0x40u    /* the frame deadline runs (from t_frame) */
#define FW_SB_PONG 0x80u     /* a PONG is owed to our PING (from t_ping) */

#define FW_SETTING_MAX_FRAME_SIZE 0x0001u
#define FW_SETTING_MAX_MESSAGE_SIZE 0x0002u

static const uint8_t preface[FW_PREFACE_SIZE] = {0x89u, 0x46u, 0x57u, 0x31u,
                                                 0x4Cu, 0x0Du, 0x0Au, 0x1Au};

static uint8_t preface_byte(const fw_session *s, unsigned i)
{
    if (i == 4u && (s->dec.mode & FW_MODE_DELIMITED) != 0u) {
        return 0x44u; /* 'D' */
    }
    return preface[i];
}

static fw_framing framing_of(const fw_session *s)
{
    return (s->dec.mode & FW_MODE_DELIMITED) != 0u ? FW_DELIMITED : FW_LENGTH_PREFIXED;
}

/* Queue one frame, leaving `keep` bytes of room; false when it does not fit. */
static bool queue_frame(fw_session *s, uint8_t type, const uint8_t *p, uint32_t len,
                        uint32_t keep)
{
    uint32_t room = s->tx_cap - s->tx_len;
    size_t k;

    if (room < keep) {
        return false;
    }
    k = fw__encode_frame(s->tx + s->tx_len, (size_t)(room - keep), framing_of(s), type,
                         (s->bits & FW_SB_CHECKSUM) != 0u ? FW_FLAG_C : 0u, 0u, 0u, p, len);
    s->tx_len += (uint32_t)k;
    return k != 0u;
}

static void reverse(uint8_t *p, uint32_t n)
{
    uint8_t *q = p + n;
    while (q - p > 1) {
        uint8_t t = *p;
        *p++ = *--q;
        *q = t;
    }
}

/*
 * FW-PNG-2: a PONG goes out before every data frame not started yet. Queued at the end,
 * it is moved (by three reversals, with no buffer) to the end of the head: after the
 * frame being written and the PONGs before it.
 */
static void queue_pong(fw_session *s, const uint8_t *p)
{
    uint32_t before = s->tx_len;
    uint8_t *head = s->tx + s->tx_head;
    uint32_t rest = before - s->tx_head;
    uint32_t k;

    (void)queue_frame(s, FW_TYPE_PONG, p, 8u, 0u); /* the room is kept by the feed */
    k = s->tx_len - before;
    reverse(head, rest);
    reverse(head + rest, k);
    reverse(head, rest + k);
    s->tx_head += k;
}

/* Size of the queued frame that starts at tx[at]: its header, or its delimiter, says. */
static uint32_t queued_frame_size(const fw_session *s, uint32_t at)
{
    const uint8_t *f = s->tx + at;
    if ((s->dec.mode & FW_MODE_DELIMITED) != 0u) {
        return (uint32_t)((const uint8_t *)memchr(f, 0, (size_t)(s->tx_len - at)) - f) + 1u;
    }
    return FW_HEADER_SIZE + fw__be32(f + 5) + ((f[3] & FW_FLAG_C) != 0u ? FW_TRAILER_SIZE : 0u);
}

static bool sends_error_frame(uint16_t code)
{
    return code != FW_ERR_TRUNCATED_FRAME && code != FW_ERR_TRUNCATED_MESSAGE &&
           code != FW_ERR_BAD_PREFACE && code != FW_ERR_HANDSHAKE_INCOMPLETE;
}

/* FW-SES-3: fail the connection, with an ERROR frame when FW-ERR-1 says so. */
static void fail(fw_session *s, uint16_t code, bool error_frame, fw_event *ev)
{
    s->state = FW_SESSION_FAILED;
    s->error = code;
    s->dec.state = FW_ST_DONE;
    s->bits = (uint8_t)(s->bits & ~(FW_SB_FRAME | FW_SB_PONG));
    if (error_frame && (s->bits & FW_SB_ENDED) == 0u) {
        /* the reason: the error's name (FW-ERR-2), which fits FW_SESSION_RESERVE */
        const char *reason = fw_error_name(code);
        /* encoded here, not through queue_frame(): one frame less on the deepest path */
        s->tx_len += (uint32_t)fw__encode_frame(
            s->tx + s->tx_len, (size_t)(s->tx_cap - s->tx_len), framing_of(s), FW_TYPE_ERROR,
            (s->bits & FW_SB_CHECKSUM) != 0u ? FW_FLAG_C : 0u, 2u, code,
            (const uint8_t *)reason, (uint32_t)strlen(reason));
    }
    memset(ev, 0, sizeof *ev);
    ev->kind = FW_EVENT_FATAL;
    ev->code = code;
}

static void default_config(fw_session_config *cfg)
{
    cfg->framing = FW_LENGTH_PREFIXED;
    cfg->max_frame_size = FW_DEFAULT_MAX_FRAME_SIZE;
    cfg->max_message_size = FW_DEFAULT_MAX_MESSAGE_SIZE;
    cfg->handshake_ms = 10000u;
    cfg->frame_ms = 30000u;
    cfg->pong_ms = 0u;
    cfg->checksum = false;
    cfg->stream = false;
}

void fw_session_config_default(fw_session_config *cfg)
{
    default_config(cfg);
}

fw_status fw_session_init(fw_session *s, const fw_session_config *cfg, uint8_t *rx,
                          uint32_t rx_cap, uint8_t *tx, uint32_t tx_cap, uint32_t now_ms)
{
    uint8_t hello[12];
    fw_status st;
    unsigned i;

    memset(s, 0, sizeof *s);
    s->state = FW_SESSION_FAILED;
    if (tx == NULL || tx_cap < FW_SESSION_TX_MIN) {
        return FW_STATUS_BAD_ARGUMENT;
    }
    st = fw_decoder_init(&s->dec, cfg->framing, cfg->max_frame_size, cfg->max_message_size,
                         cfg->stream ? FW_DECODE_STREAM : 0u, rx, rx_cap);
    if (st != FW_STATUS_OK) {
        return st;
    }
    s->dec.mode |= FW_MODE_SESSION;
    s->tx = tx;
    s->tx_cap = tx_cap;
    s->peer_frame = FW_DEFAULT_MAX_FRAME_SIZE;
    s->peer_message = FW_DEFAULT_MAX_MESSAGE_SIZE;
    s->handshake_ms = cfg->handshake_ms;
    s->frame_ms = cfg->frame_ms;
    s->pong_ms = cfg->pong_ms;
    s->t_open = now_ms;
    s->bits = cfg->checksum ? FW_SB_CHECKSUM : 0u;
    s->state = FW_SESSION_AWAIT_PREFACE;
    /* FW-SES-1: the preface, then HELLO with both limits (FW-HEL-8) */
    for (i = 0; i < FW_PREFACE_SIZE; i++) {
        s->tx[i] = preface_byte(s, i);
    }
    s->tx_len = FW_PREFACE_SIZE;
    hello[0] = 0u;
    hello[1] = FW_SETTING_MAX_FRAME_SIZE;
    fw__put_be32(hello + 2, cfg->max_frame_size);
    hello[6] = 0u;
    hello[7] = FW_SETTING_MAX_MESSAGE_SIZE;
    fw__put_be32(hello + 8, cfg->max_message_size);
    (void)queue_frame(s, FW_TYPE_HELLO, hello, sizeof hello, 0u);
    s->tx_head = s->tx_len; /* the preface is no frame: it goes first, as it is */
    return FW_STATUS_OK;
}

/*
 * FW-HEL-3: a multiple of 6 bytes, no identifier twice, known values in range; and
 * FW-HEL-10: at most 42 settings.
 */
static bool hello_valid(fw_session *s, const uint8_t *p, uint32_t len)
{
    uint32_t i;
    uint32_t j;

    if (len % 6u != 0u || len > 42u * 6u) {
        return false;
    }
    for (i = 0; i < len; i += 6u) {
        unsigned id = ((unsigned)p[i] << 8) | p[i + 1u];
        uint32_t v = fw__be32(p + i + 2u);
        for (j = 0; j < i; j += 6u) {
            if (p[j] == p[i] && p[j + 1u] == p[i + 1u]) {
                return false;
            }
        }
        if (id == FW_SETTING_MAX_FRAME_SIZE) {
            if (v < FW_MIN_LIMIT || v > FW_MAX_FRAME_CEILING) {
                return false;
            }
            s->peer_frame = v;
        } else if (id == FW_SETTING_MAX_MESSAGE_SIZE) {
            if (v != 0u && v < FW_MIN_LIMIT) {
                return false;
            }
            s->peer_message = v;
        }
    }
    return true;
}

/* UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, at most U+10FFFF. */
static bool utf8_valid(const uint8_t *p, uint32_t len)
{
    uint32_t i = 0;

    while (i < len) {
        uint8_t b = p[i];
        uint32_t more;
        uint8_t lo = 0x80u;
        uint8_t hi = 0xBFu;
        if (b < 0x80u) {
            i++;
            continue;
        }
        if (b >= 0xC2u && b <= 0xDFu) {
            more = 1u;
        } else if (b >= 0xE0u && b <= 0xEFu) {
            more = 2u;
            lo = b == 0xE0u ? 0xA0u : 0x80u;
            hi = b == 0xEDu ? 0x9Fu : 0xBFu;
        } else if (b >= 0xF0u && b <= 0xF4u) {
            more = 3u;
            lo = b == 0xF0u ? 0x90u : 0x80u;
            hi = b == 0xF4u ? 0x8Fu : 0xBFu;
        } else {
            return false;
        }
        if (len - i - 1u < more) {
            return false;
        }
        i++;
        while (more-- > 0u) {
            if (p[i] < lo || p[i] > hi) {
                return false;
            }
            lo = 0x80u;
            hi = 0xBFu;
            i++;
        }
    }
    return true;
}

/* A control message the decoder delivered; true when it gives the caller an event. */
static bool control(fw_session *s, fw_event *ev)
{
    const uint8_t *p = ev->data;
    uint32_t len = ev->len;

    switch (ev->type) {
    case FW_TYPE_HELLO:
        if (!hello_valid(s, p, len)) {
            fail(s, FW_ERR_MALFORMED_CONTROL, true, ev);
            return true;
        }
        s->dec.mode |= FW_MODE_HELLO;
        s->state = FW_SESSION_OPEN;
        ev->kind = FW_EVENT_OPEN;
        return true;
    case FW_TYPE_ERROR:
        /* FW-ERR-3, FW-PNG-6: nothing more goes out but the frame being written and the
         * PONGs owed, for a valid ERROR as for a malformed one (FW-ERR-4) */
        s->tx_len = s->tx_head;
        if (len < 2u || !utf8_valid(p + 2, len - 2u)) {
            /* FW-ERR-4: reported, but no ERROR in reply: the peer failed it already */
            fail(s, FW_ERR_MALFORMED_CONTROL, false, ev);
            return true;
        }
        s->state = FW_SESSION_FAILED;
        s->dec.state = FW_ST_DONE;
        s->error = (uint16_t)(((unsigned)p[0] << 8) | p[1]);
        s->bits = (uint8_t)(s->bits & ~(FW_SB_FRAME | FW_SB_PONG));
        ev->kind = FW_EVENT_PEER_ERROR;
        ev->code = s->error;
        ev->data = p + 2;
        ev->len = len - 2u;
        return true;
    default: /* PING or PONG (the decoder lets no other control type through) */
        if (len != 8u) {
            fail(s, FW_ERR_MALFORMED_CONTROL, true, ev);
            return true;
        }
        if (ev->type == FW_TYPE_PING) {
            if ((s->bits & FW_SB_ENDED) == 0u) {
                /* FW-PNG-2; the room is kept by fw_session_feed() */
                queue_pong(s, p);
            }
        } else if ((s->bits & FW_SB_PONG) != 0u && memcmp(p, s->ping, 8) == 0) {
            s->bits = (uint8_t)(s->bits & ~FW_SB_PONG);
        }
        memset(ev, 0, sizeof *ev);
        return false;
    }
}

/* Progress of the decoder inside its frame: it grows by one per byte of the same frame. */
static uint32_t progress(const fw_decoder *d)
{
    return (d->mode & FW_MODE_DELIMITED) != 0u ? d->enc : d->pos;
}

size_t fw_session_feed(fw_session *s, const uint8_t *in, size_t n, uint32_t now_ms,
                       fw_event *ev)
{
    size_t used = 0;

    memset(ev, 0, sizeof *ev);
    if (s->state == FW_SESSION_FAILED || s->state == FW_SESSION_PEER_DONE) {
        return n; /* FW-SES-3: discarded without decoding */
    }
    while (used < n) {
        uint32_t before;
        size_t k;
        if (s->state == FW_SESSION_AWAIT_PREFACE) {
            unsigned i = s->bits & FW_SB_PREFACE;
            if (in[used++] != preface_byte(s, i)) {
                fail(s, FW_ERR_BAD_PREFACE, false, ev); /* FW-PRE-2: at once, no ERROR */
                return used;
            }
            s->bits = (uint8_t)((s->bits & ~FW_SB_PREFACE) | (i + 1u));
            if (i + 1u == FW_PREFACE_SIZE) {
                s->state = FW_SESSION_AWAIT_HELLO;
            }
            continue;
        }
        if (s->tx_cap - s->tx_len < FW_SESSION_RESERVE) {
            return used; /* room for a PONG and an ERROR first */
        }
        before = progress(&s->dec);
        k = fw_decoder_feed(&s->dec, in + used, n - used, ev);
        used += k;
        if (s->state == FW_SESSION_OPEN) {
            /* FW-LIM-6: each frame's deadline runs from its first byte */
            if (!fw_decoder_in_frame(&s->dec)) {
                s->bits = (uint8_t)(s->bits & ~FW_SB_FRAME);
            } else if ((s->bits & FW_SB_FRAME) == 0u || progress(&s->dec) != before + k) {
                s->bits |= FW_SB_FRAME;
                s->t_frame = now_ms;
            }
        }
        if (ev->kind == FW_EVENT_FATAL) {
            fail(s, ev->code, sends_error_frame(ev->code), ev);
            return used;
        }
        if (ev->kind == FW_EVENT_MESSAGE && ev->type < FW_TYPE_DATA_MIN) {
            if (control(s, ev)) {
                return used;
            }
        } else if (ev->kind != FW_EVENT_NONE) {
            return used;
        }
    }
    return used;
}

void fw_session_end_of_input(fw_session *s, fw_event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (s->state == FW_SESSION_FAILED || s->state == FW_SESSION_PEER_DONE) {
        return;
    }
    if (s->state != FW_SESSION_OPEN) {
        fail(s, FW_ERR_HANDSHAKE_INCOMPLETE, false, ev); /* FW-PRE-3, FW-CLS-5 */
        return;
    }
    fw_decoder_end(&s->dec, ev);
    if (ev->kind == FW_EVENT_FATAL) {
        fail(s, ev->code, false, ev);
        return;
    }
    s->state = FW_SESSION_PEER_DONE;
    s->bits = (uint8_t)(s->bits & ~FW_SB_FRAME);
}

/* Milliseconds left of a deadline of `ms` that started at `from` (0: expired). */
static uint32_t left(uint32_t from, uint32_t ms, uint32_t now)
{
    uint32_t gone = now - from;
    return gone >= ms ? 0u : ms - gone;
}

uint32_t fw_session_timeout(const fw_session *s, uint32_t now_ms)
{
    uint32_t t = FW_NO_DEADLINE;

    if (s->state == FW_SESSION_AWAIT_PREFACE || s->state == FW_SESSION_AWAIT_HELLO) {
        if (s->handshake_ms != 0u) {
            t = left(s->t_open, s->handshake_ms, now_ms);
        }
        return t;
    }
    if (s->state != FW_SESSION_OPEN) {
        return t;
    }
    if ((s->bits & FW_SB_FRAME) != 0u && s->frame_ms != 0u) {
        t = left(s->t_frame, s->frame_ms, now_ms);
    }
    if ((s->bits & FW_SB_PONG) != 0u && s->pong_ms != 0u) {
        uint32_t v = left(s->t_ping, s->pong_ms, now_ms);
        if (v < t) {
            t = v;
        }
    }
    return t;
}

void fw_session_tick(fw_session *s, uint32_t now_ms, fw_event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (fw_session_timeout(s, now_ms) == 0u) {
        fail(s, FW_ERR_TIMEOUT, true, ev); /* FW-LIM-6, FW-LIM-8, FW-PNG-4 */
    }
}

const uint8_t *fw_session_output(const fw_session *s, size_t *n)
{
    *n = (size_t)s->tx_len;
    return s->tx;
}

void fw_session_output_done(fw_session *s, size_t n)
{
    uint32_t done = n < s->tx_len ? (uint32_t)n : s->tx_len;
    uint32_t at = s->tx_head;

    /* the head now ends where the frame that the written bytes cut ends, if any */
    while (at < done) {
        at += queued_frame_size(s, at);
    }
    s->tx_head = at - done;
    memmove(s->tx, s->tx + done, (size_t)(s->tx_len - done));
    s->tx_len -= done;
}

static bool may_send(const fw_session *s)
{
    return (s->state == FW_SESSION_OPEN || s->state == FW_SESSION_PEER_DONE) &&
           (s->bits & FW_SB_ENDED) == 0u;
}

fw_status fw_session_send(fw_session *s, uint8_t type, uint8_t app_flags,
                          const uint8_t *payload, uint32_t len)
{
    uint32_t room = s->tx_cap - s->tx_len;
    size_t k;

    if (type < FW_TYPE_DATA_MIN || app_flags > 15u) {
        return FW_STATUS_BAD_ARGUMENT;
    }
    if (!may_send(s)) {
        return FW_STATUS_BAD_STATE; /* FW-SES-2, FW-CLS-6, FW-SES-4 */
    }
    if (s->peer_message != 0u && len > s->peer_message) {
        return FW_STATUS_TOO_LARGE; /* FW-HEL-5 */
    }
    if (room <= FW_SESSION_RESERVE) {
        return FW_STATUS_NO_ROOM;
    }
    k = fw_encode_message(s->tx + s->tx_len, (size_t)(room - FW_SESSION_RESERVE),
                          framing_of(s), type, app_flags, payload, len, s->peer_frame,
                          (s->bits & FW_SB_CHECKSUM) != 0u);
    if (k == 0u) {
        return FW_STATUS_NO_ROOM;
    }
    s->tx_len += (uint32_t)k;
    return FW_STATUS_OK;
}

fw_status fw_session_ping(fw_session *s, const uint8_t payload[8], uint32_t now_ms)
{
    if (s->state != FW_SESSION_OPEN || (s->bits & FW_SB_ENDED) != 0u) {
        return FW_STATUS_BAD_STATE;
    }
    if (!queue_frame(s, FW_TYPE_PING, payload, 8u, FW_SESSION_RESERVE)) {
        return FW_STATUS_NO_ROOM;
    }
    memcpy(s->ping, payload, 8);
    s->t_ping = now_ms;
    s->bits |= FW_SB_PONG;
    return FW_STATUS_OK;
}

void fw_session_end(fw_session *s)
{
    s->bits |= FW_SB_ENDED;
}

void fw_session_abort(fw_session *s)
{
    fw_event ev;

    if (s->state != FW_SESSION_FAILED) {
        fail(s, FW_ERR_INTERNAL_ERROR, true, &ev);
    }
}

fw_session_state fw_session_get_state(const fw_session *s)
{
    return (fw_session_state)s->state;
}

unsigned fw_session_error(const fw_session *s)
{
    return s->error;
}

uint32_t fw_session_peer_max_frame(const fw_session *s)
{
    return s->peer_frame;
}

uint32_t fw_session_peer_max_message(const fw_session *s)
{
    return s->peer_message;
}

bool fw_session_ended(const fw_session *s)
{
    return (s->bits & FW_SB_ENDED) != 0u;
}

#else

typedef int fw_session_left_out; /* ISO C wants a translation unit to declare something */

#endif /* FW_NO_SESSION */
