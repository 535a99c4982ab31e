/*
 * The conformance adapter of Framewire C (spec/conformance.md 10.3): reads one JSON
 * request per line on standard input, answers each with one line on standard output.
 * It only translates: every request becomes calls of the library's public API, and
 * what the library reports is written back unchanged.
 */
#define _POSIX_C_SOURCE 200809L

#include "framewire.h"
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The receive buffer the adapter gives a decoder or session: the size the limits need
 * (FW_RX_BUFFER_SIZE), but at most this, as a device with less memory would. */
#define ADAPTER_RX_MAX (1ul << 20)
#define ADAPTER_TX_SIZE (1ul << 16)

static unsigned char *hex_bytes(const char *hex, size_t *n)
{
    size_t len = strlen(hex) / 2u;
    /* never NULL, so that an empty chunk is a valid pointer with no bytes */
    unsigned char *p = malloc(len + 1u);
    size_t i;

    if (p == NULL) {
        abort();
    }
    for (i = 0; i < len; i++) {
        char two[3] = {hex[2u * i], hex[2u * i + 1u], '\0'};
        p[i] = (unsigned char)strtoul(two, NULL, 16);
    }
    *n = len;
    return p;
}

static fw_framing framing_of(const json *req)
{
    return strcmp(json_string(req, "framing", ""), "delimited") == 0 ? FW_DELIMITED
                                                                       : FW_LENGTH_PREFIXED;
}

static uint32_t limit(const json *req, const char *key)
{
    return (uint32_t)json_number(json_get(req, "limits"), key, 0.0);
}

static uint32_t rx_size(uint32_t max_frame, uint32_t max_message)
{
    uint64_t need = (uint64_t)max_frame + (max_message != 0u ? max_message : ADAPTER_RX_MAX);
    return need < ADAPTER_RX_MAX ? (uint32_t)need : (uint32_t)ADAPTER_RX_MAX;
}

static void error_json(jbuf *b, unsigned code)
{
    jb_printf(b, "{\"code\":%u,\"name\":", code);
    jb_string(b, fw_error_name(code), strlen(fw_error_name(code)));
    jb_raw(b, "}");
}

static void message_json(jbuf *b, const fw_event *ev)
{
    jb_printf(b, "{\"%s\":{\"type\":%u,\"flags\":%u,\"payload\":",
              ev->kind == FW_EVENT_PIECE ? "piece" : "message", (unsigned)ev->type,
              (unsigned)ev->flags);
    jb_hex(b, ev->data, ev->len);
    if (ev->kind == FW_EVENT_PIECE) {
        jb_printf(b, ",\"first\":%s,\"last\":%s",
                  (ev->piece & FW_PIECE_FIRST) != 0u ? "true" : "false",
                  (ev->piece & FW_PIECE_LAST) != 0u ? "true" : "false");
    }
    jb_raw(b, "}}");
}

static void comma(jbuf *b, int *count)
{
    if ((*count)++ > 0) {
        jb_raw(b, ",");
    }
}

static void decode(const json *req, jbuf *out, long seq)
{
    uint32_t max_frame = limit(req, "max_frame_size");
    uint32_t max_message = limit(req, "max_message_size");
    unsigned options = (json_bool(req, "hunting", false) ? FW_DECODE_HUNTING : 0u) |
                       (json_bool(req, "assemble", true) ? 0u : FW_DECODE_STREAM);
    uint32_t cap = rx_size(max_frame, max_message);
    unsigned char *buf = malloc(cap);
    fw_decoder dec;
    fw_event ev;
    const json *c;
    jbuf events = {NULL, 0, 0};
    int count = 0;
    unsigned fatal = 0;
    bool ended = false;

    if (buf == NULL) {
        abort();
    }
    jb_raw(&events, "");
    if (fw_decoder_init(&dec, framing_of(req), max_frame, max_message, options, buf, cap) !=
        FW_STATUS_OK) {
        jb_printf(out, "{\"seq\":%ld,\"status\":\"crashed\",\"detail\":\"fw_decoder_init refused the request\"}", seq);
        free(buf);
        free(events.s);
        return;
    }
    for (c = json_get(req, "chunks") != NULL ? json_get(req, "chunks")->child : NULL;
         c != NULL && fatal == 0u; c = c->next) {
        size_t n;
        unsigned char *bytes = hex_bytes(c->string, &n);
        const unsigned char *p = bytes;
        while (n > 0u && fatal == 0u) {
            size_t used = fw_decoder_feed(&dec, p, n, &ev);
            p += used;
            n -= used;
            if (ev.kind == FW_EVENT_MESSAGE || ev.kind == FW_EVENT_PIECE) {
                comma(&events, &count);
                message_json(&events, &ev);
            } else if (ev.kind == FW_EVENT_ERROR) {
                comma(&events, &count);
                jb_raw(&events, "{\"error\":");
                error_json(&events, ev.code);
                jb_raw(&events, "}");
            } else if (ev.kind == FW_EVENT_FATAL) {
                fatal = ev.code;
            }
        }
        free(bytes);
    }
    if (fatal == 0u && json_bool(req, "eof", true)) {
        fw_decoder_end(&dec, &ev);
        if (ev.kind == FW_EVENT_FATAL) {
            fatal = ev.code;
        } else {
            ended = ev.kind == FW_EVENT_END;
        }
    }
    jb_printf(out, "{\"seq\":%ld,\"status\":\"%s\",\"events\":[", seq, fatal ? "error" : "result");
    jb_rawn(out, events.s, events.len);
    if (fatal != 0u) {
        jb_raw(out, "],\"error\":");
        error_json(out, fatal);
        jb_raw(out, "}");
    } else {
        jb_printf(out, "],\"end\":\"%s\"}", ended ? "clean" : "open");
    }
    free(events.s);
    free(buf);
}

static void encode(const json *req, jbuf *out, long seq)
{
    const json *m = json_get(req, "message");
    const json *o = json_get(req, "options");
    size_t n;
    unsigned char *payload = hex_bytes(json_string(m, "payload", ""), &n);
    uint32_t max_frame = (uint32_t)json_number(o, "max_frame_size", 1048576.0);
    fw_framing framing = framing_of(req);
    size_t cap = fw_encode_bound(framing, (uint32_t)n, max_frame);
    unsigned char *wire = malloc(cap + 1u);
    size_t w;

    if (wire == NULL) {
        abort();
    }
    w = fw_encode_message(wire, cap, framing, (uint8_t)json_number(m, "type", 0.0),
                          (uint8_t)json_number(m, "flags", 0.0), payload, (uint32_t)n,
                          max_frame, json_bool(o, "checksum", false));
    if (w == 0u) {
        jb_printf(out, "{\"seq\":%ld,\"status\":\"crashed\",\"detail\":\"fw_encode_message refused the message\"}", seq);
    } else {
        jb_printf(out, "{\"seq\":%ld,\"status\":\"result\",\"output\":", seq);
        jb_hex(out, wire, w);
        jb_raw(out, "}");
    }
    free(wire);
    free(payload);
}

#ifndef FW_NO_SESSION
/* The application has read the peer's HELLO: it sends the request's messages in order
 * (FW-CNF-36). A send refused because the session has failed is not a fault: the
 * message is simply not sent. */
static void app_send(fw_session *s, const json *req)
{
    const json *m;

    for (m = json_get(req, "send") != NULL ? json_get(req, "send")->child : NULL; m != NULL;
         m = m->next) {
        size_t n;
        unsigned char *payload = hex_bytes(json_string(m, "payload", ""), &n);
        fw_status st = fw_session_send(s, (uint8_t)json_number(m, "type", 0.0),
                                       (uint8_t)json_number(m, "flags", 0.0), payload,
                                       (uint32_t)n);
        free(payload);
        if (st != FW_STATUS_OK) {
            if (st != FW_STATUS_BAD_STATE) {
                fprintf(stderr, "fw_adapter: fw_session_send: status %d\n", (int)st);
            }
            break;
        }
    }
}

/* Move what the session queued into `sent`. */
static void take_output(fw_session *s, jbuf *sent)
{
    static const char digits[] = "0123456789abcdef";
    size_t n;
    const uint8_t *p = fw_session_output(s, &n);
    size_t i;

    for (i = 0; i < n; i++) {
        char two[2];
        two[0] = digits[p[i] >> 4];
        two[1] = digits[p[i] & 0x0Fu];
        jb_rawn(sent, two, 2);
    }
    fw_session_output_done(s, n);
}

static void session(const json *req, jbuf *out, long seq)
{
    fw_session_config cfg;
    fw_session s;
    fw_event ev;
    uint32_t cap;
    unsigned char *rx;
    unsigned char *tx = malloc(ADAPTER_TX_SIZE);
    jbuf events = {NULL, 0, 0};
    jbuf sent = {NULL, 0, 0};
    jbuf end = {NULL, 0, 0};
    int count = 0;
    unsigned fatal = 0;
    const json *c;
    bool done = false;
    /* FW-CNF-34: reading late, the application acts on the events, and the output is
     * taken, only once every chunk is in. The library hands each event over with the
     * bytes, so the adapter holds what the application has not read: the HELLO. */
    bool late = strcmp(json_string(req, "read", "chunk"), "end") == 0;
    bool hello_unread = false;

    fw_session_config_default(&cfg);
    cfg.framing = framing_of(req);
    cfg.max_frame_size = limit(req, "max_frame_size");
    cfg.max_message_size = limit(req, "max_message_size");
    cap = rx_size(cfg.max_frame_size, cfg.max_message_size);
    rx = malloc(cap);
    if (rx == NULL || tx == NULL) {
        abort();
    }
    jb_raw(&events, "");
    jb_raw(&sent, "");
    jb_raw(&end, "\"open\"");
    if (fw_session_init(&s, &cfg, rx, cap, tx, ADAPTER_TX_SIZE, 0u) != FW_STATUS_OK) {
        jb_printf(out, "{\"seq\":%ld,\"status\":\"crashed\",\"detail\":\"fw_session_init refused the request\"}", seq);
        done = true;
    }
    if (!done) {
        take_output(&s, &sent); /* the preface and HELLO, sent at once (FW-SES-1) */
    }
    for (c = json_get(req, "chunks") != NULL ? json_get(req, "chunks")->child : NULL;
         c != NULL && !done; c = c->next) {
        size_t n;
        unsigned char *bytes = hex_bytes(c->string, &n);
        const unsigned char *p = bytes;
        while (n > 0u) {
            size_t used = fw_session_feed(&s, p, n, 0u, &ev);
            p += used;
            n -= used;
            if (ev.kind == FW_EVENT_OPEN && json_bool(req, "control", false)) {
                comma(&events, &count); /* FW-CNF-35 */
                jb_printf(&events, "{\"hello\":{\"max_frame_size\":%lu,\"max_message_size\":%lu}}",
                          (unsigned long)fw_session_peer_max_frame(&s),
                          (unsigned long)fw_session_peer_max_message(&s));
            }
            if (ev.kind == FW_EVENT_OPEN && late) {
                hello_unread = true;
            } else if (ev.kind == FW_EVENT_OPEN) {
                app_send(&s, req);
            }
            if (!late) {
                take_output(&s, &sent);
            }
            if (ev.kind == FW_EVENT_MESSAGE) {
                comma(&events, &count);
                message_json(&events, &ev);
            } else if (ev.kind == FW_EVENT_FATAL) {
                fatal = ev.code;
            } else if (ev.kind == FW_EVENT_PEER_ERROR) {
                end.len = 0;
                jb_printf(&end, "{\"peer_error\":{\"code\":%u,\"reason\":", (unsigned)ev.code);
                jb_string(&end, (const char *)ev.data, ev.len);
                jb_raw(&end, "}}");
            }
        }
        free(bytes);
    }
    if (hello_unread) {
        app_send(&s, req);
    }
    if (!done) {
        take_output(&s, &sent);
    }
    if (!done && json_bool(req, "eof", true)) {
        fw_session_end_of_input(&s, &ev);
        take_output(&s, &sent);
        if (ev.kind == FW_EVENT_FATAL) {
            fatal = ev.code;
        } else if (ev.kind == FW_EVENT_END) {
            end.len = 0;
            jb_raw(&end, "\"clean\"");
        }
    }
    if (!done) {
        jb_printf(out, "{\"seq\":%ld,\"status\":\"%s\",\"events\":[", seq,
                  fatal ? "error" : "result");
        jb_rawn(out, events.s, events.len);
        jb_raw(out, "],\"sent\":\"");
        jb_rawn(out, sent.s, sent.len);
        jb_raw(out, "\"");
        if (fatal != 0u) {
            jb_raw(out, ",\"error\":");
            error_json(out, fatal);
        } else {
            jb_raw(out, ",\"end\":");
            jb_rawn(out, end.s, end.len);
        }
        /* FW-CNF-37: nothing more is queued after a failure or fw_session_end() */
        jb_printf(out, ",\"sending\":\"%s\"}",
                  fw_session_get_state(&s) == FW_SESSION_FAILED || fw_session_ended(&s)
                      ? "done"
                      : "open");
    }
    free(events.s);
    free(sent.s);
    free(end.s);
    free(rx);
    free(tx);
}
#endif

/* The latest adapter protocol version the runner offers that this adapter speaks (1 and
 * 2, FW-CNF-10), or 0 for none. */
static int spoken_version(const json *versions)
{
    const json *v;
    int best = 0;

    for (v = versions != NULL ? versions->child : NULL; v != NULL; v = v->next) {
        if (v->kind == JSON_NUMBER && (v->number == 1.0 || v->number == 2.0) &&
            (int)v->number > best) {
            best = (int)v->number;
        }
    }
    return best;
}

int main(void)
{
    char *line = NULL;
    size_t size = 0;

    while (getline(&line, &size, stdin) != -1) {
        json *req = json_parse(line);
        jbuf out = {NULL, 0, 0};
        const char *op = json_string(req, "op", "");
        long seq = (long)json_number(req, "seq", 0.0);

        if (req == NULL) {
            fprintf(stderr, "fw_adapter: not a JSON line\n");
            continue;
        }
        if (strcmp(op, "hello") == 0) {
            int version = spoken_version(json_get(req, "versions"));

            if (version == 0) {
                fputs("{\"op\":\"hello\",\"version\":null}\n", stdout);
                fflush(stdout);
                json_free(req);
                break;
            }
            jb_printf(&out, "{\"op\":\"hello\",\"version\":%d,\"implementation\":\"framewire-c " FW_VERSION_STRING "\",", version);
#ifdef FW_NO_SESSION
            jb_raw(&out, "\"profiles\":[\"codec\"]}");
#else
            jb_raw(&out, "\"profiles\":[\"codec\",\"session\"]}");
#endif
        } else if (strcmp(op, "decode") == 0) {
            decode(req, &out, seq);
        } else if (strcmp(op, "encode") == 0) {
            encode(req, &out, seq);
#ifndef FW_NO_SESSION
        } else if (strcmp(op, "session") == 0) {
            session(req, &out, seq);
#endif
        } else {
            jb_printf(&out, "{\"seq\":%ld,\"status\":\"skipped\",\"reason\":\"unknown op\"}", seq);
        }
        fputs(out.s, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        free(out.s);
        json_free(req);
    }
    free(line);
    return 0;
}
