/*
 * Length arithmetic on a 16-bit target (AVR: 16-bit int and size_t), run under simavr by
 * make c-portability. Frame lengths are 32-bit on the wire; these checks feed lengths and
 * message totals above 65,535 through the decoder and the encoder's bounds, where a sum
 * or product done in int or size_t would wrap. Prints "avr lengths: N passed, N failed"
 * on UART0, then sleeps with interrupts off, which ends the simulation.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

#include "framewire.h"

static unsigned passed, failed;

static void put(char c)
{
    while ((UCSR0A & (1 << UDRE0)) == 0) {
    }
    UDR0 = (uint8_t)c;
}

static void print(const char *text)
{
    while (*text != '\0') {
        put(*text++);
    }
}

static void print_uint(unsigned long value)
{
    char digits[12];
    char *cursor = digits + sizeof digits - 1;
    *cursor = '\0';
    do {
        *--cursor = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    print(cursor);
}

static void check(int ok, const char *what)
{
    if (ok) {
        ++passed;
        return;
    }
    ++failed;
    print("FAIL ");
    print(what);
    print("\n");
}

static uint8_t rx[600];
static uint8_t frame[300];

/* Feeds n bytes; returns the first event that is not NONE (kind NONE if none came). */
static fw_event feed(fw_decoder *d, const uint8_t *p, size_t n)
{
    fw_event ev;
    ev.kind = FW_EVENT_NONE;
    while (n > 0u) {
        size_t used = fw_decoder_feed(d, p, n, &ev);
        p += used;
        n -= used;
        if (ev.kind != FW_EVENT_NONE) {
            break;
        }
    }
    return ev;
}

static void header(uint8_t *h, uint8_t flags, uint32_t length)
{
    h[0] = 0x46;
    h[1] = 0x57;
    h[2] = 0x01;
    h[3] = flags;
    h[4] = 0x40;
    h[5] = (uint8_t)(length >> 24);
    h[6] = (uint8_t)(length >> 16);
    h[7] = (uint8_t)(length >> 8);
    h[8] = (uint8_t)length;
}

/* A frame longer than 65,535 bytes with a buffer of 600: internal-error exactly at the
 * first payload byte that does not fit, not before (a wrapped length would fail at once
 * or accept too much). */
static void long_frame_in_small_buffer(void)
{
    fw_decoder d;
    fw_event ev;
    uint8_t h[FW_HEADER_SIZE];
    uint16_t i;
    check(fw_decoder_init(&d, FW_LENGTH_PREFIXED, 1048576ul, 16777216ul, 0u, rx, sizeof rx) ==
              FW_STATUS_OK,
          "init 1 MiB limits");
    header(h, 0, 65552ul);
    ev = feed(&d, h, sizeof h);
    check(ev.kind == FW_EVENT_NONE, "a 65,552-byte frame is accepted from its header");
    for (i = 0; i < sizeof frame; ++i) {
        frame[i] = (uint8_t)i;
    }
    ev = feed(&d, frame, sizeof frame);
    check(ev.kind == FW_EVENT_NONE, "the first 300 payload bytes fit");
    ev = feed(&d, frame, sizeof frame);
    check(ev.kind == FW_EVENT_NONE, "600 payload bytes fit the 600-byte buffer");
    ev = feed(&d, frame, 1u);
    check(ev.kind == FW_EVENT_FATAL && ev.code == FW_ERR_INTERNAL_ERROR,
          "internal-error at the 601st payload byte");
}

/* Lengths above the limits and the 2^30 ceiling are refused from the header. */
static void refused_from_header(void)
{
    fw_decoder d;
    fw_event ev;
    uint8_t h[FW_HEADER_SIZE];
    fw_decoder_init(&d, FW_LENGTH_PREFIXED, 65536ul, 16777216ul, 0u, rx, sizeof rx);
    header(h, 0, 65537ul);
    ev = feed(&d, h, sizeof h);
    check(ev.kind == FW_EVENT_FATAL && ev.code == FW_ERR_FRAME_TOO_LARGE,
          "65,537 > max frame 65,536: frame-too-large");
    fw_decoder_init(&d, FW_LENGTH_PREFIXED, 1073741824ul, 0ul, FW_DECODE_STREAM, rx, sizeof rx);
    header(h, 0, 1073741825ul);
    ev = feed(&d, h, sizeof h);
    check(ev.kind == FW_EVENT_FATAL && ev.code == FW_ERR_FRAME_TOO_LARGE,
          "2^30 + 1: frame-too-large");
    fw_decoder_init(&d, FW_LENGTH_PREFIXED, 1073741824ul, 0ul, FW_DECODE_STREAM, rx, sizeof rx);
    header(h, 0, 1073741824ul);
    ev = feed(&d, h, sizeof h);
    check(ev.kind == FW_EVENT_NONE, "2^30 with max frame 2^30: accepted from its header");
}

/* A message of 274 frames of 256 bytes (70,144 bytes), streamed: the total passes
 * 65,535; with max_message 70,000 the frame that crosses it is refused. */
static void long_message(uint32_t max_message, uint16_t frames_expected, uint16_t error)
{
    fw_decoder d;
    uint32_t total = 0;
    uint16_t index, pieces = 0, last = 0, code = 0;
    fw_decoder_init(&d, FW_DELIMITED, 256u, max_message, FW_DECODE_STREAM, rx, sizeof rx);
    for (index = 0; index < 274u && code == 0u; ++index) {
        uint8_t flags = (uint8_t)((index > 0u ? FW_FLAG_N : 0u) | (index < 273u ? FW_FLAG_M : 0u));
        size_t n = fw_encode_frame(frame, sizeof frame, FW_DELIMITED, 0x40, flags, rx + 300, 256u);
        const uint8_t *p = frame;
        while (n > 0u) {
            fw_event ev;
            size_t used = fw_decoder_feed(&d, p, n, &ev);
            p += used;
            n -= used;
            if (ev.kind == FW_EVENT_PIECE) {
                ++pieces;
                total += ev.len;
                last = (ev.piece & FW_PIECE_LAST) != 0u;
            } else if (ev.kind == FW_EVENT_ERROR || ev.kind == FW_EVENT_FATAL) {
                code = ev.code;
            }
        }
    }
    check(pieces == frames_expected, "pieces delivered");
    check(code == error, "the message's end");
    if (error == 0u) {
        check(total == 70144ul && last, "70,144 bytes in 274 pieces, the last one marked");
    }
}

static void encoder_bounds(void)
{
    check(fw_encode_bound(FW_LENGTH_PREFIXED, 1000u, 256u) == 1052u, "bound of 4 frames");
    check(fw_encode_bound(FW_LENGTH_PREFIXED, 70000ul, 65536ul) == 0u,
          "a bound above 65,535 does not fit a 16-bit size_t: 0");
    check(fw_encode_bound(FW_DELIMITED, 65000u, 1024u) == 0u, "the same, delimited");
    check(fw_crc32c_update(0, (const uint8_t *)"123456789", 9u) == 0xE3069283ul,
          "CRC-32C check value");
}

int main(void)
{
    UCSR0B = (uint8_t)(1 << TXEN0);
    check(sizeof(int) == 2u && sizeof(size_t) == 2u, "a 16-bit int and size_t");
    long_frame_in_small_buffer();
    refused_from_header();
    long_message(0ul, 274u, 0u);
    long_message(70000ul, 273u, FW_ERR_MESSAGE_TOO_LARGE);
    encoder_bounds();
    print("avr lengths: ");
    print_uint(passed);
    print(" passed, ");
    print_uint(failed);
    print(" failed\n");
    cli();
    sleep_mode();
    return 0;
}
